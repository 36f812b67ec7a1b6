"""Operation names from clients become labels only up to a cap."""

from __future__ import annotations

import pytest

from services import metrics


def test_operation_labels_are_capped_and_sanitised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_operations", set())
    monkeypatch.setattr(metrics, "MAX_OPERATION_LABELS", 2)
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("First") == "First"
    assert metrics.operation_label("has spaces; DROP") == "other"
    assert metrics.operation_label("x" * 65) == "other"
    assert metrics.operation_label("Second") == "Second"
    assert metrics.operation_label("Third") == "other"
    assert metrics.operation_label("First") == "First"
