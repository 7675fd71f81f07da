"""`python -m services.measurements migrate|serve` (the supervisor runs both)."""

import sys

from services.measurements.service import NAME, migrate, serve
from shared.entrypoint import run

if __name__ == "__main__":
    sys.exit(run(NAME, migrate, serve, sys.argv))
