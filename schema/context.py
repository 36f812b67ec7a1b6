"""The typed request context: resources, the principal and fresh loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import strawberry

from loaders import Loaders
from services.access import Principal
from services.ratelimit import RateLimiter
from services.resources import Resources


@dataclass
class Context:
    resources: Resources
    principal: Principal
    loaders: Loaders
    request: Any = None
    response: Any = None
    request_id: str = field(default_factory=lambda: uuid4().hex)
    rate_limiter: RateLimiter | None = None
    connection_params: dict[str, object] | None = None  # WebSockets: connection_init payload


Info = strawberry.Info[Context, None]
