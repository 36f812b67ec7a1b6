"""Scalars, enums and inputs shared by several types."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from services.windows import Interval, Window, WindowPreset

__all__ = ["SCALARS", "FloatColumn", "Interval", "PageInfo", "TimestampColumn", "WindowInput"]

strawberry.enum(
    WindowPreset,
    description="A window ending at the series' latest point (trailing) or calendar-to-date.",
)
strawberry.enum(
    Interval, description="Bucket width; each bucket keeps its last value. RAW: no bucketing."
)


FloatColumn = NewType("FloatColumn", list)  # type: ignore[type-arg]
TimestampColumn = NewType("TimestampColumn", list)  # type: ignore[type-arg]


def _identity(value: Any) -> Any:
    return value


SCALARS: dict[object, ScalarDefinition] = {
    FloatColumn: strawberry.scalar(
        name="FloatColumn",
        description=(
            "An array of floats serialised as one JSON array (null where a value is undefined, "
            "such as the first return at inception). Columnar data for charts."
        ),
        serialize=_identity,
        parse_value=_identity,
    ),
    TimestampColumn: strawberry.scalar(
        name="TimestampColumn",
        description="An array of ISO-8601 UTC timestamps serialised as one JSON array.",
        serialize=_identity,
        parse_value=_identity,
    ),
}


@strawberry.input(description="Either a preset, or from/to (each optional, inclusive).")
class WindowInput:
    preset: WindowPreset | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None

    def to_window(self) -> Window:
        return Window(preset=self.preset, start=self.from_, end=self.to)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
