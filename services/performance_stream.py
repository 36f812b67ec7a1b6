"""The execution engine's performance stream: entry format and how entries are applied.

One entry is one NAV observation (``XADD pg:stream:performance * field value ...``):

=============  ========  ==============================================================
field          required  value
=============  ========  ==============================================================
strategy_id    yes       the strategy's id, a decimal integer
ts             yes       ISO-8601 timestamp with a UTC offset (``Z`` accepted)
nav            yes       NAV after any cash flow at ``ts``, a decimal number above zero
cash_flow      no        external flow at ``ts`` (+ subscription, - redemption); default 0
=============  ========  ==============================================================

Other fields are ignored. :class:`PerformanceStream` is this stream's handler: the
consumer (:mod:`services.streams`) gives it a batch in one transaction with the entries'
receipts; it groups the batch by strategy and stores each strategy's rows through the
ingest path (validation, sequence numbers, revisions; events published after the commit).
Within a batch, later entries for the same strategy and timestamp supersede earlier ones,
as they would have if applied one by one. Entries that cannot be parsed or name an unknown
strategy are quarantined with the reason, as are rows that parse but fail validation;
either way they are acknowledged: a bad entry is recorded, never retried forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services import keys
from services.ingest import PERFORMANCE, Kind, dependency, quarantine_raw, store_rows
from services.strategies import strategies_by_ids
from services.streams import Batch, StreamEntry
from services.validation import IncomingRow, validate_rows

SOURCE = "stream:performance"


def parse_entry(entry: StreamEntry) -> tuple[int, IncomingRow] | str:
    """The strategy id and row of an entry, or the reason it is malformed."""
    fields = entry.fields
    missing = [f for f in ("strategy_id", "ts", "nav") if not fields.get(f)]
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    try:
        strategy_id = int(fields["strategy_id"])
    except ValueError:
        return f"strategy_id must be an integer, got {fields['strategy_id']!r}"
    try:
        ts = datetime.fromisoformat(fields["ts"])
    except ValueError:
        return f"ts must be an ISO-8601 timestamp, got {fields['ts']!r}"
    try:
        nav = float(fields["nav"])
        cash_flow = float(fields.get("cash_flow") or 0.0)
    except ValueError:
        return "nav and cash_flow must be decimal numbers"
    return strategy_id, IncomingRow(ts, nav, cash_flow)


@dataclass(frozen=True)
class PerformanceStream:
    """The execution engine's stream of NAV points, read in the ingest group."""

    stream: str = field(default_factory=keys.performance_stream)
    group: str = field(default_factory=keys.ingest_group)
    kind: Kind = "performance"
    source: str = SOURCE

    def entity(self, entry: StreamEntry) -> str:
        return entry.fields.get("strategy_id", "")

    async def apply(self, batch: Batch, entries: Sequence[StreamEntry]) -> None:
        rows, bad = await self._sort(batch, entries)
        await quarantine_raw(batch.conn, self.kind, self.source, bad)
        await _store(batch, rows, source=self.source)

    async def _sort(
        self, batch: Batch, entries: Sequence[StreamEntry]
    ) -> tuple[dict[int, list[IncomingRow]], list[tuple[str, str, dict[str, str]]]]:
        """Rows per known strategy, in stream order (a later entry for the same timestamp
        supersedes), and the entries to quarantine with their reasons."""
        parsed = [(entry, parse_entry(entry)) for entry in entries]
        bad = [(self.entity(e), p, e.payload()) for e, p in parsed if isinstance(p, str)]
        good = [(e, p) for e, p in parsed if not isinstance(p, str)]
        known = await strategies_by_ids(batch.conn, sorted({sid for _, (sid, _) in good}))
        rows: dict[int, dict[datetime, IncomingRow]] = {}
        for entry, (sid, row) in good:
            if sid in known:
                rows.setdefault(sid, {})[row.ts] = row
            else:
                bad.append((str(sid), f"strategy {sid} does not exist", entry.payload()))
        return {sid: list(by_ts.values()) for sid, by_ts in rows.items()}, bad


async def _store(batch: Batch, rows: dict[int, list[IncomingRow]], *, source: str) -> None:
    """Each strategy's rows, in id order (concurrent batches lock strategies alike)."""
    now = datetime.now(UTC)
    checked = {sid: validate_rows(rows[sid], now=now) for sid in sorted(rows)}
    await batch.depend([dependency(PERFORMANCE, sid) for sid, c in checked.items() if c.accepted])
    for sid, valid in checked.items():
        await store_rows(batch, PERFORMANCE, sid, str(sid), valid, source=source)
