"""The data versions a request reads, each once, recorded for the response cache."""

from __future__ import annotations

from aiodataloader import DataLoader

from services.resources import Resources
from services.versions import Dep, Dependencies


class VersionsByDepLoader(DataLoader[Dep, int | None]):
    """Versions from records already loaded, else one MGET (and one SQL statement for the
    versions Redis does not know). None: the strategy or benchmark does not exist."""

    def __init__(self, resources: Resources, dependencies: Dependencies) -> None:
        super().__init__()
        self.resources = resources
        self.dependencies = dependencies

    async def batch_load_fn(self, deps: list[Dep]) -> list[int | None]:
        found = await self.resources.cache.versions.entity_versions(deps)
        for dep, version in found.items():
            self.dependencies.add(dep, version)
        return [found.get(dep) for dep in deps]

    def note(self, dep: Dep, version: int) -> None:
        """A version read from PostgreSQL with a record: no need to ask Redis for it."""
        self.dependencies.add(dep, version)
        self.prime(dep, version)
