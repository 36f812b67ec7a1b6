"""Migration state for readiness: current, behind (not migrated) or ahead (a newer release)."""

from __future__ import annotations

from sqlalchemy import text

from services.db.migrate import _state, migration_state
from services.resources import Resources


async def test_the_session_database_is_current(resources: Resources) -> None:
    state = await migration_state(resources.engine)
    assert state.status == "current"
    assert state.current == state.head


async def test_behind_and_ahead_are_told_apart(resources: Resources) -> None:
    async with resources.engine.connect() as conn:  # rolled back: the database is unchanged
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        behind = await conn.run_sync(_state)
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        ahead = await conn.run_sync(_state)
        await conn.rollback()
    assert (behind.status, behind.current) == ("behind", "0001")
    assert (ahead.status, ahead.current) == ("ahead", "9999_future")
    assert (await migration_state(resources.engine)).status == "current"
