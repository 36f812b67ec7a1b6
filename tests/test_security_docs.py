"""docs/security.md lists the security settings with their real defaults."""

from __future__ import annotations

import re
from pathlib import Path

from services.config import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
ROW = re.compile(r"^\| `PERFGRAPH_([A-Z0-9_]+)` \| ([^|]*?) \|", re.MULTILINE)


def rendered(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def test_security_settings_are_documented_with_their_defaults() -> None:
    rows = dict(ROW.findall(DOC.read_text()))
    assert len(rows) == 21
    for name, default in rows.items():
        field = Settings.model_fields[name.lower()]
        assert default == rendered(field.default), name
