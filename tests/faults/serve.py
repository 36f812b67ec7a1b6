"""``python -m tests.faults.serve PORT``: the real server (create_app + serving.serve) with the
fault schema and a shutdown hook that logs, for tests that signal a real process."""

from __future__ import annotations

import logging
import sys

from schema.app import create_app
from services.config import load_settings
from services.lifecycle import Lifecycle
from services.resources import Resources
from services.serving import serve
from tests.faults.app import fault_schema


async def register_marker(resources: Resources, lifecycle: Lifecycle) -> None:
    async def hook() -> None:
        logging.getLogger("tests.faults").info("marker hook ran")

    lifecycle.on_shutdown("marker", hook)


def main() -> None:
    settings = load_settings()
    app = create_app(settings, schema=fault_schema, startup=(register_marker,))
    serve(app, settings, host="127.0.0.1", port=int(sys.argv[1]))


if __name__ == "__main__":
    main()
