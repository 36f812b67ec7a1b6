"""The soak's bookkeeping (pure): what each write should do, and whether every subscriber
received every acknowledged change of its strategies once, in order, with its values.

A :class:`Ledger` is one strategy's writer's model of what is stored. Before a write it
predicts the server's answer (:meth:`Ledger.predict`: new, revised, unchanged, duplicate and
rejected rows, and the changes in the order they take sequence numbers); after the answer it
checks the counts and assigns the sequence numbers (:meth:`Ledger.acknowledge`). Only one
writer writes a strategy, so each write's changes take the numbers right after the previous
write's.

A :class:`Stream` is what one subscription received for one strategy. A live stream (started
before the writes, no replay) must see every sequence number after its cursor, consecutively;
a resumed one (``afterSeq``) may skip numbers whose point a later change rewrote.
:func:`reconcile` compares the streams with the ledgers once the writes have stopped.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Row:
    ts: datetime
    nav: float
    cash_flow: float = 0.0

    def variables(self) -> dict[str, Any]:
        return {"timestamp": self.ts.isoformat(), "nav": self.nav, "cashFlow": self.cash_flow}


@dataclass(frozen=True)
class Change:
    ts: datetime
    nav: float
    cash_flow: float
    kind: str  # INSERT | REVISION


@dataclass(frozen=True)
class Prediction:
    inserted: int
    revised: int
    unchanged: int
    duplicates: int
    rejected: tuple[int, ...]  # indices of the rows, as sent
    changes: tuple[Change, ...]  # in the order they take sequence numbers


@dataclass(frozen=True)
class Sent:
    at: float  # time.perf_counter() when the write was sent
    kind: str  # which kind of write (bench/_soak_writes.py)


@dataclass
class Ledger:
    """One strategy, as its (only) writer has stored it."""

    strategy_id: int
    last_seq: int  # the last acknowledged sequence number
    stored: dict[datetime, tuple[float, float]] = field(default_factory=dict)
    changes: dict[int, Change] = field(default_factory=dict)  # seq -> what it changed
    sent: dict[int, Sent] = field(default_factory=dict)  # seq -> its write
    in_flight: Sent | None = None  # a write sent and not yet answered

    def predict(self, rows: list[Row], invalid: set[int]) -> Prediction:
        """The answer to writing ``rows``, of which the rows at ``invalid`` break a rule."""
        by_ts: dict[datetime, list[Row]] = {}
        for index, row in enumerate(rows):
            if index not in invalid:
                by_ts.setdefault(row.ts, []).append(row)
        duplicates = unchanged = 0
        changes: list[Change] = []
        for ts in sorted(by_ts):
            group = by_ts[ts]
            if len({(r.nav, r.cash_flow) for r in group}) > 1:
                raise ValueError(f"rows for {ts} disagree: list them as invalid")
            duplicates += len(group) - 1
            row = group[0]
            before = self.stored.get(ts)
            if before == (row.nav, row.cash_flow):
                unchanged += 1
            else:
                kind = "INSERT" if before is None else "REVISION"
                changes.append(Change(ts, row.nav, row.cash_flow, kind))
        inserted = sum(c.kind == "INSERT" for c in changes)
        return Prediction(
            inserted=inserted,
            revised=len(changes) - inserted,
            unchanged=unchanged,
            duplicates=duplicates,
            rejected=tuple(sorted(invalid)),
            changes=tuple(changes),
        )

    def acknowledge(self, predicted: Prediction, answer: dict[str, Any], sent: Sent) -> list[str]:
        """Check a ``PerformanceRecorded`` answer; record its changes. Returns the problems."""
        problems = []
        got = {
            "inserted": answer["inserted"],
            "revised": answer["revised"],
            "unchanged": answer["unchanged"],
            "duplicates": answer["duplicates"],
            "rejected": tuple(r["index"] for r in answer["rejected"]),
        }
        wanted = {name: getattr(predicted, name) for name in got}
        if got != wanted:
            problems.append(f"strategy {self.strategy_id}: answered {got}, expected {wanted}")
        first = answer["lastSeq"] - len(predicted.changes) + 1
        if predicted.changes and first != self.last_seq + 1:
            problems.append(
                f"strategy {self.strategy_id}: changes numbered from {first},"
                f" expected {self.last_seq + 1}"
            )
        for seq, change in enumerate(predicted.changes, start=first):
            self.changes[seq] = change
            self.sent[seq] = sent
            self.stored[change.ts] = (change.nav, change.cash_flow)
        self.last_seq = max(self.last_seq, answer["lastSeq"])
        self.in_flight = None
        return problems

    def superseded(self, seq: int) -> bool:
        """A later change rewrote this one's point (a replay then skips ``seq``)."""
        change = self.changes.get(seq)
        return change is not None and any(
            later > seq and c.ts == change.ts for later, c in self.changes.items()
        )


@dataclass
class Stream:
    """One subscription's events for one strategy."""

    strategy_id: int
    after: int  # the cursor: events are expected from after + 1
    live: bool  # True: consecutive numbers required; False: resumed, may skip rewritten ones
    seqs: array[int] = field(default_factory=lambda: array("q"))
    unchecked: list[tuple[int, str, float, float, str]] = field(default_factory=list)
    out_of_order: int = 0  # a number at or below the previous one
    gaps: int = 0  # live streams: a number beyond the next one
    mismatched: list[str] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.seqs[-1] if self.seqs else self.after

    def receive(self, event: dict[str, Any], ledger: Ledger) -> None:
        """Record a ``PerformanceUpdate`` (a dict as sent), checking order at once and its
        values as soon as its write is acknowledged."""
        seq = event["seq"]
        if seq <= self.last:
            self.out_of_order += 1
        elif self.live and seq != self.last + 1:
            self.gaps += 1
        self.seqs.append(seq)
        point = event["point"]
        self.unchecked.append(
            (seq, point["timestamp"], point["nav"], point["cashFlow"], event["kind"])
        )
        if seq <= ledger.last_seq:
            self.check(ledger)

    def check(self, ledger: Ledger) -> None:
        """Compare the received values of acknowledged changes with what was written."""
        waiting = []
        for item in self.unchecked:
            seq, ts, nav, cash_flow, kind = item
            change = ledger.changes.get(seq)
            if change is None:
                if seq > ledger.last_seq:
                    waiting.append(item)
                continue  # never acknowledged: counted as unexpected by reconcile
            if (
                datetime.fromisoformat(ts) != change.ts
                or nav != change.nav
                or cash_flow != change.cash_flow
                or kind != change.kind
            ):
                self.mismatched.append(
                    f"strategy {self.strategy_id} seq {seq}: got {(ts, nav, cash_flow, kind)},"
                    f" wrote {change}"
                )
        self.unchecked = waiting


@dataclass
class Reconciliation:
    streams: int = 0
    delivered: int = 0
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    gaps: int = 0
    unexpected: int = 0  # numbers no acknowledged write produced
    mismatched: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.out_of_order
            or self.gaps
            or self.unexpected
            or self.mismatched
        )


def reconcile(streams: list[Stream], ledgers: dict[int, Ledger]) -> Reconciliation:
    """Every acknowledged change after a stream's cursor, up to the last the stream should
    have (the ledger's last for a live stream, the stream's own last for a resumed one that
    left early), delivered once; nothing delivered that was not written."""
    result = Reconciliation()
    for stream in streams:
        ledger = ledgers[stream.strategy_id]
        stream.check(ledger)
        result.streams += 1
        received = set(stream.seqs)
        result.delivered += len(stream.seqs)
        result.duplicated += len(stream.seqs) - len(received)
        result.out_of_order += stream.out_of_order
        result.gaps += stream.gaps
        end = ledger.last_seq if stream.live else stream.last
        expected = [s for s in range(stream.after + 1, end + 1) if s in ledger.changes]
        missing = [
            s for s in expected if s not in received and (stream.live or not ledger.superseded(s))
        ]
        unexpected = sorted(s for s in received if s not in ledger.changes)
        result.expected += len(expected)
        result.lost += len(missing)
        result.unexpected += len(unexpected)
        result.mismatched += len(stream.mismatched)
        where = f"strategy {stream.strategy_id} after {stream.after}"
        if missing:
            result.problems.append(f"{where}: lost {len(missing)}, first {missing[:5]}")
        if unexpected:
            result.problems.append(f"{where}: unexpected {unexpected[:5]}")
        result.problems += stream.mismatched[:3]
    return result
