"""Settings, read from ``PERFGRAPH_*`` environment variables and validated at start-up."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.errors import ConfigurationError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    AUTO = "auto"  # JSON in production, readable text elsewhere
    JSON = "json"
    TEXT = "text"


class Settings(BaseSettings):
    """Every setting perfgraph reads. See README.md, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="PERFGRAPH_", extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    database_url: str | None = Field(
        default=None, description="postgresql+asyncpg://...; unset starts the embedded server"
    )
    redis_url: str | None = Field(
        default=None, description="redis://...; unset starts the embedded server"
    )
    data_dir: Path = Field(default=Path(".perfgraph"), description="embedded servers' data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100)
    redis_timeout_s: float = Field(default=0.5, gt=0, le=30)
    max_page_size: int = Field(default=100, ge=1, le=10_000)
    default_page_size: int = Field(default=20, ge=1)
    load_demo: bool = Field(default=True, description="load the demo data into an empty database")
    db_connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    db_pool_timeout_s: float = Field(default=5.0, gt=0, le=120)
    request_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    readiness_timeout_s: float = Field(default=2.0, gt=0, le=60)
    shutdown_timeout_s: int = Field(default=20, ge=0, le=3600)
    drain_delay_s: float = Field(default=0.0, ge=0, le=300)
    trusted_proxies: str = Field(
        default="127.0.0.1", description="addresses whose X-Forwarded-For is believed, or *"
    )
    log_format: LogFormat = LogFormat.AUTO
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    slow_operation_ms: int = Field(default=1_000, ge=0)
    cache_enabled: bool = Field(default=True, description="cache values in Redis (docs/caching.md)")
    response_cache_enabled: bool = Field(default=True, description="cache whole query responses")
    cache_ttl_s: int = Field(default=3600, ge=1, description="lifetime of cached values")
    response_cache_ttl_s: int = Field(default=600, ge=1, description="lifetime of responses")
    cache_timeout_s: float = Field(default=0.25, gt=0, le=30, description="per cache call")
    cache_retry_s: float = Field(default=2.0, gt=0, le=300, description="Redis retry after failure")

    # Authentication (see services/auth.py). Bearer tokens: HS256 with a shared secret, or
    # RS256 verified with the identity provider's public key (PEM).
    jwt_secret: SecretStr | None = Field(default=None, description="HS256 secret, >= 32 bytes")
    jwt_public_key: str | None = Field(default=None, description="RS256 public key (PEM)")
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    auth_cache_ttl_s: int = Field(default=10, ge=0, le=3600)
    auth_recheck_s: float = Field(default=5.0, gt=0, le=60)

    # Query limits (see schema/limits.py).
    max_depth: int = Field(default=10, ge=2, le=100)
    max_aliases: int = Field(default=15, ge=0, le=1000)
    max_tokens: int = Field(default=2000, ge=100, le=100_000)
    max_cost: int = Field(default=50_000, ge=100)
    max_duplicate_fields: int = Field(default=20, ge=1, le=1000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # Rate limits (see services/ratelimit.py): a GCRA bucket per principal, in cost units.
    rate_limit_per_minute: int = Field(default=600, ge=1)
    rate_limit_burst: int = Field(default=120, ge=1)
    rate_limit_cost_unit: int = Field(default=1000, ge=1)

    # Persisted queries (see services/persisted_queries.py).
    apq_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    partner_allowlist: bool = Field(
        default=False, description="API-key principals may only run registered documents"
    )

    # WebSockets (graphql-transport-ws).
    ws_init_timeout_s: float = Field(default=5.0, gt=0, le=10)
    ws_max_subscriptions: int = Field(default=20, ge=1, le=20)
    ws_max_message_bytes: int = Field(default=65_536, ge=1024)
    allowed_origins: str = Field(
        default="", description="comma-separated origins of pages allowed to open WebSockets"
    )

    # Report links (services/reports/links.py): HMAC-SHA256 key and lifetime. Unset outside
    # production, a random key is generated once in data_dir; production refuses to start.
    report_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key of report links, at least 32 bytes"
    )
    report_link_ttl_s: int = Field(default=300, ge=10, le=86_400)

    # Live updates and stream ingestion (docs/live-updates.md).
    ingest_in_serve: bool = Field(
        default=False, description="run the Redis Stream consumers inside `serve`"
    )
    stream_claim_idle_ms: int = Field(
        default=60_000, ge=100, description="claim a stream entry pending this long elsewhere"
    )
    live_queue_size: int = Field(
        default=256, ge=4, le=100_000, description="messages buffered per live subscriber"
    )
    live_max_replay: int = Field(
        default=10_000, ge=1, description="most events replayed for one subscription"
    )
    live_shared: bool = Field(
        default=True, description="identical subscriptions share one execution per event"
    )
    live_access_recheck_s: float = Field(
        default=5.0, gt=0, description="how often live subscriptions re-check access"
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a PostgreSQL URL (postgresql:// or postgresql+asyncpg://)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a Redis URL (redis://, rediss:// or unix://)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes (HS256 needs a high-entropy secret)")
        return value

    @model_validator(mode="after")
    def _one_jwt_algorithm(self) -> Settings:
        if self.jwt_secret is not None and self.jwt_public_key:
            raise ValueError("set PERFGRAPH_JWT_SECRET (HS256) or PERFGRAPH_JWT_PUBLIC_KEY (RS256)")
        return self

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @field_validator("report_secret")
    @classmethod
    def _report_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes (a high-entropy HMAC key)")
        return value

    @model_validator(mode="after")
    def _report_secret_in_production(self) -> Settings:
        if self.is_production and self.report_secret is None:
            raise ValueError(
                "PERFGRAPH_REPORT_SECRET is required in production (report links are signed "
                "with it, and every replica must share it); generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def logs_as_json(self) -> bool:
        if self.log_format is LogFormat.AUTO:
            return self.is_production
        return self.log_format is LogFormat.JSON


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; a bad value raises :class:`ConfigurationError` naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"PERFGRAPH_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            if err["loc"]
            else err["msg"]
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
