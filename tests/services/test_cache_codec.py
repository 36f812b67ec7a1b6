"""The cache's serialisation: exact round trips, and nothing but trusted types decoded."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgpack
import numpy as np
import pandas as pd
import pytest

from services import _codec
from services.analytics import compare, compute_metrics
from services.series import Latest, Series
from services.windows import Interval, Window, WindowPreset

DAYS = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
STRATEGY = pd.Series([0.01, -0.02, 0.03, 0.0, -0.01, 0.02], index=DAYS)
BENCHMARK = pd.Series([0.005, -0.01, 0.02, 0.01, -0.02, 0.01], index=DAYS)


def roundtrip(value: object) -> object:
    return _codec.decode(_codec.encode(value))


def test_series_arrays_survive_bit_for_bit_and_stay_writable() -> None:
    series = Series(
        epoch_us=np.array([1, 2, 3], dtype=np.int64),
        values=np.array([100.0, 101.5, 99.25]),
        returns=np.array([np.nan, 0.015, -0.0221674876847]),
        cash_flows=np.array([0.0, 0.0, -5.0]),
    )
    back = roundtrip(series)
    assert isinstance(back, Series)
    for field in ("epoch_us", "values", "returns", "cash_flows"):
        original, decoded = getattr(series, field), getattr(back, field)
        assert decoded.dtype == original.dtype
        assert decoded.tobytes() == original.tobytes()  # NaN included
        assert decoded.flags.writeable
    assert len(_codec.encode(series)) < 3 * 4 * 8 + 200  # raw bytes, not text


def test_latest_and_none() -> None:
    latest = Latest(7, datetime(2024, 3, 1, 21, tzinfo=UTC), 101.5, -2.0, 42, None)
    assert roundtrip(latest) == latest
    assert roundtrip([latest, None]) == [latest, None]


def same(a: Any, b: Any) -> bool:
    """Equal values, types, dtypes, indexes and NaNs, through nested dataclasses."""
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
        return True
    if isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b)
        return True
    if isinstance(a, np.ndarray):
        return bool(a.dtype == b.dtype and a.tobytes() == b.tobytes())
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def test_analytics_results_round_trip() -> None:
    metrics = compute_metrics(STRATEGY)
    assert same(roundtrip(metrics), metrics)
    comparison = compare(STRATEGY, BENCHMARK)
    assert same(roundtrip(comparison), comparison)


def test_pandas_numpy_and_builtin_values() -> None:
    values: list[Any] = [
        pd.Timestamp("2024-01-02 15:30", tz="America/New_York"),
        pd.Series([1.0, 2.0], index=DAYS[:2], name="x"),
        date(2024, 2, 29),
        timedelta(days=3, seconds=7),
        (1, "a", None),
        {"nested": [np.float64(1.5), np.int64(3), math.inf]},
        Window(preset=WindowPreset.YTD),
        Interval.WEEK,
    ]
    back: Any = roundtrip(values)
    assert isinstance(back, list)
    assert back[0] == values[0]
    assert str(back[0].tz) == "America/New_York"
    pd.testing.assert_series_equal(back[1], values[1])
    assert back[2:] == values[2:]
    assert math.isnan(roundtrip(float("nan")))  # type: ignore[arg-type]


def test_values_the_cache_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot cache"):
        _codec.encode(object())
    with pytest.raises(TypeError, match="cannot cache"):
        _codec.encode({1, 2})


def test_a_refused_value_leaves_nothing_behind_for_the_next() -> None:
    """The encoder is reused call after call: a value refused half-way (after an index
    was written, inside a nested payload) does not leak into the next value's bytes."""
    with pytest.raises(TypeError, match="cannot cache"):
        _codec.encode([STRATEGY, (1, [object()])])
    index = DAYS[:2]
    pair = [pd.Series([1.0, 2.0], index=index), pd.Series([3.0, 4.0], index=index)]
    assert _codec.encode(pair) == _codec.encode(pair)
    back: Any = _codec.decode(_codec.encode(pair))  # the second refers to index number 0
    assert back[0].index is back[1].index
    pd.testing.assert_series_equal(back[1], pair[1])


def test_only_perfgraph_types_are_ever_built() -> None:
    payload = _codec.encode(["os:system", {"command": "true"}])
    evil = msgpack.packb(msgpack.ExtType(6, payload))
    with pytest.raises(_codec.DecodeError, match="refusing"):
        _codec.decode(evil)
    with pytest.raises(_codec.DecodeError):
        _codec.decode(b"\xc1 not msgpack")
    stale = _codec.encode(["services.series:Latest", {"entity_id": 1, "removed_field": 2}])
    with pytest.raises(_codec.DecodeError):
        _codec.decode(msgpack.packb(msgpack.ExtType(6, stale)))


def test_an_index_shared_by_several_series_is_stored_once_and_decoded_once() -> None:
    comparison = compare(STRATEGY, BENCHMARK)
    shared = comparison.relative.index
    assert comparison.strategy_index.index is shared  # what compare returns
    pairs = [pd.Series(np.arange(6.0), index=shared, name=f"s{n}") for n in range(3)]
    alone = [pd.Series(np.arange(6.0), index=shared.copy(), name=f"s{n}") for n in range(3)]
    assert len(_codec.encode(pairs)) < len(_codec.encode(alone)) - 2 * 6 * 8
    back: Any = roundtrip(pairs)
    assert back[0].index is back[1].index is back[2].index
    for original, decoded in zip(pairs, back, strict=True):
        pd.testing.assert_series_equal(decoded, original)
    with pytest.raises(_codec.DecodeError, match="no index 0"):
        _codec.decode(msgpack.packb(msgpack.ExtType(11, msgpack.packb(0))))
    # Equal stamps under another name are another index.
    renamed = [pairs[0], pd.Series([1.0] * 6, index=shared.rename("day"))]
    back = roundtrip(renamed)
    assert back[1].index.name == "day"
    assert back[0].index.name is None
    assert same(roundtrip(comparison), comparison)


def test_series_written_before_indexes_were_shared_still_decode() -> None:
    series = pd.Series([1.0, 2.0], index=DAYS[:2], name="x")
    stamps = [DAYS[:2].asi8, DAYS.unit, "UTC", DAYS[:2].freqstr, None]
    old = msgpack.packb(  # the old layout: the index inline, as a list
        msgpack.ExtType(5, _codec.encode([stamps, series.to_numpy(), "x"])), use_bin_type=True
    )
    pd.testing.assert_series_equal(_codec.decode(old), series)


@dataclasses.dataclass
class _Nesting:
    """Reads as a value that encodes another while it is being encoded."""

    inner: Any

    def __getattribute__(self, name: str) -> Any:
        if name == "inner":
            _codec.encode([pd.Series([0.0, 0.0], index=DAYS[:2].copy())])
        return object.__getattribute__(self, name)


def test_an_encode_within_an_encode_does_not_renumber_the_outer_indexes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_codec, "_TRUSTED", "")  # the test's own dataclass may be decoded
    other = pd.date_range("2025-01-01", periods=2, tz="UTC")
    shared = DAYS[:2]
    value = [
        pd.Series([1.0, 2.0], index=other),
        _Nesting(1),
        pd.Series([3.0, 4.0], index=shared),
        pd.Series([5.0, 6.0], index=shared),  # refers to the index before it, by number
    ]
    back: Any = _codec.decode(_codec.encode(value))
    pd.testing.assert_index_equal(back[0].index, other)
    pd.testing.assert_index_equal(back[3].index, shared)


def test_a_large_value_does_not_keep_its_buffers() -> None:
    big = np.zeros(_codec._KEEP_BYTES // 8 + 1)
    assert np.array_equal(_codec.decode(_codec.encode(big)), big)
    assert getattr(_codec._local, "encoder", None) is None  # its packers are let go
    assert roundtrip([1, "a"]) == [1, "a"]
