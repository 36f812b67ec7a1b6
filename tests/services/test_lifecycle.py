"""Shutdown hooks: last registered runs first; a failing or stuck hook does not stop the rest."""

from __future__ import annotations

import asyncio

import pytest

from services.lifecycle import Lifecycle


async def test_hooks_run_in_reverse_order_past_failures_and_overruns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lifecycle = Lifecycle(hook_timeout_s=0.05)
    ran: list[str] = []

    def recorder(name: str) -> object:
        async def hook() -> None:
            ran.append(name)

        return hook

    async def fails() -> None:
        raise RuntimeError("cannot flush")

    async def hangs() -> None:
        await asyncio.Event().wait()

    lifecycle.on_shutdown("database", recorder("database"))  # type: ignore[arg-type]
    lifecycle.on_shutdown("fails", fails)
    lifecycle.on_shutdown("hangs", hangs)
    lifecycle.on_shutdown("bridge", recorder("bridge"))  # type: ignore[arg-type]
    await lifecycle.shutdown()
    assert ran == ["bridge", "database"]
    assert lifecycle.draining
    assert "shutdown hook 'hangs' overran" in caplog.text
    assert "shutdown hook 'fails' failed" in caplog.text
    await lifecycle.shutdown()  # a second shutdown has nothing left to run
    assert ran == ["bridge", "database"]
