"""Scalars, enums and inputs shared by several types."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import strawberry

from services.windows import Interval as _Interval
from services.windows import Window
from services.windows import WindowPreset as _WindowPreset

WindowPreset = strawberry.enum(
    _WindowPreset,
    description="A window ending at the series' latest point (trailing) or calendar-to-date.",
)
Interval = strawberry.enum(
    _Interval, description="Bucket width; each bucket keeps its last value. RAW: no bucketing."
)


def _identity(value: Any) -> Any:
    return value


FloatColumn = strawberry.scalar(
    NewType("FloatColumn", list),
    description=(
        "An array of floats serialised as one JSON array (null where a value is undefined, "
        "such as the first return at inception). Columnar data for charts."
    ),
    serialize=_identity,
    parse_value=_identity,
)
TimestampColumn = strawberry.scalar(
    NewType("TimestampColumn", list),
    description="An array of ISO-8601 UTC timestamps serialised as one JSON array.",
    serialize=_identity,
    parse_value=_identity,
)


@strawberry.input(description="Either a preset, or from/to (each optional, inclusive).")
class WindowInput:
    preset: WindowPreset | None = None  # type: ignore[valid-type]
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None

    def to_window(self) -> Window:
        return Window(preset=self.preset, start=self.from_, end=self.to)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
