"""Deterministic identities: a follow-up's id follows from its natural key.

A follow-up is (municipality, unit, client pseudonym, date opened). Deriving
the stream id from that key (UUID v5) makes opening the same follow-up twice
hit the same event stream, so an import of the same file twice, or of a row
already entered by hand, appends nothing: the stream exists, and its
(stream, version) key refuses a second first event.
"""

from __future__ import annotations

import uuid
from datetime import date

#: Fixed namespace for Årshjul's follow-up identities (never change it).
NAMESPACE = uuid.UUID("6d0c6f4e-5b7e-4a52-9a55-1f4a2c7e0b51")
PREFIX = "followup-"


def follow_up_id(tenant: str, unit: str, client: str, opened_on: date) -> str:
    key = f"{tenant}/{unit}/{client}/{opened_on.isoformat()}"
    return f"{PREFIX}{uuid.uuid5(NAMESPACE, key)}"
