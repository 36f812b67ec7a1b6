"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "benchmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("return_basis", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "components",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("rebalance", sa.String(length=16), nullable=True),
        sa.Column("calendar", sa.String(length=16), server_default="XNYS", nullable=False),
        sa.Column("stale_after_s", sa.Integer(), server_default="93600", nullable=False),
        sa.Column("last_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "kind IN ('EQUITY_INDEX','BOND_INDEX','CASH','BLEND')", name=op.f("ck_benchmarks_kind")
        ),
        sa.CheckConstraint(
            "return_basis IN ('PRICE','TOTAL_RETURN')", name=op.f("ck_benchmarks_return_basis")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmarks")),
        sa.UniqueConstraint("symbol", name=op.f("uq_benchmarks_symbol")),
    )
    op.create_table(
        "benchmark_prices",
        sa.Column("benchmark_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.Double(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "level > 0 AND level < 'Infinity'::float8",
            name=op.f("ck_benchmark_prices_level_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["benchmark_id"],
            ["benchmarks.id"],
            name=op.f("fk_benchmark_prices_benchmark_id_benchmarks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("benchmark_id", "ts", name=op.f("pk_benchmark_prices")),
    )
    op.create_index(
        "ix_benchmark_prices_benchmark_seq",
        "benchmark_prices",
        ["benchmark_id", "seq"],
        unique=False,
    )
    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("asset_class", sa.String(length=50), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("benchmark_id", sa.Integer(), nullable=True),
        sa.Column("inception_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="ACTIVE", nullable=False),
        sa.Column("last_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('ACTIVE','PAUSED','CLOSED')", name=op.f("ck_strategies_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_strategies_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["benchmark_id"], ["benchmarks.id"], name=op.f("fk_strategies_benchmark_id_benchmarks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("slug", name=op.f("uq_strategies_slug")),
    )
    op.create_index(op.f("ix_strategies_account_id"), "strategies", ["account_id"], unique=False)
    op.create_table(
        "performance_points",
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nav", sa.Double(), nullable=False),
        sa.Column("cash_flow", sa.Double(), server_default="0", nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "nav > 0 AND nav < 'Infinity'::float8", name=op.f("ck_performance_points_nav_positive")
        ),
        sa.CheckConstraint(
            "nav - cash_flow > 0", name=op.f("ck_performance_points_value_before_flow_positive")
        ),
        sa.CheckConstraint(
            "cash_flow > '-Infinity'::float8 AND cash_flow < 'Infinity'::float8",
            name=op.f("ck_performance_points_cash_flow_finite"),
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_performance_points_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("strategy_id", "ts", name=op.f("pk_performance_points")),
    )
    op.create_index(
        "ix_performance_points_strategy_seq",
        "performance_points",
        ["strategy_id", "seq"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index("ix_performance_points_strategy_seq", table_name="performance_points")
    op.drop_table("performance_points")
    op.drop_index(op.f("ix_strategies_account_id"), table_name="strategies")
    op.drop_table("strategies")
    op.drop_index("ix_benchmark_prices_benchmark_seq", table_name="benchmark_prices")
    op.drop_table("benchmark_prices")
    op.drop_table("benchmarks")
    op.drop_table("accounts")
