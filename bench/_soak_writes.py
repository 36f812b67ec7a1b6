"""The soak's writers: NAV points recorded through the ``recordPerformance`` mutation.

One writer per strategy, at a steady rate, in a fixed rotation of ten writes: seven single
new points, one bulk write (``BULK_ROWS`` new points), one with rows that break the rules
(rejected with a reason per row: an expected outcome, counted, not an error) and one that
revises an earlier point, repeats a stored one unchanged and sends a row twice. Each answer
is checked against the writer's prediction (``bench/_soak_ledger.py``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from bench._soak_ledger import Ledger, Row, Sent

RECORD = """
mutation RecordPerformance($id: ID!, $points: [PerformancePointInput!]!) {
  recordPerformance(strategyId: $id, points: $points) {
    __typename
    ... on PerformanceRecorded {
      inserted revised unchanged duplicates lastSeq rejected { index field reason }
    }
    ... on ValidationError { message field }
    ... on NotFoundError { message }
  }
}
"""
STEP = timedelta(seconds=10)  # between a strategy's consecutive new points
BULK_ROWS = 100
ROTATION = (
    *("write", "write", "write", "write", "write-invalid"),
    *("write", "write", "write-revision", "write", "write-bulk"),
)


@dataclass
class WriteCounts:
    writes: int = 0
    rows: int = 0
    changes: int = 0
    rejected: int = 0  # rows refused with a reason, as intended


Record = Callable[[str, float], None]  # (operation, latency ms)
Fail = Callable[[str], None]


class Writer:
    """Makes one strategy's writes and keeps its ledger."""

    def __init__(self, ledger: Ledger, first_ts: datetime, seed: int) -> None:
        self.ledger = ledger
        self.next_ts = first_ts
        self.nav = 1000.0
        self.n = 0
        self.rng = random.Random(seed)

    def new_rows(self, count: int) -> list[Row]:
        rows = []
        for _ in range(count):
            self.nav = round(self.nav * (1 + self.rng.gauss(0.0, 0.002)), 4)
            flow = round(self.nav * 0.05, 4) if self.rng.random() < 0.02 else 0.0
            rows.append(Row(self.next_ts, self.nav, flow))
            self.next_ts += STEP
        if self.next_ts > datetime.now(UTC):
            raise RuntimeError("the writer has caught up with the clock: start it earlier")
        return rows

    def batch(self) -> tuple[str, list[Row], set[int]]:
        """The next write: (operation, rows, indices of the rows that break a rule)."""
        kind = ROTATION[self.n % len(ROTATION)]
        self.n += 1
        stored = sorted(self.ledger.stored)
        if kind == "write-bulk":
            return kind, self.new_rows(BULK_ROWS), set()
        if kind == "write-invalid":
            good = self.new_rows(2)
            ts = self.new_rows(1)[0].ts
            bad = [
                Row(self.next_ts, -5.0),  # NAV below zero
                Row(self.next_ts + STEP / 2, 0.0),  # NAV zero
                Row(datetime.now(UTC) + timedelta(days=1), 1000.0),  # in the future
                Row(self.next_ts + STEP / 3, 100.0, 100.0),  # nothing before the flow
                Row(ts, 1000.0),  # two rows for one timestamp that disagree
                Row(ts, 1001.0),
            ]
            rows = [good[0], *bad[:3], good[1], *bad[3:]]
            return kind, rows, {1, 2, 3, 5, 6, 7}
        if kind == "write-revision" and len(stored) >= 2:
            revised_ts, same_ts = self.rng.sample(stored, 2)
            nav, flow = self.ledger.stored[revised_ts]
            new = self.new_rows(1)[0]
            rows = [Row(revised_ts, round(nav * 1.001, 4), flow), new]
            rows += [Row(same_ts, *self.ledger.stored[same_ts]), new]
            return kind, rows, set()
        return "write", self.new_rows(1), set()


async def write(
    client: httpx.AsyncClient, writer: Writer, counts: WriteCounts, record: Record, fail: Fail
) -> None:
    """One write, its answer checked against the prediction."""
    kind, rows, invalid = writer.batch()
    counts.writes += 1
    counts.rows += len(rows)
    ledger = writer.ledger
    predicted = ledger.predict(rows, invalid)
    variables = {"id": str(ledger.strategy_id), "points": [r.variables() for r in rows]}
    sent = ledger.in_flight = Sent(time.perf_counter(), kind)
    try:
        response = await client.post("/graphql", json={"query": RECORD, "variables": variables})
        body = response.json()
    except Exception as exc:
        fail(f"{kind}: {exc!r}")
        return
    finally:
        record(kind, (time.perf_counter() - sent.at) * 1000)
    answer = (body.get("data") or {}).get("recordPerformance") or {}
    if response.status_code != 200 or "errors" in body:
        fail(f"{kind}: HTTP {response.status_code} {body.get('errors')}")
        return
    if answer.get("__typename") != "PerformanceRecorded":
        fail(f"{kind}: {answer}")
        return
    for problem in ledger.acknowledge(predicted, answer, sent):
        fail(f"{kind}: {problem}")
    counts.changes += len(predicted.changes)
    counts.rejected += len(answer["rejected"])


async def write_loop(
    client: httpx.AsyncClient,
    writer: Writer,
    counts: WriteCounts,
    record: Record,
    fail: Fail,
    end: float,
    per_second: float,
) -> None:
    """Writes on an absolute schedule; a late write is not made up with a burst."""
    interval = 1 / per_second
    next_at = time.monotonic() + writer.rng.random() * interval
    while next_at < end:
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await write(client, writer, counts, record, fail)
        next_at = max(next_at + interval, time.monotonic() - interval)
