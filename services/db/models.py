"""SQLAlchemy models: the tables the Alembic migrations create."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    UniqueConstraint,
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
        CheckConstraint("cadence IN ('DAILY','INTRADAY')", name="cadence"),
        CheckConstraint("jump_threshold > 0", name="jump_threshold"),
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
    cadence: Mapped[str] = mapped_column(String(16), server_default="DAILY")
    # NULL: the default of the benchmark's kind (services.feeds.checks.DEFAULT_JUMP)
    jump_threshold: Mapped[float | None] = mapped_column(Double, nullable=True)


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
    received_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=True
    )


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


class Feed(Base):
    """Where a benchmark's levels come from: the market-data stream, an HTTP poll, files."""

    __tablename__ = "feeds"
    __table_args__ = (
        CheckConstraint("kind IN ('stream','http','file')", name="kind"),
        CheckConstraint("format IN ('auto','stooq','fred','perfgraph','json')", name="format"),
        CheckConstraint("kind <> 'http' OR (url IS NOT NULL AND interval_s > 0)", name="http"),
        CheckConstraint("timeout_s > 0", name="timeout"),
        UniqueConstraint("benchmark_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    format: Mapped[str] = mapped_column(String(16), server_default="auto")
    interval_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timeout_s: Mapped[float] = mapped_column(Double, server_default="10")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FeedState(Base):
    """What a feed last delivered, when, and what went wrong; HTTP validators for polling."""

    __tablename__ = "feed_state"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    received: Mapped[int] = mapped_column(BigInteger, server_default="0")
    inserted: Mapped[int] = mapped_column(BigInteger, server_default="0")
    revised: Mapped[int] = mapped_column(BigInteger, server_default="0")
    unchanged: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rejected: Mapped[int] = mapped_column(BigInteger, server_default="0")
    flagged: Mapped[int] = mapped_column(BigInteger, server_default="0")
    not_modified: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FeedWarning(Base):
    """Stored data that looks suspicious: a jump beyond the threshold, missing sessions."""

    __tablename__ = "feed_warnings"
    __table_args__ = (
        CheckConstraint("kind IN ('JUMP','MISSING_SESSIONS')", name="kind"),
        Index("ix_feed_warnings_benchmark_id", "benchmark_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"))
    ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class StreamReceipt(Base):
    """Stream entries already applied, written in the applying transaction (exactly once)."""

    __tablename__ = "stream_receipts"
    __table_args__ = (Index("ix_stream_receipts_received_at", "received_at"),)

    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


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
