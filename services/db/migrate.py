"""Run the Alembic migrations from async code, one replica at a time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works: it only has to be the same for every replica.
_LOCK_KEY = 7_301_955_210


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    command.upgrade(alembic_config(connection), "head")


def _is_current(connection: Connection) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    current = MigrationContext.configure(connection).get_current_revision()
    return current == head


async def migrate(engine: AsyncEngine) -> None:
    """Upgrade the database to the newest revision (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database is at the newest revision."""
    async with engine.connect() as conn:
        return await conn.run_sync(_is_current)


@dataclass(frozen=True)
class MigrationState:
    current: str | None
    head: str
    status: Literal["current", "behind", "ahead"]


@lru_cache(maxsize=1)
def _known_revisions() -> tuple[str, frozenset[str]]:
    """This code's head and every revision it knows (read once: readiness asks often)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    assert head is not None, "no migrations found"
    return head, frozenset(r.revision for r in scripts.walk_revisions())


def _state(connection: Connection) -> MigrationState:
    head, known = _known_revisions()
    # Read directly: alembic's MigrationContext logs two lines per call, and readiness polls.
    exists = connection.execute(text("SELECT to_regclass('alembic_version')")).scalar()
    current = (
        connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if exists
        else None
    )
    if current == head:
        return MigrationState(current, head, "current")
    # A revision this code does not know was written by a newer release during a rolling
    # deploy; migrations are additive, so this replica keeps serving.
    status: Literal["behind", "ahead"] = (
        "behind" if current is None or current in known else "ahead"
    )
    return MigrationState(current, head, status)


async def migration_state(engine: AsyncEngine) -> MigrationState:
    """Where the database stands against the migrations this code ships."""
    async with engine.connect() as conn:
        return await conn.run_sync(_state)
