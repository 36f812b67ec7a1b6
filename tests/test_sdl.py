"""schema.graphql is generated from the code; this fails when they drift apart."""

from __future__ import annotations

from pathlib import Path

from schema.schema import schema

SDL = Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE = "uv run strawberry export-schema schema.schema:schema --output schema.graphql"


def test_schema_graphql_matches_the_code() -> None:
    assert SDL.read_text().strip() == schema.as_str().strip(), f"regenerate with: {REGENERATE}"


def test_schema_has_no_void_scalar_and_documents_root_fields() -> None:
    sdl = schema.as_str()
    assert "scalar Void" not in sdl
    query = schema.get_type_by_name("Query")
    assert query is not None
    undocumented = [f.name for f in query.fields if not f.description]  # type: ignore[union-attr]
    assert undocumented == []
