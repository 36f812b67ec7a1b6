"""A process's life after start-up: draining, then shutdown hooks, then closing resources.

On SIGTERM the server marks the process draining (``/readyz`` answers 503 so load
balancers route new work elsewhere), waits ``PERFGRAPH_DRAIN_DELAY_S``, stops accepting
connections, lets in-flight requests finish (up to ``PERFGRAPH_SHUTDOWN_TIMEOUT_S``), closes
WebSockets with code 1012 (service restart: clients reconnect elsewhere), then runs the
shutdown hooks here, last registered first, and finally closes the connections.

Whatever a component starts in the lifespan it stops with a hook: the pub/sub bridge closes
its connection, stream consumers stop reading and acknowledge what they committed. A hook
that fails or overruns is logged and skipped, so one bad hook cannot keep the others from
running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("perfgraph.lifecycle")

Hook = Callable[[], Awaitable[None]]


@dataclass
class Lifecycle:
    hook_timeout_s: float = 10.0
    draining: bool = False
    _hooks: list[tuple[str, Hook]] = field(default_factory=list)

    def on_shutdown(self, name: str, hook: Hook) -> None:
        """Run ``hook`` at shutdown; hooks run in reverse order of registration."""
        self._hooks.append((name, hook))

    def begin_draining(self) -> None:
        if not self.draining:
            log.info("draining: readiness now reports unavailable")
        self.draining = True

    async def shutdown(self) -> None:
        self.begin_draining()
        while self._hooks:
            name, hook = self._hooks.pop()
            try:
                async with asyncio.timeout(self.hook_timeout_s):
                    await hook()
            except TimeoutError:
                log.error("shutdown hook %r overran %ss; skipped", name, self.hook_timeout_s)
            except Exception:
                log.exception("shutdown hook %r failed", name)
            else:
                log.info("shutdown hook %r done", name)
