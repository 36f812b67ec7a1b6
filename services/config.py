"""Settings, read from ``PERFGRAPH_*`` environment variables and validated at start-up."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.errors import ConfigurationError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


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
    cache_enabled: bool = Field(default=True, description="cache values in Redis (docs/caching.md)")
    response_cache_enabled: bool = Field(default=True, description="cache whole query responses")
    cache_ttl_s: int = Field(default=3600, ge=1, description="lifetime of cached values")
    response_cache_ttl_s: int = Field(default=600, ge=1, description="lifetime of responses")
    cache_timeout_s: float = Field(default=0.25, gt=0, le=30, description="per cache call")
    cache_retry_s: float = Field(default=2.0, gt=0, le=300, description="Redis retry after failure")

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

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; a bad value raises :class:`ConfigurationError` naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"PERFGRAPH_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
