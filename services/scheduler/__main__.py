"""`python -m services.scheduler migrate|serve` (the supervisor runs both)."""

from __future__ import annotations

import asyncio
import sys

from services.scheduler.service import migrate, serve
from shared.settings import Settings


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "serve"
    settings = Settings()
    if command == "migrate":
        migrate(settings)
        return 0
    if command == "serve":
        asyncio.run(serve(settings))
        return 0
    print(f"usage: python -m services.scheduler migrate|serve (not {command!r})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
