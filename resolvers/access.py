"""Authorization for resolvers: the helpers every field that touches a strategy goes through.

They apply :mod:`services.access` to the request's principal, so a new path (a comparison,
a subscription, a report link, a mutation) gets the same rule as ``strategy(id)`` by
calling one of these instead of a loader directly:

- :func:`visible_strategies` / :func:`require_strategies`: strategies by id, unreadable ones
  treated exactly like unknown ones (no one learns that an id exists);
- :func:`require_scope`: for writes and other scoped operations;
- :func:`check_record`: nested fields re-check the strategy they belong to;
- :func:`guard_stream`: subscriptions re-check credentials and access every
  ``auth_recheck_s`` seconds, so a revoked key or a withdrawn grant ends the stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from typing import TypeVar

from schema.context import Context, Info
from services import access
from services.errors import NotFound
from services.strategies import StrategyRecord

T = TypeVar("T")


def require_scope(info: Info, scope: str) -> None:
    access.require_scope(info.context.principal, scope)


def check_record(info: Info, record: access.StrategyLike) -> None:
    access.check_strategy(info.context.principal, record)


async def visible_strategies(info: Info, ids: Sequence[int]) -> dict[int, StrategyRecord]:
    """The strategies among ``ids`` that exist and that the principal may read."""
    records = await info.context.loaders.strategy_by_id.load_many(list(ids))
    principal = info.context.principal
    return {r.id: r for r in records if r is not None and access.can_read_strategy(principal, r)}


async def require_strategies(info: Info, ids: Sequence[int]) -> list[StrategyRecord]:
    """Every strategy in ``ids``, in order; NotFound names the first unknown or unreadable."""
    found = await visible_strategies(info, ids)
    for strategy_id in ids:
        if strategy_id not in found:
            raise NotFound(f"unknown strategy {strategy_id}")
    return [found[i] for i in ids]


async def recheck(context: Context, strategies: Sequence[access.StrategyLike]) -> None:
    """Reload the connection's principal and re-apply the rule to ``strategies``."""
    ids = [s.id for s in strategies]
    context.principal = await access.recheck_live_access(context.resources, context.principal, ids)


async def guard_stream(
    info: Info, strategies: Sequence[access.StrategyLike], source: AsyncIterator[T]
) -> AsyncIterator[T]:
    """``source``'s items while the principal may still read ``strategies``.

    Checks at least every ``auth_recheck_s`` seconds, even when ``source`` is quiet; when a
    check fails, the error (Unauthenticated or PermissionDenied) ends the subscription.
    """
    context = info.context
    interval = context.resources.settings.auth_recheck_s
    checked = time.monotonic()
    pending: asyncio.Future[T] = asyncio.ensure_future(anext(source))
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=interval)
            if not done or time.monotonic() - checked >= interval:
                await recheck(context, strategies)
                checked = time.monotonic()
            if not done:
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            yield item
            pending = asyncio.ensure_future(anext(source))
    finally:
        pending.cancel()
        with suppress(asyncio.CancelledError, StopAsyncIteration):
            await pending
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
