"""The long-running providers behind one interface, run together by ``perfgraph feeds run``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from services.feeds.polling import run_pollers
from services.feeds.stream import market_data_consumer
from services.resources import Resources
from services.streams import prune_receipts

log = logging.getLogger(__name__)
RECEIPTS_KEPT_S = 7 * 24 * 3600  # far longer than any entry stays pending
PRUNE_EVERY_S = 3600.0


class Provider(Protocol):
    @property
    def kind(self) -> str: ...

    async def run(self, resources: Resources, stop: asyncio.Event) -> None: ...


@dataclass(frozen=True)
class StreamProvider:
    """Consumes the market-data stream until stopped."""

    kind: str = "stream"
    stream: str | None = None

    async def run(self, resources: Resources, stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(_prune_receipts(resources, stop))
            group.create_task(market_data_consumer(resources, stream=self.stream).run(stop))


async def _prune_receipts(resources: Resources, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            async with resources.engine.begin() as conn:
                await prune_receipts(conn, older_than_s=RECEIPTS_KEPT_S)
        except Exception:  # the next round tries again; receipts only grow meanwhile
            log.warning("pruning stream receipts failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PRUNE_EVERY_S)


@dataclass(frozen=True)
class HttpProvider:
    """Polls every enabled HTTP feed on its schedule until stopped."""

    kind: str = "http"

    async def run(self, resources: Resources, stop: asyncio.Event) -> None:
        await run_pollers(resources, stop)


PROVIDERS: dict[str, Provider] = {"stream": StreamProvider(), "http": HttpProvider()}


async def run_providers(
    resources: Resources, stop: asyncio.Event, kinds: tuple[str, ...] = ("stream", "http")
) -> None:
    """Run the chosen providers together; the first to fail stops the others."""
    async with asyncio.TaskGroup() as group:
        for kind in kinds:
            group.create_task(PROVIDERS[kind].run(resources, stop))
