"""Building the dashboard for ``serve``: when it is due, and never failing the API."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from services.web import ensure_built, needs_build


def _project(root: Path, build_script: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.ts").write_text("export {};\n")
    (root / "package.json").write_text(
        '{"name": "t", "private": true, "scripts": {"build": "' + build_script + '"}}'
    )
    (root / "package-lock.json").write_text(
        '{"name": "t", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "t"}}}'
    )
    return root


def _touch(path: Path, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (mtime, mtime))


def test_build_is_due_when_dist_is_missing_or_older_than_a_source(tmp_path: Path) -> None:
    root = _project(tmp_path, "true")
    assert needs_build(root)
    _touch(root / "src" / "main.ts", 1_000)
    _touch(root / "package.json", 1_000)
    _touch(root / "package-lock.json", 1_000)
    _touch(root / "dist" / "index.html", 2_000)
    assert not needs_build(root)
    _touch(root / "src" / "components" / "Chart.tsx", 3_000)
    assert needs_build(root)


def test_without_npm_serve_goes_on_with_what_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = _project(tmp_path, "true")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with caplog.at_level(logging.WARNING, logger="perfgraph.web"):
        assert ensure_built(root) is None
    assert "npm not found" in caplog.text
    _touch(root / "dist" / "index.html", 1e10)  # built earlier, newer than every source
    assert ensure_built(root) == root / "dist"


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm (Node.js)")
def test_a_failing_build_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _project(tmp_path, "echo broken-build >&2; exit 3")
    with caplog.at_level(logging.WARNING, logger="perfgraph.web"):
        assert ensure_built(root) is None
    assert "npm run failed (3)" in caplog.text
    assert "broken-build" in caplog.text


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm (Node.js)")
def test_a_due_build_runs_npm_and_serves_its_output(tmp_path: Path) -> None:
    fs = "require('fs')"
    script = f"node -e \\\"{fs}.mkdirSync('dist');{fs}.writeFileSync('dist/index.html','ok')\\\""
    root = _project(tmp_path, script)
    assert ensure_built(root) == root / "dist"
    assert (root / "dist" / "index.html").read_text() == "ok"
    assert not needs_build(root)
