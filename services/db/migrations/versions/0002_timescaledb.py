"""Hypertables for the two series tables where the timescaledb extension is available.

Revision ID: 0002
Revises: 0001

A no-op on plain PostgreSQL (the tested path). With TimescaleDB installed on the server,
``performance_points`` and ``benchmark_prices`` become hypertables partitioned on ``ts``;
their primary keys already include ``ts``, as hypertables require.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("performance_points", "benchmark_prices")


def upgrade() -> None:
    bind = op.get_bind()
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).scalar()
    if not available:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    for table in TABLES:
        op.execute(
            f"SELECT create_hypertable('{table}', by_range('ts', INTERVAL '90 days'),"
            " migrate_data => true, if_not_exists => true)"
        )


def downgrade() -> None:
    # Converting a hypertable back to a plain table is a dump and reload; not automated.
    pass
