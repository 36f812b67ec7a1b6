"""The configuration reference and the compose file cannot drift from ``Settings``."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

from services.config import Settings

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| `(PERFGRAPH_[A-Z0-9_]+)` \| ([^|]+?) \|", re.MULTILINE)


def documented() -> dict[str, str]:
    return dict(ROW.findall((ROOT / "docs" / "configuration.md").read_text()))


def rendered_default(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def test_every_setting_is_documented_with_its_default() -> None:
    expected = {
        f"PERFGRAPH_{name.upper()}": rendered_default(field.default)
        for name, field in Settings.model_fields.items()
    }
    assert documented() == expected


def test_compose_sets_only_real_settings() -> None:
    compose = (ROOT / "docker" / "compose.yaml").read_text()
    used = set(re.findall(r"\b(PERFGRAPH_[A-Z0-9_]+)\b", compose))
    assert used, "the compose file configures perfgraph through PERFGRAPH_ variables"
    assert used <= set(documented())
