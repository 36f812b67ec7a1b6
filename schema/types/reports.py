"""GraphQL types of report links: what to report on, and the link to download it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.types.analytics import RiskFreeInput
from schema.types.common import Interval, WindowInput
from schema.types.ingest import NotFoundError, ValidationError
from services.reports.spec import PageSize, ReportFormat, ReportSection

strawberry.enum(ReportFormat, description="CSV (data, streamed) or PDF (a formatted report).")
strawberry.enum(
    ReportSection,
    description=(
        "Parts of a report. PDF: METRICS, CUMULATIVE_RETURNS, DRAWDOWNS, MONTHLY_RETURNS, "
        "YEARLY_RETURNS, ROLLING, METHODOLOGY. CSV: METRICS, METHODOLOGY, DRAWDOWNS, "
        "MONTHLY_RETURNS, YEARLY_RETURNS, SERIES."
    ),
)
strawberry.enum(PageSize, description="Paper size of a PDF report.")


@strawberry.input(description="A report of a strategy against a benchmark over a window.")
class ReportInput:
    strategy_id: strawberry.ID
    format: ReportFormat
    benchmark: str | None = strawberry.field(
        default=None, description="A stored benchmark's symbol; default: the strategy's."
    )
    window: WindowInput | None = strawberry.field(
        default=None, description="Default: since inception. Presets resolve at download."
    )
    interval: Interval = Interval.DAY
    risk_free: RiskFreeInput | None = strawberry.field(default=None, description="Omitted: zero.")
    sections: list[ReportSection] | None = strawberry.field(
        default=None, description="Default: every section of the format."
    )
    page_size: PageSize = PageSize.A4


@strawberry.type(description="A signed, short-lived link that downloads a report.")
class ReportLink:
    url: str = strawberry.field(
        description=(
            "A URL path on this API's origin (GET it with the same credentials that created "
            "it: the link is bound to its creator)."
        )
    )
    expires_at: datetime
    filename: str
    format: ReportFormat


CreateReportLinkResult = Annotated[
    ReportLink | ValidationError | NotFoundError,
    strawberry.union("CreateReportLinkResult"),
]
