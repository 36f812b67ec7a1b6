"""The long-running providers behind one interface, run together by ``perfgraph feeds run``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from services.feeds.polling import run_pollers
from services.feeds.stream import MarketDataStream
from services.resources import Resources
from services.streams import consume


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
        handler = MarketDataStream(self.stream) if self.stream else MarketDataStream()
        await consume(resources, [handler], stop)


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
