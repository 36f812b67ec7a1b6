"""Series loaders shared by strategies (NAV) and benchmarks (levels)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, NamedTuple

from aiodataloader import DataLoader

from services.resources import Resources
from services.series import (
    Latest,
    Series,
    SeriesRequest,
    SeriesTable,
    fetch_latest,
    fetch_series,
)
from services.windows import Interval, Window, resolve


class SeriesKey(NamedTuple):
    entity_id: int
    window: Window
    interval: Interval


def as_of(latest: Latest | None) -> datetime | None:
    return latest.timestamp if latest else None


class LatestLoader(DataLoader[int, Latest | None]):
    table: ClassVar[SeriesTable]

    def __init__(self, resources: Resources) -> None:
        super().__init__()
        self.resources = resources

    async def batch_load_fn(self, keys: list[int]) -> list[Latest | None]:
        async with self.resources.sessions() as session:
            found = await fetch_latest(session, self.table, keys)
        return [found.get(key) for key in keys]


class SeriesLoader(DataLoader[SeriesKey, Series]):
    """Resolves each window against its series' latest point, then one SQL statement."""

    table: ClassVar[SeriesTable]

    def __init__(self, resources: Resources, latest: LatestLoader) -> None:
        super().__init__()
        self.resources = resources
        self.latest = latest

    async def batch_load_fn(self, keys: list[SeriesKey]) -> list[Series]:
        latest = await self.latest.load_many([k.entity_id for k in keys])
        requests = [
            SeriesRequest(k.entity_id, resolve(k.window, as_of(last)), k.interval)
            for k, last in zip(keys, latest, strict=True)
        ]
        async with self.resources.sessions() as session:
            return await fetch_series(session, self.table, requests)
