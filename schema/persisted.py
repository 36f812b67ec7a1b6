"""Apollo's persisted-query protocol (``extensions.persistedQuery``) and the partner allow-list.

A request may carry ``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": H}}}``
with or without ``query``. Without it, the document is looked up among the registered ones,
then among the automatic ones; unknown gives ``PersistedQueryNotFound`` (the client then
sends hash and document together, and the document is stored). With the allow-list on
(``PERFGRAPH_PARTNER_ALLOWLIST``), an API key may run registered documents only, by hash or
by text, and nothing it sends is stored.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from services.persisted_queries import (
    document_hash,
    find_automatic,
    find_registered,
    store_automatic,
)
from services.resources import Resources

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise _error("persistedQuery must be {version: 1, sha256Hash: ...}", "BAD_USER_INPUT")
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise _error("sha256Hash must be 64 lowercase hex digits", "BAD_USER_INPUT")
    return sha


class PersistedQueries(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        ec = self.execution_context
        resources: Resources = ec.context.resources
        allowlist = resources.settings.partner_allowlist and ec.context.principal.kind == "api_key"
        sha = requested_hash(ec.operation_extensions)
        if sha is None:
            if allowlist and ec.query is not None:
                await self._check_registered(resources, document_hash(ec.query))
        elif ec.query is not None:
            if document_hash(ec.query) != sha:
                raise _error("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
            if allowlist:
                await self._check_registered(resources, sha)
            else:
                await store_automatic(resources, sha, ec.query)
        else:
            ec.query = await self._lookup(resources, sha, allowlist)
        yield

    @staticmethod
    async def _check_registered(resources: Resources, sha: str) -> None:
        if await find_registered(resources, sha) is None:
            raise _error(
                "this API key may only run registered documents, and this one is not registered",
                "PERSISTED_QUERY_NOT_ALLOWED",
            )

    @staticmethod
    async def _lookup(resources: Resources, sha: str, allowlist: bool) -> str:
        document = await find_registered(resources, sha)
        if document is None and allowlist:
            raise _error(
                "this API key may only run registered documents, and this one is not registered",
                "PERSISTED_QUERY_NOT_ALLOWED",
            )
        document = document or await find_automatic(resources, sha)
        if document is None:
            raise _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return document
