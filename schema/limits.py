"""Query limits, production validation rules and per-principal rate limits.

One schema extension, in the order a request meets them:

1. parse with the token limit (graphql-core stops counting at ``max_tokens``);
2. the cheap static checks of :mod:`schema.cost` (depth, aliases, duplicated fields, cost),
   before validation, whose overlapping-fields rule is quadratic in duplicated fields;
3. the principal's rate limit, charged by cost (services.ratelimit);
4. validation, cached per document, with introspection refused and suggestions ("Did you
   mean ...?") hidden in production.

A query refused at any step runs no resolver, so no SQL. Limits come from the settings of
the request's resources, so one schema object serves every configuration.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from schema.cost import Usage, analyse
from services.access import Principal
from services.config import Settings
from services.ratelimit import Limit, weight


def limit_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def check_usage(usage: Usage, settings: Settings) -> GraphQLError | None:
    """The first limit the usage breaks, as the error the client receives."""
    if usage.depth > settings.max_depth:
        return limit_error(
            f"Query depth {usage.depth} exceeds the limit of {settings.max_depth} nested fields.",
            "DEPTH_LIMIT_EXCEEDED",
        )
    if usage.aliases > settings.max_aliases:
        return limit_error(
            f"{usage.aliases} aliases exceed the limit of {settings.max_aliases}.",
            "ALIAS_LIMIT_EXCEEDED",
        )
    key, count = usage.duplicate
    if count > settings.max_duplicate_fields:
        return limit_error(
            f"Field '{key}' is selected {count} times in one selection set; "
            f"the limit is {settings.max_duplicate_fields}.",
            "DUPLICATE_FIELD_LIMIT_EXCEEDED",
        )
    if usage.cost > settings.max_cost:
        return limit_error(
            f"Query cost {usage.cost:,} exceeds the limit of {settings.max_cost:,}: ask for "
            "fewer items, a shorter window or a coarser interval, or columns instead of points.",
            "COST_LIMIT_EXCEEDED",
            cost=usage.cost,
            maxCost=settings.max_cost,
        )
    return None


def rate_limit(principal: Principal, settings: Settings, cost: int) -> tuple[Limit, int]:
    """The principal's limit and the units a query of ``cost`` spends from it."""
    per_minute = principal.rate_limit_per_minute or settings.rate_limit_per_minute
    limit = Limit(per_minute=per_minute, burst=min(settings.rate_limit_burst, per_minute))
    return limit, weight(cost, settings.rate_limit_cost_unit, limit)


@lru_cache(maxsize=1024)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    return validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
        hide_suggestions=hide_suggestions,
    )


class QueryLimits(SchemaExtension):
    """Replaces strawberry's ValidationCache: the static checks must come first."""

    def on_operation(self) -> Iterator[None]:
        settings = self.execution_context.context.resources.settings
        self.execution_context.parse_options["max_tokens"] = settings.max_tokens
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        self.execution_context.pre_execution_errors = await self._errors()
        yield

    async def _errors(self) -> list[GraphQLError]:
        ec = self.execution_context
        assert ec.graphql_document is not None
        settings: Settings = ec.context.resources.settings
        usage = analyse(
            ec.schema._schema, ec.graphql_document, ec.variables, settings.default_page_size
        )
        ec.context.loaders.versions.dependencies.cost = usage.cost  # for the response cache
        refused = check_usage(usage, settings) or await self._rate_limit(usage.cost, settings)
        if refused is not None:
            return [refused]
        rules = ec.validation_rules
        if settings.is_production:
            rules = (*rules, NoSchemaIntrospectionCustomRule)
        return _validate(ec.schema._schema, ec.graphql_document, rules, settings.is_production)

    async def _rate_limit(self, cost: int, settings: Settings) -> GraphQLError | None:
        """Anonymous (development only) is not limited; everyone else spends cost units."""
        context = self.execution_context.context
        principal = context.principal
        if context.rate_limiter is None or principal.kind == "anonymous":
            return None
        limit, units = rate_limit(principal, settings, cost)
        per_minute = limit.per_minute
        decision = await context.rate_limiter.hit(principal.scope_key, limit, units)
        if decision.allowed:
            return None
        retry_after = max(1, math.ceil(decision.retry_after_s))
        if isinstance(context.response, Response):  # HTTP; a WebSocket has no status line
            context.response.status_code = 429
            context.response.headers["Retry-After"] = str(retry_after)
        return limit_error(
            f"Rate limit exceeded for {principal.name}: {per_minute} units per minute "
            f"(this query costs {units}); retry after {retry_after} s.",
            "RATE_LIMITED",
            retryAfter=retry_after,
        )
