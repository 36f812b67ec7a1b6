"""Series loaders shared by strategies (NAV) and benchmarks (levels), cached in Redis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, NamedTuple

from loaders.cache import CachedLoader
from loaders.versions import VersionsByDepLoader
from services.resources import Resources
from services.series import (
    Latest,
    Series,
    SeriesRequest,
    SeriesTable,
    fetch_latest,
    fetch_series,
)
from services.versions import Dep, DepKind
from services.windows import Interval, Window, resolve


class SeriesKey(NamedTuple):
    entity_id: int
    window: Window
    interval: Interval


def as_of(latest: Latest | None) -> datetime | None:
    return latest.timestamp if latest else None


class LatestLoader(CachedLoader[int, Latest | None]):
    table: ClassVar[SeriesTable]
    depends_on: ClassVar[DepKind]

    def dependencies(self, key: int) -> Sequence[Dep]:
        return (Dep(self.depends_on, key),)

    def describe(self, key: int) -> str:
        return str(key)

    async def compute_many(self, keys: list[int]) -> list[Latest | None]:
        async with self.resources.sessions() as session:
            found = await fetch_latest(session, self.table, keys)
        return [found.get(key) for key in keys]


class SeriesLoader(CachedLoader[SeriesKey, Series]):
    """Resolves each window against its series' latest point, then one SQL statement."""

    table: ClassVar[SeriesTable]
    depends_on: ClassVar[DepKind]

    def __init__(
        self, resources: Resources, versions: VersionsByDepLoader, latest: LatestLoader
    ) -> None:
        super().__init__(resources, versions)
        self.latest = latest

    def dependencies(self, key: SeriesKey) -> Sequence[Dep]:
        return (Dep(self.depends_on, key.entity_id),)

    def describe(self, key: SeriesKey) -> str:
        return f"{key.entity_id}:{key.window.cache_key}:{key.interval.value}"

    async def compute_many(self, keys: list[SeriesKey]) -> list[Series]:
        latest = await self.latest.load_many([k.entity_id for k in keys])
        requests = [
            SeriesRequest(k.entity_id, resolve(k.window, as_of(last)), k.interval)
            for k, last in zip(keys, latest, strict=True)
        ]
        async with self.resources.sessions() as session:
            return await fetch_series(session, self.table, requests)
