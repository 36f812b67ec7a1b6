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

Other fields are ignored. A batch is grouped by strategy and each strategy's rows go
through :func:`services.ingest.ingest` (validation, one transaction, sequence numbers,
revisions, publish after commit). Within a batch, later entries for the same strategy and
timestamp supersede earlier ones, as they would have if applied one by one. Entries that
cannot be parsed or name an unknown strategy are quarantined with the reason; rows that
parse but fail validation are quarantined by the ingest path. Either way they are then
acknowledged: a bad entry is recorded, never retried forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.ingest import PERFORMANCE, ingest, quarantine_raw
from services.resources import Resources
from services.strategies import strategies_by_ids
from services.stream_consumer import StreamEntry
from services.validation import IncomingRow

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


def _payload(entry: StreamEntry) -> dict[str, object]:
    return {"entry_id": entry.id, "fields": entry.fields}


async def apply_performance_entries(resources: Resources, entries: Sequence[StreamEntry]) -> None:
    """Store a batch of entries (see module docs); returns once all of it is committed."""
    parsed = [(entry, parse_entry(entry)) for entry in entries]
    bad = [
        (e.fields.get("strategy_id", ""), p, _payload(e)) for e, p in parsed if isinstance(p, str)
    ]
    good = [(e, p) for e, p in parsed if not isinstance(p, str)]
    async with resources.sessions() as session:
        known = await strategies_by_ids(session, sorted({sid for _, (sid, _) in good}))
    rows: dict[int, dict[datetime, IncomingRow]] = {}
    for entry, (strategy_id, row) in good:
        if strategy_id not in known:
            bad.append(
                (str(strategy_id), f"strategy {strategy_id} does not exist", _payload(entry))
            )
        else:  # in stream order, so a later entry for the same timestamp supersedes
            rows.setdefault(strategy_id, {})[row.ts] = row
    if bad:
        async with resources.engine.begin() as conn:
            await quarantine_raw(conn, "performance", SOURCE, bad)
    for strategy_id, by_ts in sorted(rows.items()):
        rows_in = list(by_ts.values())
        await ingest(resources, PERFORMANCE, strategy_id, str(strategy_id), rows_in, source=SOURCE)


async def dead_letter_performance(resources: Resources, entry: StreamEntry, reason: str) -> None:
    entity = entry.fields.get("strategy_id", "")
    async with resources.engine.begin() as conn:
        await quarantine_raw(conn, "performance", SOURCE, [(entity, reason, _payload(entry))])
