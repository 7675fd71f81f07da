"""Events of the reporting service: compiled reports and the managers' comments.

A compiled report (DOMAIN.md section 3, the LOKE wheel's compile steps) is
announced with `ReportCompiled` on its own stream
(`report-<scope>-<year>`, e.g. `report-municipality:1480-2025`), one event
per version. For a region or the nation the event carries the scope's
mergeable aggregate itself (additive counts and sums, never one person's
data), so a national instance can merge regions' reports from these events
alone.

`ManagerCommentRecorded` is the unit manager's comment and development areas
(the wheel's "kommentarer-ifo-chef" step); the next compiled version of the
unit's and its municipality's report includes it.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shared.events.catalogue import EventPayload, event


class MomentSums(BaseModel):
    """n observations as n, Σx and Σx², exact ("7", "15/2")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = Field(ge=0)
    total: str = Field(description='Σx as an exact rational, "n" or "n/d".')
    sum_of_squares: str = Field(description='Σx² as an exact rational, "n" or "n/d".')


class Aggregate(BaseModel):
    """A scope's figures as additive statistics, keyed by figure name (see
    services/reporting/domain/merge.py, MergeableAggregate)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: dict[str, int] = Field(default_factory=dict)
    moments: dict[str, MomentSums] = Field(default_factory=dict)
    class_counts: dict[str, dict[str, int]] = Field(default_factory=dict)


class StepRef(BaseModel):
    """The wheel occurrence a compile answers (the scheduler completes it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wheel_id: str
    step_id: str
    occurrence_date: date


@event
class ReportCompiled(EventPayload):
    """A new version of a scope's report for a follow-up year was compiled.

    Compiling again with no new inputs stores no new version: the stored
    one stands, and it is announced again (same version and checksums) only
    when the compile answers a wheel step (`step`), so the scheduler can
    complete it. `aggregate` and `previous_aggregate` are set for the region
    and the nation only.
    """

    event_type = "reporting.ReportCompiled.v1"
    scope: str = Field(
        description='"unit:<id>", "municipality:<code>", "region:<län>" or "nation".'
    )
    municipality: str | None = Field(default=None, description="A unit scope's municipality.")
    year: int = Field(description="Follow-up year, named by the year it starts in.")
    report_version: int = Field(ge=1)
    input_count: int = Field(ge=0)
    inputs_checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
    figures_checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
    aggregate: Aggregate | None = None
    previous_aggregate: Aggregate | None = Field(
        default=None, description="The same scope's aggregate for the previous year (comparison)."
    )
    step: StepRef | None = None


@event
class ManagerCommentRecorded(EventPayload):
    """A unit manager's comment on a year's figures, with the development areas it names."""

    event_type = "reporting.ManagerCommentRecorded.v1"
    unit: str
    year: int
    comment: str = Field(min_length=1, max_length=20_000)
    development_areas: tuple[str, ...] = ()
    recorded_on: date
    recorded_by: str
    step: StepRef | None = None
