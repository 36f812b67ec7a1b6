"""Loaders for strategies and their performance series."""

from __future__ import annotations

from aiodataloader import DataLoader

from loaders.series import LatestLoader, SeriesLoader
from services.resources import Resources
from services.series import PERFORMANCE
from services.strategies import StrategyRecord, strategies_by_ids


class StrategyByIdLoader(DataLoader[int, StrategyRecord | None]):
    def __init__(self, resources: Resources) -> None:
        super().__init__()
        self.resources = resources

    async def batch_load_fn(self, keys: list[int]) -> list[StrategyRecord | None]:
        async with self.resources.sessions() as session:
            found = await strategies_by_ids(session, keys)
        return [found.get(key) for key in keys]


class LatestByStrategyLoader(LatestLoader):
    table = PERFORMANCE


class SeriesByStrategyLoader(SeriesLoader):
    table = PERFORMANCE
