"""The web dashboard's build: ``serve`` builds ``web/dist`` when Node.js is present.

The API never depends on the front end: without npm, or when a build fails, ``serve`` logs
why and carries on serving GraphQL (and whatever ``web/dist`` already holds).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("perfgraph.web")

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
# What the build reads: a change to any of these makes the built assets out of date.
SOURCES = ("src", "index.html", "package.json", "package-lock.json", "vite.config.ts")


def dist_dir(root: Path = WEB_ROOT) -> Path:
    return root / "dist"


def _mtimes(paths: Iterable[Path]) -> Iterable[float]:
    for path in paths:
        if path.is_dir():
            yield from (p.stat().st_mtime for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path.stat().st_mtime


def needs_build(root: Path = WEB_ROOT) -> bool:
    """Whether ``dist`` is missing or older than any of the sources it is built from."""
    index = dist_dir(root) / "index.html"
    if not index.is_file():
        return True
    newest = max(_mtimes(root / name for name in SOURCES), default=0.0)
    return newest > index.stat().st_mtime


def _needs_install(root: Path) -> bool:
    installed = root / "node_modules" / ".package-lock.json"
    lock = root / "package-lock.json"
    return not installed.is_file() or lock.stat().st_mtime > installed.stat().st_mtime


def _run(npm: str, args: list[str], root: Path) -> bool:
    log.info("npm %s", " ".join(args))
    done = subprocess.run([npm, *args], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        log.warning("npm %s failed (%s):\n%s", args[0], done.returncode, "\n".join(tail))
    return done.returncode == 0


def ensure_built(root: Path = WEB_ROOT) -> Path | None:
    """Build the dashboard if it is out of date; return ``dist`` when it can be served."""
    if not (root / "package.json").is_file():
        return None
    if needs_build(root):
        npm = shutil.which("npm")
        if npm is None:
            log.warning("npm not found; serving the API without (re)building the dashboard")
        elif not (_needs_install(root) and not _run(npm, ["ci", "--no-audit", "--no-fund"], root)):
            _run(npm, ["run", "build"], root)
    dist = dist_dir(root)
    return dist if (dist / "index.html").is_file() else None
