"""The catalogue of support parts: the regional base (shared.support_parts), plus
each municipality's own.

A municipality adds parts of its own by a command; each addition is a
`SupportPartAdded` event on the municipality's catalogue stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.sessions.domain import checks
from shared.errors import FailedPrecondition
from shared.events.catalogue import EventPayload
from shared.events.sessions import SupportPartAdded
from shared.eventstore import NewEvent
from shared.support_parts import SupportPart, base_catalogue


def catalogue_stream(tenant: str) -> str:
    return f"support-parts-{tenant}"


@dataclass
class MunicipalCatalogue:
    """One municipality's catalogue: the base and its own additions."""

    tenant: str
    version: int = 0
    additions: dict[str, SupportPart] = field(default_factory=dict)

    @property
    def stream_id(self) -> str:
        return catalogue_stream(self.tenant)

    def parts(self) -> tuple[SupportPart, ...]:
        return (*base_catalogue(), *self.additions.values())

    def get(self, code: str) -> SupportPart | None:
        return next((part for part in self.parts() if part.code == code), None)

    def apply(self, payload: EventPayload) -> None:
        self.version += 1
        match payload:
            case SupportPartAdded():
                self.additions[payload.code] = SupportPart(
                    code=payload.code,
                    name_sv=payload.name_sv,
                    name_en=payload.name_en,
                    version=payload.part_version,
                    origin=payload.tenant,
                )
            case _:
                raise TypeError(f"a catalogue does not apply {type(payload).__name__}")

    def decide_add(
        self, *, code: str, name_sv: str, name_en: str, by: str, now: datetime
    ) -> list[NewEvent]:
        checks.part_code(code, "code")
        name_sv = checks.name(name_sv, "name_sv")
        name_en = checks.name(name_en, "name_en")
        if self.get(code) is not None:
            raise FailedPrecondition(f"the catalogue already has a part {code!r}", field="code")
        added = SupportPartAdded(
            tenant=self.tenant,
            code=code,
            name_sv=name_sv,
            name_en=name_en,
            part_version=1,
            added_by=by,
        )
        return [NewEvent(added, occurred_at=now)]
