"""Credentials to principals: API keys, HS256 and RS256 bearer tokens, caching, revocation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from services import api_keys, keys
from services.access import ANONYMOUS, recheck_live_access
from services.auth import Credentials, authenticate
from services.config import Environment
from services.errors import PermissionDenied, Unauthenticated
from services.resources import Resources
from tests.conftest import StatementCounter
from tests.factories import create_account, create_key, create_strategy

SECRET = "s" * 40


def configured(resources: Resources, **settings: Any) -> Resources:
    return dataclasses.replace(resources, settings=resources.settings.model_copy(update=settings))


def token(claims: dict[str, Any], key: Any = SECRET, algorithm: str = "HS256") -> str:
    defaults = {"sub": "user-1", "exp": datetime.now(UTC) + timedelta(minutes=5)}
    return jwt.encode({**defaults, **claims}, key, algorithm=algorithm)


def bearer(value: str) -> Credentials:
    return Credentials(authorization=f"Bearer {value}")


async def test_no_credentials_is_anonymous_outside_production_only(resources: Resources) -> None:
    assert await authenticate(resources, Credentials()) is ANONYMOUS
    production = configured(resources, environment=Environment.PRODUCTION)
    with pytest.raises(Unauthenticated, match="credentials required"):
        await authenticate(production, Credentials())


async def test_a_key_is_looked_up_once_then_served_from_redis(
    resources: Resources, sql: StatementCounter
) -> None:
    account = await create_account(resources)
    other = await create_strategy(resources, slug=f"{account}-granted")
    await api_keys.grant_strategy(resources, account=account, strategy=f"{account}-granted")
    key = await create_key(resources, account=account, scopes=["read", "write:performance"])
    sql.reset()
    first = await authenticate(resources, Credentials(api_key=key))
    second = await authenticate(resources, bearer(key))
    assert len(sql) == 1
    assert first == second
    assert first.kind == "api_key"
    assert first.scopes == {"read", "write:performance"}
    assert first.granted == {other}


async def test_revoking_drops_the_cached_principal(resources: Resources) -> None:
    account = await create_account(resources)
    key = await create_key(resources, account=account)
    await authenticate(resources, Credentials(api_key=key))
    prefix = api_keys.key_prefix(key)
    assert prefix is not None
    cached = keys.api_key_cache_key(api_keys.hash_key(key))
    assert await resources.redis.exists(cached)
    await api_keys.revoke_api_key(resources, prefix=prefix)
    assert not await resources.redis.exists(cached)
    with pytest.raises(Unauthenticated, match=f"API key {prefix} has been revoked"):
        await authenticate(resources, Credentials(api_key=key))


async def test_hs256_tokens(resources: Resources) -> None:
    account = await create_account(resources)
    hs = configured(resources, jwt_secret=SecretStr(SECRET))
    principal = await authenticate(hs, bearer(token({"scope": "read bogus", "account": account})))
    assert principal.kind == "user"
    assert principal.name == "user-1"
    assert principal.scopes == {"read"}
    assert principal.account_id is not None

    past = datetime.now(UTC) - timedelta(seconds=1)
    cases = {
        token({"exp": past}): "bearer token has expired",
        token({}, key="w" * 40): "invalid bearer token: Signature verification failed",
        token({"account": "no-such-account"}): "unknown account 'no-such-account'",
        jwt.encode({"sub": "x"}, SECRET, algorithm="HS256"): 'Token is missing the "exp" claim',
        jwt.encode({"sub": "x", "exp": 2**40}, "", algorithm="none"): "alg value is not allowed",
    }
    for value, message in cases.items():
        with pytest.raises(Unauthenticated, match=message):
            await authenticate(hs, bearer(value))
    with pytest.raises(Unauthenticated, match="no JWT key is configured"):
        await authenticate(resources, bearer(token({})))


async def test_rs256_tokens_and_no_algorithm_confusion(resources: Resources) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rs = configured(resources, jwt_public_key=public_pem.decode(), jwt_audience="perfgraph")
    good = token({"aud": "perfgraph", "scope": "admin"}, private, "RS256")
    assert (await authenticate(rs, bearer(good))).scopes == {"admin"}
    # Only the configured algorithm is accepted: no HS256 token passes an RS256 setup.
    forged = token({"aud": "perfgraph"}, "p" * 40, "HS256")
    with pytest.raises(Unauthenticated, match="The specified alg value is not allowed"):
        await authenticate(rs, bearer(forged))
    with pytest.raises(Unauthenticated, match="Audience doesn't match"):
        await authenticate(rs, bearer(token({"aud": "other"}, private, "RS256")))


async def test_recheck_sees_withdrawn_grants_and_revoked_keys(resources: Resources) -> None:
    account = await create_account(resources)
    other = await create_strategy(resources, slug=f"{account}-other")
    await api_keys.grant_strategy(resources, account=account, strategy=f"{account}-other")
    key = await create_key(resources, account=account)
    principal = await authenticate(resources, Credentials(api_key=key))
    assert (await recheck_live_access(resources, principal, [other])).granted == {other}

    await api_keys.withdraw_grant(resources, account=account, strategy=f"{account}-other")
    with pytest.raises(PermissionDenied, match=f"no access to strategy {other}"):
        await recheck_live_access(resources, principal, [other])
    await api_keys.revoke_api_key(resources, prefix=principal.name)
    with pytest.raises(Unauthenticated, match="has been revoked"):
        await recheck_live_access(resources, principal, [])
