"""The one place that decides who may read or change a strategy.

Every path that returns strategy data (root fields, nested fields, comparisons,
subscriptions, exports) goes through :func:`can_read_strategy`, :func:`check_strategy` or
:func:`readable_strategy_ids`; listings filter in SQL with :func:`strategy_visibility`,
which encodes the same rule. Writes go through :func:`check_strategy_write`; anything else
that needs a scope calls :func:`require_scope`.

The rule: a principal with the ``read`` scope sees its own account's strategies and the
strategies granted to that account; ``admin`` sees and changes everything. The anonymous
principal exists only outside production (see ``services.auth``) and reads everything.
Nothing here does I/O (the principal arrives with its grants already loaded) except
:func:`recheck_live_access`, which reloads them for long-lived subscriptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ColumnElement, false, or_, true

from services.errors import PermissionDenied

if TYPE_CHECKING:
    from services.resources import Resources

READ = "read"
WRITE_PERFORMANCE = "write:performance"
WRITE_BENCHMARKS = "write:benchmarks"
ADMIN = "admin"
SCOPES = frozenset({READ, WRITE_PERFORMANCE, WRITE_BENCHMARKS, ADMIN})


class StrategyLike(Protocol):
    """What the rule needs to know about a strategy: its id and its owner."""

    @property
    def id(self) -> int: ...

    @property
    def account_id(self) -> int: ...


@dataclass(frozen=True)
class Principal:
    """Who is asking: an API key (partner), a bearer token (user) or anonymous (development)."""

    kind: str = "anonymous"
    name: str = "anonymous"
    account_id: int | None = None
    scopes: frozenset[str] = frozenset()
    granted: frozenset[int] = frozenset()
    expires_at: datetime | None = None
    read_all: bool = False
    rate_limit_per_minute: int | None = None

    @property
    def scope_key(self) -> str:
        """Identifies what this principal may see, for caches shared between principals."""
        return f"{self.kind}:{self.name}"

    @property
    def sees_everything(self) -> bool:
        return self.read_all or ADMIN in self.scopes


ANONYMOUS = Principal(kind="anonymous", name="anonymous", scopes=frozenset({READ}), read_all=True)
"""Development and tests without credentials: reads everything, writes nothing."""

NOBODY = Principal(kind="unauthenticated", name="unauthenticated")
"""A WebSocket before ``connection_init``: may do nothing."""


def has_scope(principal: Principal, scope: str) -> bool:
    """``admin`` implies every other scope."""
    return scope in principal.scopes or ADMIN in principal.scopes


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    if not has_scope(principal, scope):
        raise PermissionDenied(f"this operation needs the {scope!r} scope")


def strategy_visibility(principal: Principal, strategy_table: Any) -> ColumnElement[bool]:
    """SQL condition restricting a strategies query to what the principal may read.

    ``strategy_table`` is the ``strategies`` table (or an alias of it).
    """
    if not has_scope(principal, READ):
        return false()
    if principal.sees_everything:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if principal.account_id is not None:
        conditions.append(strategy_table.c.account_id == principal.account_id)
    if principal.granted:
        conditions.append(strategy_table.c.id.in_(sorted(principal.granted)))
    return or_(*conditions) if conditions else false()


def can_read_strategy(principal: Principal, strategy: StrategyLike) -> bool:
    if not has_scope(principal, READ):
        return False
    if principal.sees_everything:
        return True
    owned = principal.account_id is not None and strategy.account_id == principal.account_id
    return owned or strategy.id in principal.granted


def readable_strategy_ids(principal: Principal, strategies: Iterable[StrategyLike]) -> set[int]:
    return {s.id for s in strategies if can_read_strategy(principal, s)}


def check_strategy(principal: Principal, strategy: StrategyLike) -> None:
    if not can_read_strategy(principal, strategy):
        raise PermissionDenied(f"no access to strategy {strategy.id}")


async def unreadable_strategies(
    resources: Resources, principal: Principal, strategy_ids: Sequence[int]
) -> set[int]:
    """Which of ``strategy_ids`` the principal may no longer read (re-checked while streaming).

    Live subscriptions are checked with :func:`can_read_strategy` when they start; while
    they stream, every process calls this every ``live_access_recheck_s`` seconds, once per
    access scope with the strategies of all its subscriptions, and ends those that touch a
    returned id with FORBIDDEN. Revoked keys, expired tokens and withdrawn grants belong
    here (a principal that lost all access: return every id).
    """
    from services.auth import refresh_principal  # auth imports this module
    from services.errors import Unauthenticated
    from services.strategies import strategies_by_ids  # and so does strategies

    if not strategy_ids:
        return set()
    try:
        fresh = await refresh_principal(resources, principal)
    except Unauthenticated:
        return set(strategy_ids)
    async with resources.sessions() as session:
        found = await strategies_by_ids(session, strategy_ids)
    return {
        strategy_id
        for strategy_id in strategy_ids
        if strategy_id not in found or not can_read_strategy(fresh, found[strategy_id])
    }


def can_write_strategy(
    principal: Principal, strategy: StrategyLike, scope: str = WRITE_PERFORMANCE
) -> bool:
    """Writing needs the scope and ownership: a grant lets a partner read, never write."""
    if not has_scope(principal, scope):
        return False
    if ADMIN in principal.scopes:
        return True
    return principal.account_id is not None and strategy.account_id == principal.account_id


def check_strategy_write(
    principal: Principal, strategy: StrategyLike, scope: str = WRITE_PERFORMANCE
) -> None:
    require_scope(principal, scope)
    if not can_write_strategy(principal, strategy, scope):
        raise PermissionDenied(f"no write access to strategy {strategy.id}")


def check_benchmark_write(principal: Principal) -> None:
    """Benchmarks are shared market data, owned by no account: the scope decides."""
    require_scope(principal, WRITE_BENCHMARKS)


async def recheck_live_access(
    resources: Resources, principal: Principal, strategy_ids: Sequence[int]
) -> Principal:
    """Re-check, while a subscription streams, that its principal may still read its strategies.

    Reloads the principal (a revoked or expired key, or an expired token, raises
    Unauthenticated; withdrawn grants show) and the strategies (a deleted one raises
    PermissionDenied); returns the fresh principal. Subscriptions call it every
    ``auth_recheck_s`` seconds.
    """
    from services.auth import refresh_principal  # auth imports this module
    from services.strategies import strategies_by_ids  # and so does strategies

    fresh = await refresh_principal(resources, principal)
    if not strategy_ids:
        return fresh
    async with resources.sessions() as session:
        found = await strategies_by_ids(session, strategy_ids)
    for strategy_id in strategy_ids:
        record = found.get(strategy_id)
        if record is None or not can_read_strategy(fresh, record):
            raise PermissionDenied(f"no access to strategy {strategy_id}")
    return fresh
