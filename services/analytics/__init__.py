"""Pure performance analytics: returns, metrics, comparison, rolling, periods and blends.

Pure numpy/pandas functions with no I/O. Inputs are simple periodic returns as decimal
fractions in pandas Series on a sorted, unique, tz-aware UTC DatetimeIndex. Conventions are
documented in ``docs/analytics.md``.
"""

from services.analytics.alignment import AlignmentPolicy, AlignmentReport, align
from services.analytics.blends import Rebalance, blend_returns
from services.analytics.comparison import Comparison, compare, compare_many
from services.analytics.drawdowns import Drawdown, top_drawdowns
from services.analytics.methodology import Methodology
from services.analytics.metrics import Metrics, compute_metrics
from services.analytics.periods import (
    LookbackReturns,
    PeriodFrequency,
    PeriodTable,
    lookback_returns,
    period_returns,
    period_table,
)
from services.analytics.returns import (
    cumulative_returns,
    drawdown_series,
    infer_periods_per_year,
    rebase,
    twr_returns,
)
from services.analytics.riskfree import RiskFree, RiskFreeUsed, per_period_rates
from services.analytics.rolling import (
    RollingMetric,
    rolling_alpha,
    rolling_beta,
    rolling_max_drawdown,
    rolling_metric,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
)

__all__ = [
    "AlignmentPolicy",
    "AlignmentReport",
    "Comparison",
    "Drawdown",
    "LookbackReturns",
    "Methodology",
    "Metrics",
    "PeriodFrequency",
    "PeriodTable",
    "Rebalance",
    "RiskFree",
    "RiskFreeUsed",
    "RollingMetric",
    "align",
    "blend_returns",
    "compare",
    "compare_many",
    "compute_metrics",
    "cumulative_returns",
    "drawdown_series",
    "infer_periods_per_year",
    "lookback_returns",
    "per_period_rates",
    "period_returns",
    "period_table",
    "rebase",
    "rolling_alpha",
    "rolling_beta",
    "rolling_max_drawdown",
    "rolling_metric",
    "rolling_sharpe",
    "rolling_sortino",
    "rolling_volatility",
    "top_drawdowns",
    "twr_returns",
]
