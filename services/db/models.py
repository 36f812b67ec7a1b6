"""SQLAlchemy models: the tables the Alembic migrations create."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Benchmark(Base):
    __tablename__ = "benchmarks"
    __table_args__ = (
        CheckConstraint("kind IN ('EQUITY_INDEX','BOND_INDEX','CASH','BLEND')", name="kind"),
        CheckConstraint("return_basis IN ('PRICE','TOTAL_RETURN')", name="return_basis"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    return_basis: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    rebalance: Mapped[str | None] = mapped_column(String(16), nullable=True)
    calendar: Mapped[str] = mapped_column(String(16), server_default="XNYS")
    stale_after_s: Mapped[int] = mapped_column(Integer, server_default=str(26 * 3600))
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Strategy(Base):
    __tablename__ = "strategies"
    __table_args__ = (CheckConstraint("status IN ('ACTIVE','PAUSED','CLOSED')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    asset_class: Mapped[str] = mapped_column(String(50))
    base_currency: Mapped[str] = mapped_column(String(3))
    benchmark_id: Mapped[int | None] = mapped_column(ForeignKey("benchmarks.id"), nullable=True)
    inception_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), server_default="ACTIVE")
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PerformancePoint(Base):
    __tablename__ = "performance_points"
    __table_args__ = (
        CheckConstraint("nav > 0 AND nav < 'Infinity'::float8", name="nav_positive"),
        CheckConstraint("nav - cash_flow > 0", name="value_before_flow_positive"),
        CheckConstraint(
            "cash_flow > '-Infinity'::float8 AND cash_flow < 'Infinity'::float8",
            name="cash_flow_finite",
        ),
        Index("ix_performance_points_strategy_seq", "strategy_id", "seq"),
    )

    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("strategies.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    nav: Mapped[float] = mapped_column(Double)
    cash_flow: Mapped[float] = mapped_column(Double, server_default="0")
    seq: Mapped[int] = mapped_column(BigInteger)


class BenchmarkPrice(Base):
    __tablename__ = "benchmark_prices"
    __table_args__ = (
        CheckConstraint("level > 0 AND level < 'Infinity'::float8", name="level_positive"),
        Index("ix_benchmark_prices_benchmark_seq", "benchmark_id", "seq"),
    )

    benchmark_id: Mapped[int] = mapped_column(
        ForeignKey("benchmarks.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    level: Mapped[float] = mapped_column(Double)
    seq: Mapped[int] = mapped_column(BigInteger)


class Quarantine(Base):
    """Incoming rows that failed validation, kept with the reason."""

    __tablename__ = "quarantine"
    __table_args__ = (
        CheckConstraint("kind IN ('performance','benchmark')", name="kind"),
        Index("ix_quarantine_kind_entity", "kind", "entity", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Revision(Base):
    """The previous values of a point whose value changed, with the change's sequence number."""

    __tablename__ = "revisions"
    __table_args__ = (
        CheckConstraint("kind IN ('performance','benchmark')", name="kind"),
        Index("ix_revisions_kind_entity_ts", "kind", "entity_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(BigInteger)
    old: Mapped[dict[str, Any]] = mapped_column(JSONB)
    new: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(100))
    revised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiKey(Base):
    """A partner's API key: only the SHA-256 of the secret is stored (see services/auth.py)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StrategyGrant(Base):
    """A strategy another account (a partner) may read."""

    __tablename__ = "strategy_grants"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("strategies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersistedQuery(Base):
    """A registered GraphQL document: the allow-list partners are held to."""

    __tablename__ = "persisted_queries"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
