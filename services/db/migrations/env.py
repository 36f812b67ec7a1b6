"""Alembic environment: always handed a connection by services.db.migrate."""

from __future__ import annotations

from alembic import context

from services.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `perfgraph migrate`, which provides the connection")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
