"""Accounts, partners' API keys and per-strategy grants: creating, listing, revoking.

A key reads ``pgk_<prefix>_<secret>``: the prefix (8 hex characters) names the key in lists,
logs and the CLI; the secret is 32 random bytes. Only the SHA-256 of the whole key is
stored. A slow password hash (bcrypt, argon2) protects low-entropy secrets that people
choose; a 256-bit random secret cannot be guessed from its hash at any speed, so a fast hash
loses nothing and keeps authentication to one indexed lookup per request.

Every change here that narrows access (revoking a key, withdrawing a grant) also drops the
cached principals it affects, so it takes effect on the next request on every replica.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import keys
from services.access import SCOPES
from services.db.models import Account, ApiKey, Strategy, StrategyGrant
from services.errors import InvalidInput, NotFound
from services.resources import Resources

log = logging.getLogger(__name__)
KEY_MARK = "pgk"


@dataclass(frozen=True)
class ApiKeyRecord:
    prefix: str
    account: str
    name: str
    scopes: tuple[str, ...]
    rate_limit_per_minute: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class CreatedKey:
    key: str  # shown once, never stored
    record: ApiKeyRecord


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, None for anything else."""
    mark, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != KEY_MARK or len(prefix) != 8 or len(secret) < 32:
        return None
    return prefix


def validate_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise InvalidInput(f"unknown scope(s) {unknown}; known: {sorted(SCOPES)}")
    if not scopes:
        raise InvalidInput("a key needs at least one scope")
    return tuple(sorted(set(scopes)))


async def create_account(session: AsyncSession, *, name: str) -> int:
    """The account's id, creating it when new."""
    await session.execute(insert(Account).values(name=name).on_conflict_do_nothing())
    return await get_account_id(session, name=name)


async def get_account_id(session: AsyncSession, *, name: str) -> int:
    found = (await session.execute(select(Account.id).where(Account.name == name))).scalar()
    if found is None:
        raise NotFound(f"unknown account {name!r}")
    return int(found)


async def create_api_key(
    session: AsyncSession,
    *,
    account: str,
    name: str,
    scopes: Sequence[str],
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> CreatedKey:
    """A new key for an existing account; the caller commits and shows ``key`` once."""
    checked = validate_scopes(scopes)
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInput("expires_at must include a time zone")
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise InvalidInput("rate_limit_per_minute must be at least 1")
    account_id = await get_account_id(session, name=account)
    prefix = secrets.token_hex(4)
    key = f"{KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        prefix=prefix,
        key_hash=hash_key(key),
        account_id=account_id,
        name=name,
        scopes=list(checked),
        rate_limit_per_minute=rate_limit_per_minute,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    record = ApiKeyRecord(
        prefix, account, name, checked, rate_limit_per_minute, row.created_at, expires_at, None
    )
    return CreatedKey(key=key, record=record)


_KEYS = select(
    ApiKey.prefix,
    Account.name.label("account"),
    ApiKey.name,
    ApiKey.scopes,
    ApiKey.rate_limit_per_minute,
    ApiKey.created_at,
    ApiKey.expires_at,
    ApiKey.revoked_at,
).join(Account, Account.id == ApiKey.account_id)


def _record(row: Any) -> ApiKeyRecord:
    values = dict(row._mapping)
    values["scopes"] = tuple(values["scopes"])
    return ApiKeyRecord(**values)


async def list_api_keys(session: AsyncSession, *, account: str | None = None) -> list[ApiKeyRecord]:
    query = _KEYS.order_by(ApiKey.created_at, ApiKey.prefix)
    if account is not None:
        query = query.where(Account.name == account)
    return [_record(row) for row in await session.execute(query)]


async def revoke_api_key(resources: Resources, *, prefix: str) -> ApiKeyRecord:
    """Revoke now (idempotent: a revoked key keeps its first revocation time)."""
    async with resources.sessions.begin() as session:
        hashed = (
            await session.execute(
                update(ApiKey)
                .where(ApiKey.prefix == prefix)
                .values(revoked_at=func.coalesce(ApiKey.revoked_at, func.now()))
                .returning(ApiKey.key_hash)
            )
        ).scalar()
        if hashed is None:
            raise NotFound(f"unknown API key prefix {prefix!r}")
        row = (await session.execute(_KEYS.where(ApiKey.prefix == prefix))).one()
    await _forget(resources, [keys.api_key_cache_key(hashed)])
    return _record(row)


async def _strategy_and_account(session: AsyncSession, account: str, slug: str) -> tuple[int, int]:
    account_id = await get_account_id(session, name=account)
    found = (await session.execute(select(Strategy.id).where(Strategy.slug == slug))).scalar()
    if found is None:
        raise NotFound(f"unknown strategy {slug!r}")
    return account_id, int(found)


async def grant_strategy(resources: Resources, *, account: str, strategy: str) -> None:
    """Let ``account`` read the strategy with slug ``strategy`` (idempotent)."""
    async with resources.sessions.begin() as session:
        account_id, strategy_id = await _strategy_and_account(session, account, strategy)
        stmt = insert(StrategyGrant).values(account_id=account_id, strategy_id=strategy_id)
        await session.execute(stmt.on_conflict_do_nothing())
    await forget_account(resources, account)


async def withdraw_grant(resources: Resources, *, account: str, strategy: str) -> bool:
    """Withdraw a grant; False when there was none."""
    async with resources.sessions.begin() as session:
        account_id, strategy_id = await _strategy_and_account(session, account, strategy)
        result = await session.execute(
            delete(StrategyGrant)
            .where(StrategyGrant.account_id == account_id)
            .where(StrategyGrant.strategy_id == strategy_id)
            .returning(StrategyGrant.strategy_id)
        )
        removed = result.first() is not None
    await forget_account(resources, account)
    return removed


async def list_grants(session: AsyncSession, *, account: str) -> list[str]:
    """Slugs of the strategies granted to ``account``."""
    account_id = await get_account_id(session, name=account)
    query = (
        select(Strategy.slug)
        .join(StrategyGrant, StrategyGrant.strategy_id == Strategy.id)
        .where(StrategyGrant.account_id == account_id)
        .order_by(Strategy.slug)
    )
    return list((await session.execute(query)).scalars())


async def forget_account(resources: Resources, account: str) -> None:
    """Drop the cached principals of an account and of all its keys."""
    async with resources.sessions() as session:
        query = (
            select(ApiKey.key_hash)
            .join(Account, Account.id == ApiKey.account_id)
            .where(Account.name == account)
        )
        hashes = list((await session.execute(query)).scalars())
    stale = [keys.account_cache_key(account), *(keys.api_key_cache_key(h) for h in hashes)]
    await _forget(resources, stale)


async def _forget(resources: Resources, cache_keys: list[str]) -> None:
    try:
        await resources.redis.delete(*cache_keys)
    except RedisError:
        # The entries expire after auth_cache_ttl_s: the change is late, never lost.
        log.warning("could not drop cached principals (Redis unavailable): %s", cache_keys)
