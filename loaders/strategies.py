"""Loaders for strategies and their performance series."""

from __future__ import annotations

from aiodataloader import DataLoader

from loaders.series import LatestLoader, SeriesLoader
from loaders.versions import VersionsByDepLoader
from services.resources import Resources
from services.series import PERFORMANCE
from services.strategies import StrategyRecord, strategies_by_ids
from services.versions import Dep


class StrategyByIdLoader(DataLoader[int, StrategyRecord | None]):
    """Strategy records; each record's ``last_seq`` is the version its data is cached under."""

    def __init__(self, resources: Resources, versions: VersionsByDepLoader) -> None:
        super().__init__()
        self.resources = resources
        self.versions = versions

    async def batch_load_fn(self, keys: list[int]) -> list[StrategyRecord | None]:
        async with self.resources.sessions() as session:
            found = await strategies_by_ids(session, keys)
        for record in found.values():
            self.versions.note(Dep("strategy", record.id), record.last_seq)
        return [found.get(key) for key in keys]

    def prime(self, key: int, value: StrategyRecord | None) -> StrategyByIdLoader:
        if value is not None:
            self.versions.note(Dep("strategy", value.id), value.last_seq)
        super().prime(key, value)
        return self


class LatestByStrategyLoader(LatestLoader):
    kind = "strategy-latest"
    table = PERFORMANCE
    depends_on = "strategy"


class SeriesByStrategyLoader(SeriesLoader):
    kind = "strategy-series"
    table = PERFORMANCE
    depends_on = "strategy"
