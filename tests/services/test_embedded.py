"""The embedded servers belong to the process that started them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import redis

from services.embedded import EmbeddedServers, start_redis


def test_a_second_process_leaves_the_embedded_redis_running(tmp_path: Path) -> None:
    owner = EmbeddedServers()
    url = start_redis(tmp_path, owner)
    try:
        client = redis.Redis.from_url(url)
        client.set("kept", "yes")
        # The owner's other connections are gone, as a quiet `serve` process's may be.
        client.client_kill_filter(_type="normal", skipme=True)
        client.close()

        script = textwrap.dedent(
            f"""
            from pathlib import Path
            from services.embedded import EmbeddedServers, start_redis
            servers = EmbeddedServers()
            url = start_redis(Path({str(tmp_path)!r}), servers)
            print(url)
            servers.close()
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        assert done.stdout.strip() == url  # it attached to the same server

        again = redis.Redis.from_url(url)
        assert again.get("kept") == b"yes"
        again.close()
    finally:
        owner.close()
    # The owner's close stops the server it started.
    stopped = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        stopped.ping()
        raise AssertionError("the embedded Redis outlived the process that started it")
    except (redis.ConnectionError, FileNotFoundError):
        pass
    finally:
        stopped.close()
