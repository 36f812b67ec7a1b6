"""Feeds: per-benchmark feed configuration and state, data warnings, stream receipts.

Revision ID: 0005
Revises: 0004

``benchmark_prices.received_at`` records when each level arrived (rows stored before this
revision have none). ``benchmarks.cadence`` says whether levels come once per session or
throughout it; ``benchmarks.jump_threshold`` overrides the kind's default jump warning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def _benchmark_columns() -> None:
    op.add_column(
        "benchmarks", sa.Column("cadence", sa.String(16), server_default="DAILY", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_benchmarks_cadence"), "benchmarks", "cadence IN ('DAILY','INTRADAY')"
    )
    op.add_column("benchmarks", sa.Column("jump_threshold", sa.Double(), nullable=True))
    op.create_check_constraint(
        op.f("ck_benchmarks_jump_threshold"), "benchmarks", "jump_threshold > 0"
    )
    # Added without a default first, so existing rows stay NULL (arrival unknown).
    op.add_column(
        "benchmark_prices", sa.Column("received_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.alter_column("benchmark_prices", "received_at", server_default=_now())


def _feeds() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "benchmark_id",
            sa.Integer(),
            sa.ForeignKey("benchmarks.id", ondelete="CASCADE", name=op.f("fk_feeds_benchmark_id")),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("format", sa.String(16), server_default="auto", nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=True),
        sa.Column("timeout_s", sa.Double(), server_default="10", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("kind IN ('stream','http','file')", name=op.f("ck_feeds_kind")),
        sa.CheckConstraint(
            "format IN ('auto','stooq','fred','perfgraph','json')", name=op.f("ck_feeds_format")
        ),
        sa.CheckConstraint(
            "kind <> 'http' OR (url IS NOT NULL AND interval_s > 0)", name=op.f("ck_feeds_http")
        ),
        sa.CheckConstraint("timeout_s > 0", name=op.f("ck_feeds_timeout")),
        sa.UniqueConstraint("benchmark_id", "kind", name=op.f("uq_feeds_benchmark_id")),
    )


def _feed_state() -> None:
    counters = ("received", "inserted", "revised", "unchanged", "rejected", "flagged")
    op.create_table(
        "feed_state",
        sa.Column(
            "feed_id",
            sa.Integer(),
            sa.ForeignKey("feeds.id", ondelete="CASCADE", name=op.f("fk_feed_state_feed_id_feeds")),
            primary_key=True,
        ),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        *(sa.Column(c, sa.BigInteger(), server_default="0", nullable=False) for c in counters),
        sa.Column("not_modified", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )


def _warnings_and_receipts() -> None:
    op.create_table(
        "feed_warnings",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "benchmark_id",
            sa.Integer(),
            sa.ForeignKey(
                "benchmarks.id", ondelete="CASCADE", name=op.f("fk_feed_warnings_benchmark_id")
            ),
            nullable=False,
        ),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('JUMP','MISSING_SESSIONS')", name=op.f("ck_feed_warnings_kind")
        ),
    )
    op.create_index(
        "ix_feed_warnings_benchmark_id", "feed_warnings", ["benchmark_id", "recorded_at"]
    )
    op.create_table(
        "stream_receipts",
        sa.Column("stream", sa.String(100), primary_key=True),
        sa.Column("entry_id", sa.String(48), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )
    op.create_index("ix_stream_receipts_received_at", "stream_receipts", ["received_at"])


def upgrade() -> None:
    _benchmark_columns()
    _feeds()
    _feed_state()
    _warnings_and_receipts()


def downgrade() -> None:
    op.drop_table("stream_receipts")
    op.drop_table("feed_warnings")
    op.drop_table("feed_state")
    op.drop_table("feeds")
    op.drop_column("benchmark_prices", "received_at")
    op.drop_constraint("ck_benchmarks_jump_threshold", "benchmarks")
    op.drop_column("benchmarks", "jump_threshold")
    op.drop_constraint(op.f("ck_benchmarks_cadence"), "benchmarks")
    op.drop_column("benchmarks", "cadence")
