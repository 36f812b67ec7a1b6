"""Loaders whose values are cached in Redis under keys carrying their data versions."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from typing import ClassVar, TypeVar

from aiodataloader import DataLoader

from loaders.versions import VersionsByDepLoader
from services.resources import Resources
from services.versions import Dep

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CachedLoader(DataLoader[K, V]):
    """Cache-aside: one MGET per batch, one :meth:`compute_many` for the misses.

    Subclasses name their ``kind`` and say what a key depends on (:meth:`dependencies`) and
    what else identifies its value (:meth:`describe`); :meth:`compute_many` computes any
    number of keys with one SQL statement per input it loads. A value that is an exception
    (a key that failed on its own) is returned but never cached.
    """

    kind: ClassVar[str]

    def __init__(self, resources: Resources, versions: VersionsByDepLoader) -> None:
        super().__init__()
        self.resources = resources
        self.versions = versions

    def dependencies(self, key: K) -> Sequence[Dep]:
        raise NotImplementedError

    def describe(self, key: K) -> str:
        raise NotImplementedError

    async def compute_many(self, keys: list[K]) -> list[V]:
        raise NotImplementedError

    async def batch_load_fn(self, keys: list[K]) -> list[V]:
        cache = self.resources.cache
        if not cache.enabled:
            return await cache.load_many(self.kind, [(None, k) for k in keys], self.compute_many)
        deps = {key: tuple(self.dependencies(key)) for key in keys}
        unique = sorted({dep for found in deps.values() for dep in found})
        versions = dict(zip(unique, await self.versions.load_many(unique), strict=True))
        items = [(self._cache_key(key, deps[key], versions), key) for key in keys]
        return await cache.load_many(self.kind, items, self.compute_many)

    def _cache_key(
        self, key: K, deps: Sequence[Dep], versions: dict[Dep, int | None]
    ) -> str | None:
        stamps = [f"{dep.name}@{versions[dep]}" for dep in deps]
        if any(versions[dep] is None for dep in deps):
            return None  # depends on something that does not exist: nothing to cache
        return self.resources.cache.key(self.kind, self.describe(key), *stamps)


def digest(key: object) -> str:
    """A short stable name for a key of plain values (its repr: tuples, dataclasses, enums)."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
