"""Running a live subscription: shared through a topic on WebSockets, private otherwise.

Over graphql-transport-ws the resolver never yields: it joins the topic for its request
and sends the topic's pre-encoded payloads itself, framed with its operation id, so a
thousand identical subscribers cost one execution and one serialisation per event plus a
thousand socket writes. Anywhere else (``schema.subscribe`` in a test, another transport)
it yields the events to strawberry, with the same replay, ordering and resync rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from strawberry.http.exceptions import WebSocketDisconnected

from schema.context import Info
from schema.multiplex import LiveSpec, T, TopicRegistry, deliveries
from schema.render import Renderer, topic_key
from schema.ws import current_operation


async def live_stream(info: Info, spec: LiveSpec[T]) -> AsyncGenerator[T, None]:
    sink = current_operation()
    if sink is None:
        async for value in _private(info, spec):
            yield value
        return
    registry = sink.topics
    scope = info.context.principal.scope_key
    key = topic_key(sink.query, sink.variables, sink.operation_name, scope)

    def renderer() -> Renderer:
        return Renderer(info.schema, sink.query, sink.variables, sink.operation_name, info.context)

    topic, subscriber = await registry.attach(key, spec, renderer)
    prefix = sink.frame_prefix()
    try:
        async for delivery in deliveries(topic, subscriber, spec, registry.max_replay):
            assert delivery.payload is not None
            await sink.send_text(prefix + delivery.payload + "}")
    except WebSocketDisconnected:
        # The connection's handler sees the disconnect too, and cancels this operation.
        await asyncio.Event().wait()
    finally:
        await registry.detach(topic, subscriber)


async def _private(info: Info, spec: LiveSpec[T]) -> AsyncGenerator[T, None]:
    registry = TopicRegistry.from_settings(info.context.resources.settings)
    topic, subscriber = await registry.attach(f"private:{id(spec)}", spec, lambda: None)
    try:
        async for delivery in deliveries(topic, subscriber, spec, registry.max_replay):
            yield delivery.value  # type: ignore[misc]
    finally:
        await registry.detach(topic, subscriber)
