"""The ingest worker: this process's stream consumers, run until asked to stop.

``perfgraph ingest run`` runs it on its own; ``serve`` runs it too when
``PERFGRAPH_INGEST_IN_SERVE`` is set (:func:`start_ingest`, stopped by a shutdown hook).
Every process joins the same consumer group under its own name, so any number of them
share the streams and take over each other's entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services.lifecycle import Lifecycle
from services.performance_stream import PerformanceStream
from services.resources import Resources
from services.streams import StreamHandler, consume

log = logging.getLogger(__name__)


def ingest_streams() -> list[StreamHandler]:
    """The streams ``ingest run`` consumes (the market-data stream runs with ``feeds run``)."""
    return [PerformanceStream()]


async def run_ingest(resources: Resources, stop: asyncio.Event) -> None:
    """Consume every stream until ``stop`` is set; batches in hand finish and are acked."""
    await consume(resources, ingest_streams(), stop)


async def start_ingest(resources: Resources, lifecycle: Lifecycle) -> None:
    """With PERFGRAPH_INGEST_IN_SERVE, run the consumers alongside the API until shutdown."""
    if not resources.settings.ingest_in_serve:
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_ingest(resources, stop), name="perfgraph-ingest")
    task.add_done_callback(_report_failure)

    async def finish() -> None:
        stop.set()
        with contextlib.suppress(Exception):  # a failure was logged when it happened
            await task

    lifecycle.on_shutdown("stream consumers", finish)


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the stream consumers stopped", exc_info=task.exception())
