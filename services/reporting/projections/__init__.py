"""Every projection the reporting service runs (each its own schema and consumer)."""

from __future__ import annotations

from services.reporting.projections.base import Projection
from services.reporting.projections.clients import projection as clients
from services.reporting.projections.knowledge import projection as knowledge
from services.reporting.projections.nation import projection as nation

PROJECTIONS: tuple[Projection, ...] = (clients, knowledge, nation)


def get_projection(name: str) -> Projection:
    for projection in PROJECTIONS:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in PROJECTIONS) or "none"
    raise KeyError(f"no projection {name!r} (known: {known})")
