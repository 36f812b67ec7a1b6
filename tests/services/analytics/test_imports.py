import subprocess
import sys

FORBIDDEN = ("sqlalchemy", "redis", "strawberry", "asyncpg", "starlette")


def test_analytics_imports_no_io_or_graphql_library() -> None:
    code = (
        "import sys, services.analytics\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_guard_detects_a_forbidden_import() -> None:
    code = "import sys, sqlalchemy\nprint('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
