"""The envelope every event travels in (ARCHITECTURE.md, "Envelope")."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventEnvelope(BaseModel):
    """One stored and published event. Frozen: events are facts.

    `type` is the versioned type name `"<service>.<Name>.v<N>"`; `payload` is
    the payload as stored (upcast to the newest version when read through
    `shared.events.catalogue.decode`).
    """

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    schema_version: int = Field(ge=1)
    tenant: str
    aggregate_id: str
    aggregate_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    producer: str
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> EventEnvelope:
        return cls.model_validate_json(raw)

    @property
    def name(self) -> str:
        """The type name without its version: `scheduler.WheelStepDue`."""
        return self.type.rsplit(".v", 1)[0]
