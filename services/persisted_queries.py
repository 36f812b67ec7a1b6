"""Persisted queries: documents known by their SHA-256.

Two kinds. *Registered* documents are the allow-list, kept in PostgreSQL (``perfgraph
queries add``) because losing one would break a partner's integration; with
``PERFGRAPH_PARTNER_ALLOWLIST`` on, API keys may run only these. *Automatic* ones follow
Apollo's APQ protocol: the front end sends the hash alone, and the full document once when
the server does not know it; they live in Redis with a TTL, since the client can always
send the document again (so Redis down only costs a round trip).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import keys
from services.db.models import PersistedQuery
from services.errors import InvalidInput
from services.resources import Resources

log = logging.getLogger(__name__)

# Content-addressed, so entries can never go stale: a bounded per-process memo.
_registered: OrderedDict[str, str] = OrderedDict()
_REGISTERED_MAX = 4096


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def register_document(session: AsyncSession, *, document: str, name: str = "") -> str:
    """Add a document to the allow-list (idempotent); returns its hash."""
    if not document.strip():
        raise InvalidInput("an empty document cannot be registered")
    sha = document_hash(document)
    stmt = insert(PersistedQuery).values(sha256=sha, document=document, name=name)
    await session.execute(stmt.on_conflict_do_nothing())
    return sha


async def list_registered(session: AsyncSession) -> list[tuple[str, str]]:
    """(hash, name) of every registered document."""
    query = select(PersistedQuery.sha256, PersistedQuery.name).order_by(PersistedQuery.name)
    return [(row.sha256, row.name) for row in await session.execute(query)]


async def find_registered(resources: Resources, sha: str) -> str | None:
    if sha in _registered:
        _registered.move_to_end(sha)
        return _registered[sha]
    async with resources.sessions() as session:
        query = select(PersistedQuery.document).where(PersistedQuery.sha256 == sha)
        document = (await session.execute(query)).scalar()
    if document is not None:
        _registered[sha] = document
        while len(_registered) > _REGISTERED_MAX:
            _registered.popitem(last=False)
    return document


async def find_automatic(resources: Resources, sha: str) -> str | None:
    try:
        raw = await resources.redis.get(keys.persisted_query_key(sha))
    except RedisError as exc:
        log.warning("persisted query store unavailable: %s", exc)
        return None
    if raw is None:
        return None
    return raw if isinstance(raw, str) else raw.decode()


async def store_automatic(resources: Resources, sha: str, document: str) -> None:
    try:
        key = keys.persisted_query_key(sha)
        await resources.redis.set(key, document.encode(), ex=resources.settings.apq_ttl_s)
    except RedisError as exc:
        log.warning("persisted query store unavailable: %s", exc)
