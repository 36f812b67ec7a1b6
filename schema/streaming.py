"""Running a live subscription: shared through a topic on WebSockets, private otherwise.

Over graphql-transport-ws the resolver never yields: it joins the topic for its request
and sends the topic's pre-encoded payloads itself, framed with its operation id, so a
thousand identical subscribers cost one execution and one serialisation per event plus a
thousand socket writes (``schema/sender.py``: usually straight from the topic, otherwise
from a small task of the subscriber's own, never waking strawberry's operation task).
Anywhere else (``schema.subscribe`` in a test, another transport) the resolver yields the
events to strawberry, with the same replay, ordering and resync rules.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator

from starlette.websockets import WebSocketDisconnect

from schema.context import Info
from schema.multiplex import Cursor, LiveSpec, T, TopicRegistry, replay
from schema.render import Renderer, topic_key
from schema.sender import SocketSender
from schema.ws import current_operation


async def live_stream(info: Info, spec: LiveSpec[T]) -> AsyncGenerator[T, None]:
    spec = dataclasses.replace(spec, kind=info.field_name)  # the metrics' label
    sink = current_operation()
    if sink is None or not info.context.resources.settings.live_shared:
        async for value in _private(info, spec):
            yield value
        return
    registry = sink.topics
    key = topic_key(
        sink.query, sink.variables, sink.operation_name, info.context.principal.scope_key
    )

    def renderer() -> Renderer:
        return Renderer(info.schema, sink.query, sink.variables, sink.operation_name, info.context)

    topic, subscriber = await registry.attach(key, spec, renderer)
    sender = SocketSender(
        sink.frame_prefix(), sink.send_text, topic, subscriber, spec, registry.max_replay
    )
    task = asyncio.create_task(sender.run(), name="perfgraph-live-send")
    try:
        await task
    except WebSocketDisconnect:
        # The connection's handler sees the disconnect too, and cancels this operation.
        await asyncio.Event().wait()
    finally:
        subscriber.inline = None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await registry.detach(topic, subscriber)


async def _private(info: Info, spec: LiveSpec[T]) -> AsyncGenerator[T, None]:
    registry = TopicRegistry.from_settings(info.context.resources.settings)
    topic, subscriber = await registry.attach(f"private:{id(spec)}", spec, lambda: None)
    cursor = Cursor(spec)
    try:
        for delivery in await replay(topic, spec, registry.max_replay):
            if cursor.accept(delivery):
                yield delivery.value  # type: ignore[misc]
        while True:
            for delivery in await cursor.next_batch(subscriber):
                yield delivery.value  # type: ignore[misc]
    finally:
        await registry.detach(topic, subscriber)
