"""Credentials to principals: partners' API keys and first-party users' bearer tokens.

Requests carry ``X-API-Key: pgk_...`` or ``Authorization: Bearer <JWT or API key>``; a
WebSocket carries the same values in its ``connection_init`` payload (``apiKey`` or
``authorization``). Without credentials a request is anonymous, which outside production
reads everything (the README's quick start) and in production is refused.

Tokens are JWTs signed HS256 with ``PERFGRAPH_JWT_SECRET`` or RS256 by the identity provider
whose public key is ``PERFGRAPH_JWT_PUBLIC_KEY``; they must carry ``sub`` and ``exp``, and
may carry ``scope`` (space-separated) and ``account`` (the account's name). Only the
configured algorithm is accepted, so an attacker cannot pick ``none`` or sign HS256 with the
public key.

A verified key's principal (account, scopes, grants) is cached in Redis for
``auth_cache_ttl_s`` seconds: one indexed lookup per key and period, not per request.
Revoking a key or withdrawing a grant drops the affected entries at once (services.api_keys);
the TTL bounds staleness only when Redis could not be reached at that moment. Redis down
means every request looks its key up in PostgreSQL: slower, never open.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import jwt
import orjson
from redis.exceptions import RedisError
from sqlalchemy import text

from services import keys
from services.access import ANONYMOUS, SCOPES, Principal
from services.api_keys import hash_key, key_prefix
from services.errors import Unauthenticated
from services.resources import Resources

log = logging.getLogger(__name__)

_KEY_SQL = text(
    """
    SELECT k.prefix, k.account_id, k.scopes, k.rate_limit_per_minute, k.expires_at,
           k.revoked_at,
           ARRAY(SELECT g.strategy_id FROM strategy_grants g
                 WHERE g.account_id = k.account_id ORDER BY 1) AS granted
    FROM api_keys k WHERE k.key_hash = :key_hash
    """
)
_KEY_BY_PREFIX_SQL = text(
    """
    SELECT k.prefix, k.account_id, k.scopes, k.rate_limit_per_minute, k.expires_at,
           k.revoked_at,
           ARRAY(SELECT g.strategy_id FROM strategy_grants g
                 WHERE g.account_id = k.account_id ORDER BY 1) AS granted
    FROM api_keys k WHERE k.prefix = :prefix
    """
)
_GRANTS_SQL = text(
    "SELECT ARRAY(SELECT strategy_id FROM strategy_grants WHERE account_id = :account_id"
    " ORDER BY 1)"
)
_ACCOUNT_SQL = text(
    """
    SELECT a.id AS account_id,
           ARRAY(SELECT g.strategy_id FROM strategy_grants g
                 WHERE g.account_id = a.id ORDER BY 1) AS granted
    FROM accounts a WHERE a.name = :name
    """
)


@dataclass(frozen=True)
class Credentials:
    """What a request presented; at most one of the two is used (the API key first)."""

    api_key: str | None = None
    authorization: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Credentials:
        return cls(api_key=headers.get("x-api-key"), authorization=headers.get("authorization"))

    @classmethod
    def from_connection_params(cls, params: Mapping[str, object] | None) -> Credentials:
        params = params or {}
        api_key = params.get("apiKey") or params.get("x-api-key")
        authorization = params.get("authorization") or params.get("Authorization")
        return cls(
            api_key=api_key if isinstance(api_key, str) else None,
            authorization=authorization if isinstance(authorization, str) else None,
        )

    @property
    def present(self) -> bool:
        return bool(self.api_key or self.authorization)


async def authenticate(resources: Resources, credentials: Credentials) -> Principal:
    """The principal behind the credentials; raises :class:`Unauthenticated` with the reason."""
    if credentials.api_key:
        return await authenticate_api_key(resources, credentials.api_key.strip())
    if credentials.authorization:
        scheme, _, value = credentials.authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("the Authorization header must read 'Bearer <token or API key>'")
        value = value.strip()
        if value.startswith("pgk_"):
            return await authenticate_api_key(resources, value)
        return await authenticate_token(resources, value)
    if resources.settings.is_production:
        raise Unauthenticated(
            "credentials required: send 'X-API-Key: <key>' or 'Authorization: Bearer <token>'"
        )
    return ANONYMOUS


async def authenticate_api_key(resources: Resources, key: str) -> Principal:
    prefix = key_prefix(key)
    if prefix is None:
        raise Unauthenticated("malformed API key: expected pgk_<prefix>_<secret>")
    cache_key = keys.api_key_cache_key(hash_key(key))
    stored = await _cache_get(resources, cache_key)
    if stored is None:
        async with resources.sessions() as session:
            row = (await session.execute(_KEY_SQL, {"key_hash": hash_key(key)})).first()
        if row is None:
            raise Unauthenticated(f"unknown API key {prefix}")
        stored = _stored_key(row._mapping)
        await _cache_set(resources, cache_key, stored)
    return _key_principal(stored, datetime.now(UTC))


def _stored_key(row: Mapping[Any, Any]) -> dict[str, Any]:
    def stamp(value: datetime | None) -> float | None:
        return value.timestamp() if value else None

    return {
        "prefix": row["prefix"],
        "account_id": row["account_id"],
        "scopes": list(row["scopes"]),
        "rate_limit_per_minute": row["rate_limit_per_minute"],
        "expires_at": stamp(row["expires_at"]),
        "revoked_at": stamp(row["revoked_at"]),
        "granted": list(row["granted"]),
    }


def _key_principal(stored: Mapping[str, Any], now: datetime) -> Principal:
    prefix = stored["prefix"]
    if stored["revoked_at"] is not None:
        raise Unauthenticated(f"API key {prefix} has been revoked")
    expires = stored["expires_at"]
    expires_at = datetime.fromtimestamp(expires, UTC) if expires is not None else None
    if expires_at is not None and expires_at <= now:
        raise Unauthenticated(f"API key {prefix} expired at {expires_at.isoformat()}")
    return Principal(
        kind="api_key",
        name=prefix,
        account_id=stored["account_id"],
        scopes=frozenset(stored["scopes"]) & SCOPES,
        granted=frozenset(stored["granted"]),
        expires_at=expires_at,
        rate_limit_per_minute=stored["rate_limit_per_minute"],
    )


def decode_token(resources: Resources, token: str) -> dict[str, Any]:
    settings = resources.settings
    if settings.jwt_secret is not None:
        key, algorithm = settings.jwt_secret.get_secret_value(), "HS256"
    elif settings.jwt_public_key:
        key, algorithm = settings.jwt_public_key, "RS256"
    else:
        raise Unauthenticated("bearer tokens are not accepted here: no JWT key is configured")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub"], "verify_aud": settings.jwt_audience is not None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("bearer token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"invalid bearer token: {exc}") from exc
    return claims


async def authenticate_token(resources: Resources, token: str) -> Principal:
    claims = decode_token(resources, token)
    scope = claims.get("scope", "")
    scopes = frozenset(scope.split() if isinstance(scope, str) else ()) & SCOPES
    principal = Principal(
        kind="user",
        name=str(claims["sub"]),
        scopes=scopes,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )
    account = claims.get("account")
    if account is None:
        return principal
    account_id, granted = await _account(resources, str(account))
    return replace(principal, account_id=account_id, granted=granted)


async def _account(resources: Resources, name: str) -> tuple[int, frozenset[int]]:
    cache_key = keys.account_cache_key(name)
    stored = await _cache_get(resources, cache_key)
    if stored is None:
        async with resources.sessions() as session:
            row = (await session.execute(_ACCOUNT_SQL, {"name": name})).first()
        if row is None:
            raise Unauthenticated(f"the token names an unknown account {name!r}")
        stored = {"account_id": row.account_id, "granted": list(row.granted)}
        await _cache_set(resources, cache_key, stored)
    return int(stored["account_id"]), frozenset(stored["granted"])


async def refresh_principal(resources: Resources, principal: Principal) -> Principal:
    """The principal as it stands now, from PostgreSQL: for long-lived connections.

    Raises :class:`Unauthenticated` when its key has since been revoked or has expired, or its
    token has expired; grants are reloaded, so a withdrawn grant shows.
    """
    now = datetime.now(UTC)
    if principal.expires_at is not None and principal.expires_at <= now:
        raise Unauthenticated(f"the credentials of {principal.name} expired")
    if principal.kind == "api_key":
        async with resources.sessions() as session:
            row = (await session.execute(_KEY_BY_PREFIX_SQL, {"prefix": principal.name})).first()
        if row is None:
            raise Unauthenticated(f"API key {principal.name} no longer exists")
        return _key_principal(_stored_key(row._mapping), now)
    if principal.kind == "user" and principal.account_id is not None:
        async with resources.sessions() as session:
            query = _GRANTS_SQL.bindparams(account_id=principal.account_id)
            granted = (await session.execute(query)).scalar_one()
        return replace(principal, granted=frozenset(granted))
    return principal


async def _cache_get(resources: Resources, cache_key: str) -> dict[str, Any] | None:
    if resources.settings.auth_cache_ttl_s == 0:
        return None
    try:
        raw = await resources.redis.get(cache_key)
    except RedisError as exc:
        log.warning("auth cache unavailable, reading PostgreSQL: %s", exc)
        return None
    return orjson.loads(raw) if raw else None


async def _cache_set(resources: Resources, cache_key: str, value: dict[str, Any]) -> None:
    ttl = resources.settings.auth_cache_ttl_s
    if ttl == 0:
        return
    try:
        await resources.redis.set(cache_key, orjson.dumps(value), ex=ttl)
    except RedisError as exc:
        log.warning("auth cache unavailable, not caching: %s", exc)
