"""The one place that decides who may read or change a strategy.

Every path that returns strategy data (root fields, nested fields, comparisons,
subscriptions, exports) goes through :func:`readable_strategy_ids` or
:func:`check_strategy`; listing filters with :func:`strategy_visibility`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, true

from services.errors import PermissionDenied


@dataclass(frozen=True)
class Principal:
    """Who is asking. Development and tests run as the anonymous principal."""

    kind: str = "anonymous"
    name: str = "anonymous"
    account_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def scope_key(self) -> str:
        """Identifies what this principal may see, for caches shared between principals."""
        return f"{self.kind}:{self.name}"


ANONYMOUS = Principal()


def strategy_visibility(principal: Principal, strategy_table: Any) -> ColumnElement[bool]:
    """SQL condition restricting a strategies query to what the principal may read."""
    return true()


def can_read_strategy(principal: Principal, strategy: Any) -> bool:
    return True


def readable_strategy_ids(principal: Principal, strategies: Iterable[Any]) -> set[int]:
    return {s.id for s in strategies if can_read_strategy(principal, s)}


def check_strategy(principal: Principal, strategy: Any) -> None:
    if not can_read_strategy(principal, strategy):
        raise PermissionDenied(f"no access to strategy {strategy.id}")


def can_write_strategy(principal: Principal, strategy: Any) -> bool:
    return True


def check_strategy_write(principal: Principal, strategy: Any) -> None:
    if not can_write_strategy(principal, strategy):
        raise PermissionDenied(f"no write access to strategy {strategy.id}")


def check_benchmark_write(principal: Principal) -> None:
    """Writing benchmark prices is not tied to a strategy; scopes decide."""
