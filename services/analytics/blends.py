"""Blended benchmarks: fixed target weights, rebalanced on a calendar, drifting in between."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from functools import reduce

import numpy as np
import pandas as pd

from services.analytics._checks import FloatArray, calendar_key, check_series, dates, values
from services.analytics.alignment import compound_onto


class Rebalance(enum.Enum):
    """When a blend's weights are reset to target (at the close of the period's last date)."""

    DAILY = "daily"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"
    NEVER = "never"


def blend_returns(
    components: Mapping[str, pd.Series],
    weights: Mapping[str, float],
    rebalance: Rebalance = Rebalance.MONTHLY,
) -> pd.Series:
    """Returns of a portfolio of ``components`` held at target ``weights``.

    Parameters
    ----------
    components : Mapping[str, pd.Series]
        Simple periodic returns of each component (decimal fractions, UTC index).
    weights : Mapping[str, float]
        Target weight of each component; the same keys as ``components``, summing to 1
        (within 1e-9). Negative weights (shorts) are allowed.
    rebalance : Rebalance
        Weights are reset to target at the close of the last common date of each period
        (DAILY: every date, so the blend return is ``sum(w_i * r_i)``; NEVER: buy and hold).

    Returns
    -------
    pd.Series
        Blend returns on the components' common dates. A component's returns on dates the
        others lack are compounded into its next common date (as alignment's
        COMPOUND_TO_COMMON); returns before the first or after the last common date are
        dropped. Between rebalances each holding drifts with its own compounded return,
        exactly: ``r_t = sum_i w_i G_i(t) / sum_i w_i G_i(t-1) - 1`` where ``G_i`` is the
        growth of component i since the last rebalance.
    """
    names, w = _check_weights(components, weights)
    checked = [check_series(components[name], name) for name in names]
    common = reduce(lambda a, b: a.intersection(b), (dates(c) for c in checked))
    columns = [values(compound_onto(c, common)[0]) for c in checked]
    r = np.column_stack(columns) if columns else np.empty((0, 0))
    daily = rebalance is Rebalance.DAILY
    blended = r @ w if daily else _drifting(r, w, _groups(common, rebalance))
    return pd.Series(blended, index=common, name="blend")


def _check_weights(
    components: Mapping[str, pd.Series], weights: Mapping[str, float]
) -> tuple[list[str], np.ndarray]:
    if not components:
        raise ValueError("a blend needs at least one component")
    if set(components) != set(weights):
        raise ValueError(
            f"weights and components must have the same keys: components {sorted(components)}, "
            f"weights {sorted(weights)}"
        )
    names = sorted(components)
    w = np.array([float(weights[n]) for n in names])
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite")
    if not math.isclose(float(w.sum()), 1.0, rel_tol=0.0, abs_tol=1e-9):
        raise ValueError(f"weights must sum to 1, got {float(w.sum())!r}")
    return names, w


_MONTHS = {Rebalance.MONTHLY: 1, Rebalance.QUARTERLY: 3, Rebalance.ANNUALLY: 12}


def _groups(
    index: pd.DatetimeIndex, rebalance: Rebalance
) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    if rebalance is Rebalance.NEVER:
        return np.zeros(len(index), dtype=np.int64)
    return calendar_key(index, _MONTHS[rebalance])


def _drifting(r: np.ndarray, w: np.ndarray, groups: np.ndarray) -> FloatArray:
    """Portfolio returns when holdings drift within each group and reset between groups."""
    if len(r) == 0:
        return np.empty(0, dtype=np.float64)
    frame = pd.DataFrame(1.0 + r)
    growth = frame.groupby(groups, sort=False).cumprod().to_numpy()
    value = growth @ w
    previous = np.concatenate(([1.0], value[:-1]))
    first = np.concatenate(([True], groups[1:] != groups[:-1]))
    previous[first] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = value / previous - 1.0
    return result
