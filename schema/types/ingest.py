"""Inputs and typed results of the mutations that record series rows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from services.ingest import IngestResult
from services.validation import Rejection


@strawberry.input(description="One NAV observation of a strategy.")
class PerformancePointInput:
    timestamp: datetime = strawberry.field(description="With a time zone offset.")
    nav: float = strawberry.field(description="Net asset value after any cash flow; above zero.")
    cash_flow: float = strawberry.field(
        default=0.0, description="External flow at this timestamp: + subscription, - redemption."
    )


@strawberry.input(description="One level of a benchmark index.")
class BenchmarkPriceInput:
    timestamp: datetime
    level: float


@strawberry.type(description="A row that was not stored (it is kept in quarantine).")
class RowRejection:
    index: int = strawberry.field(description="Position of the row in the request.")
    field: str
    reason: str

    @classmethod
    def from_rejection(cls, r: Rejection) -> RowRejection:
        return cls(index=r.index, field=r.field, reason=r.reason)


@strawberry.interface
class Recorded:
    inserted: int = strawberry.field(description="New timestamps stored.")
    revised: int = strawberry.field(description="Stored timestamps whose values changed.")
    unchanged: int = strawberry.field(description="Rows identical to what was stored.")
    duplicates: int = strawberry.field(description="Identical rows repeated in the request.")
    last_seq: int = strawberry.field(description="The series' sequence number after the write.")
    rejected: list[RowRejection]


def _counts(result: IngestResult) -> dict[str, object]:
    return {
        "inserted": result.inserted,
        "revised": result.revised,
        "unchanged": result.unchanged,
        "duplicates": result.duplicates,
        "last_seq": result.last_seq,
        "rejected": [RowRejection.from_rejection(r) for r in result.rejected],
    }


@strawberry.type
class PerformanceRecorded(Recorded):
    strategy_id: strawberry.ID

    @classmethod
    def from_result(cls, result: IngestResult) -> PerformanceRecorded:
        return cls(strategy_id=strawberry.ID(str(result.entity_id)), **_counts(result))  # type: ignore[arg-type]


@strawberry.type
class BenchmarkPricesRecorded(Recorded):
    symbol: str

    @classmethod
    def from_result(cls, symbol: str, result: IngestResult) -> BenchmarkPricesRecorded:
        return cls(symbol=symbol, **_counts(result))  # type: ignore[arg-type]


@strawberry.type(description="The request as a whole was invalid; nothing was stored.")
class ValidationError:
    message: str
    field: str | None = None


@strawberry.type(description="The strategy or benchmark does not exist or is not visible.")
class NotFoundError:
    message: str


RecordPerformanceResult = Annotated[
    PerformanceRecorded | ValidationError | NotFoundError,
    strawberry.union("RecordPerformanceResult"),
]
RecordBenchmarkPricesResult = Annotated[
    BenchmarkPricesRecorded | ValidationError | NotFoundError,
    strawberry.union("RecordBenchmarkPricesResult"),
]
