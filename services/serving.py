"""Running the ASGI app under uvicorn, with a drain period before a graceful shutdown.

uvicorn's own shutdown stops accepting, lets in-flight requests finish (bounded by
``timeout_graceful_shutdown``), closes WebSockets with 1012 and then runs the lifespan's
shutdown. What it lacks is the moment before: a load balancer that polls ``/readyz`` needs a
few seconds to see the replica go away, or it keeps sending requests to a closed port. So
the first SIGTERM/SIGINT marks the process draining and waits ``PERFGRAPH_DRAIN_DELAY_S``
(still serving) before uvicorn's shutdown starts; a second signal skips the wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

from services.config import Settings


class DrainingServer(uvicorn.Server):
    def __init__(
        self, config: uvicorn.Config, *, drain_delay_s: float, on_drain: Callable[[], None]
    ) -> None:
        super().__init__(config)
        self.drain_delay_s = drain_delay_s
        self.on_drain = on_drain
        self._draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._draining or self.drain_delay_s <= 0:
            self.on_drain()
            super().handle_exit(sig, frame)
            return
        self.on_drain()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not serving yet: nothing to drain
            super().handle_exit(sig, frame)
            return
        self._draining = True
        loop.call_soon_threadsafe(loop.call_later, self.drain_delay_s, self._exit_now, sig)

    def _exit_now(self, sig: int) -> None:
        super().handle_exit(sig, None)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "ws": "websockets-sansio",
        "ws_max_size": settings.ws_max_message_bytes,  # also checked by the app (schema/ws.py)
        "log_config": None,  # services.logs formats everything, uvicorn's lines included
        "access_log": False,  # the request middleware logs each request with its request id
        "timeout_graceful_shutdown": settings.shutdown_timeout_s or None,  # 0: wait for all
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
    }


def serve(app: Any, settings: Settings, *, host: str, port: int) -> None:
    """Serve ``app`` (a Starlette app from ``create_app``) until SIGTERM or SIGINT."""
    config = uvicorn.Config(app, host=host, port=port, **uvicorn_options(settings))
    server = DrainingServer(
        config, drain_delay_s=settings.drain_delay_s, on_drain=app.state.lifecycle.begin_draining
    )
    server.run()
