"""The soak's checks: its writers predict the server's answers, and its reconciliation
catches what a subscriber could get wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from bench._soak_ledger import Change, Ledger, Stream, reconcile
from bench._soak_writes import ROTATION, WriteCounts, Writer, write
from services.resources import Resources
from tests.factories import create_account, create_key, create_strategy

T0 = datetime(2024, 1, 1, tzinfo=UTC)


async def test_every_kind_of_write_is_predicted(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    account = await create_account(resources)
    sid = await create_strategy(resources, points=[(T0, 100.0, 0.0)], account=account)
    key = await create_key(resources, account=account, scopes=("read", "write:performance"))
    client.headers["X-API-Key"] = key
    ledger = Ledger(sid, last_seq=1)
    writer = Writer(ledger, T0 + timedelta(days=1), seed=1)
    counts, failures = WriteCounts(), list[str]()
    timed: list[str] = []
    for _ in range(2 * len(ROTATION)):
        await write(client, writer, counts, lambda op, ms: timed.append(op), failures.append)
    assert failures == []
    assert set(timed) == set(ROTATION)
    assert counts.rejected == 6 * 2  # the rows meant to be rejected, and only those
    async with resources.engine.connect() as conn:
        last_seq = (
            await conn.execute(text("SELECT last_seq FROM strategies WHERE id = :id"), {"id": sid})
        ).scalar_one()
        rows = await conn.execute(
            text("SELECT seq, nav FROM performance_points WHERE strategy_id = :id AND seq > 1"),
            {"id": sid},
        )
        navs = {seq: nav for seq, nav in rows}
    assert ledger.last_seq == last_seq == 1 + counts.changes
    # Every point's current sequence number holds the value the ledger says it wrote.
    assert navs == {seq: ledger.changes[seq].nav for seq in navs}


def event(seq: int, change: Change) -> dict[str, Any]:
    point = {"timestamp": change.ts.isoformat(), "nav": change.nav, "cashFlow": change.cash_flow}
    return {"strategyId": "7", "seq": seq, "kind": change.kind, "point": point}


def ledger_of(count: int) -> Ledger:
    ledger = Ledger(7, last_seq=count)
    for seq in range(1, count + 1):
        ledger.changes[seq] = Change(T0 + timedelta(minutes=seq), 100.0 + seq, 0.0, "INSERT")
    return ledger


def test_a_complete_stream_reconciles_clean() -> None:
    ledger = ledger_of(5)
    stream = Stream(7, after=0, live=True)
    for seq in range(1, 6):
        stream.receive(event(seq, ledger.changes[seq]), ledger)
    result = reconcile([stream], {7: ledger})
    assert result.clean
    assert (result.expected, result.delivered) == (5, 5)


def test_losses_duplicates_gaps_and_wrong_values_are_caught() -> None:
    ledger = ledger_of(6)
    stream = Stream(7, after=0, live=True)
    for seq in (1, 2, 2, 4, 5):  # 2 twice, 3 skipped, 6 never arrives
        stream.receive(event(seq, ledger.changes[seq]), ledger)
    wrong = Change(ledger.changes[6].ts, 1.0, 0.0, "INSERT")
    stream.receive(event(6, wrong), ledger)
    result = reconcile([stream], {7: ledger})
    assert not result.clean
    assert (result.lost, result.duplicated, result.out_of_order, result.gaps) == (1, 1, 1, 1)
    assert result.mismatched == 1


def test_a_value_checked_once_its_write_is_acknowledged() -> None:
    """Events usually arrive before the write's answer: they are checked afterwards."""
    ledger = ledger_of(2)
    early = Change(T0 + timedelta(minutes=3), 103.0, 0.0, "INSERT")
    stream = Stream(7, after=2, live=True)
    stream.receive(event(3, Change(early.ts, 99.0, 0.0, "INSERT")), ledger)  # not yet answered
    ledger.changes[3], ledger.last_seq = early, 3
    result = reconcile([stream], {7: ledger})
    assert result.mismatched == 1


def test_a_resumed_stream_may_skip_only_what_a_revision_rewrote() -> None:
    ledger = ledger_of(4)
    revised = ledger.changes[2]
    ledger.changes[5] = Change(revised.ts, 200.0, 0.0, "REVISION")
    ledger.last_seq = 5
    resumed = Stream(7, after=1, live=False)
    for seq in (3, 4, 5):  # 2 was rewritten by 5: a replay sends the point once, at 5
        resumed.receive(event(seq, ledger.changes[seq]), ledger)
    assert reconcile([resumed], {7: ledger}).clean
    skipped = Stream(7, after=1, live=False)
    for seq in (2, 4, 5):  # 3 was not rewritten: lost
        skipped.receive(event(seq, ledger.changes[seq]), ledger)
    assert reconcile([skipped], {7: ledger}).lost == 1
