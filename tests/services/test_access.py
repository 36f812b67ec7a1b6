"""The authorization rule, as a table: who may read and write which strategy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.access import (
    ANONYMOUS,
    NOBODY,
    Principal,
    can_read_strategy,
    can_write_strategy,
    check_benchmark_write,
    readable_strategy_ids,
    require_scope,
)
from services.errors import PermissionDenied


@dataclass(frozen=True)
class S:
    id: int
    account_id: int


OWN, GRANTED, OTHER = S(1, account_id=10), S(2, account_id=20), S(3, account_id=30)
PARTNER = Principal(
    kind="api_key", name="p", account_id=10, scopes=frozenset({"read"}), granted=frozenset({2})
)
WRITER = Principal(
    kind="api_key",
    name="w",
    account_id=10,
    scopes=frozenset({"read", "write:performance"}),
    granted=frozenset({2}),
)
ADMIN = Principal(kind="user", name="ops", scopes=frozenset({"admin"}))
NO_READ = Principal(kind="api_key", name="x", account_id=10, scopes=frozenset({"write:benchmarks"}))


@pytest.mark.parametrize(
    ("principal", "readable", "writable"),
    [
        (PARTNER, {1, 2}, set()),
        (WRITER, {1, 2}, {1}),
        (ADMIN, {1, 2, 3}, {1, 2, 3}),
        (ANONYMOUS, {1, 2, 3}, set()),
        (NOBODY, set(), set()),
        (NO_READ, set(), set()),
    ],
)
def test_read_and_write(principal: Principal, readable: set[int], writable: set[int]) -> None:
    strategies = [OWN, GRANTED, OTHER]
    assert readable_strategy_ids(principal, strategies) == readable
    assert {s.id for s in strategies if can_read_strategy(principal, s)} == readable
    assert {s.id for s in strategies if can_write_strategy(principal, s)} == writable


def test_scopes() -> None:
    require_scope(ADMIN, "write:benchmarks")  # admin implies every scope
    check_benchmark_write(ADMIN)
    with pytest.raises(PermissionDenied, match="needs the 'write:benchmarks' scope"):
        check_benchmark_write(WRITER)
    with pytest.raises(ValueError, match="unknown scope 'write'"):
        require_scope(ADMIN, "write")
