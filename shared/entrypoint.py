"""`python -m services.<name> migrate|serve`: the same two commands for every service."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from shared.settings import Settings


def run(
    name: str,
    migrate: Callable[[Settings], None],
    serve: Callable[[Settings], Coroutine[Any, Any, None]],
    argv: list[str],
) -> int:
    command = argv[1] if len(argv) > 1 else "serve"
    settings = Settings()
    if command == "migrate":
        migrate(settings)
        return 0
    if command == "serve":
        asyncio.run(serve(settings))
        return 0
    print(f"usage: python -m services.{name} migrate|serve (not {command!r})", file=sys.stderr)
    return 2


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM: a service's cue to shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
