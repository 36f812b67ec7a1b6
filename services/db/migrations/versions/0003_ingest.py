"""Quarantine for rejected rows and the revision history of changed points.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('performance','benchmark')", name="ck_quarantine_kind"),
    )
    op.create_index("ix_quarantine_kind_entity", "quarantine", ["kind", "entity", "received_at"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("old", postgresql.JSONB(), nullable=False),
        sa.Column("new", postgresql.JSONB(), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column(
            "revised_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('performance','benchmark')", name="ck_revisions_kind"),
    )
    op.create_index("ix_revisions_kind_entity_ts", "revisions", ["kind", "entity_id", "ts"])


def downgrade() -> None:
    op.drop_table("revisions")
    op.drop_table("quarantine")
