"""The knowledge follow-up projection: scheduler and sessions events → figures.

Read model (schema reporting_knowledge):

- `occurrences`: each occurrence of a work group's wheel and its state;
  `occurrence_figures`: per municipality, unit, work group and period (the
  occurrence date's month and follow-up year), how many are in each state.
  Kept by deltas: a batch reads the occurrences it touches, moves each to
  its new state in memory, and adds the differences with one upsert.
- `work_groups`: each group's history as the projection needs it
  (`GroupView`, JSON). The group's figures (`part_figures`,
  `session_figures`, `open_plans`, `mentor_candidates`) are computed again
  from it whenever a batch touches the group, and replaced whole: a late or
  corrected session changes every later figure of its group, and a group's
  history is small.
- `report_inputs` (projections/inputs.py): every event applied, by the
  follow-up year its figures count in: an occurrence's events in the year
  of the occurrence date; a session (and its correction) in the year it was
  held; a member joining or leaving, and a choice of relevant parts, in the
  year it takes effect; the forming of a group in the year it happened. A
  later year's figures also rest on the membership and choices of earlier
  years, which its figures checksum covers.

  The events of a wheel without a work group (the LOKE reporting wheel) are
  not applied and not recorded: they carry no knowledge figure, and the
  reporting wheel's own steps are completed by the compiling itself, so
  recording them would give a just-compiled year a new input each time.

Nothing here reads the wall clock, so a rebuild gives the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.domain.knowledge import (
    OCCURRENCE_STATES,
    OPEN,
    GroupEvent,
    GroupView,
    OccurrenceEvent,
    group_figures,
    next_occurrence_state,
    periods_of,
)
from services.reporting.projections.inputs import (
    ReportInput,
    record_inputs,
    report_inputs_table,
    year_of_occurrence,
)
from shared.events.catalogue import decode
from shared.events.envelope import EventEnvelope
from shared.events.scheduler import WheelStepDue, follow_up_year
from shared.events.sessions import (
    MemberJoined,
    MemberLeft,
    RelevantPartsChosen,
    SessionCorrected,
    SessionRecorded,
)

metadata = sa.MetaData()

occurrences = sa.Table(
    "occurrences",
    metadata,
    sa.Column("wheel_id", sa.Text, primary_key=True),
    sa.Column("step_id", sa.Text, primary_key=True),
    sa.Column("occurrence_date", sa.Date, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("work_group", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
)
occurrence_figures = sa.Table(
    "occurrence_figures",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("unit", sa.Text, primary_key=True),
    sa.Column("work_group", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    *(sa.Column(state, sa.BigInteger, nullable=False) for state in OCCURRENCE_STATES),
)
work_groups = sa.Table(
    "work_groups",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("work_group", sa.Text, primary_key=True),
    sa.Column("view", JSONB, nullable=False),
)


def _group_columns(*keys: str) -> list[sa.Column[Any]]:
    return [
        sa.Column("tenant", sa.Text, primary_key=True),
        sa.Column("work_group", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        *(sa.Column(key, sa.Text, primary_key=True) for key in keys),
        sa.Column("unit", sa.Text, nullable=False),
    ]


session_figures = sa.Table(
    "session_figures",
    metadata,
    *_group_columns(),
    sa.Column("sessions", sa.BigInteger, nullable=False),
)
part_figures = sa.Table(
    "part_figures",
    metadata,
    *_group_columns("part"),
    sa.Column("name_sv", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("coverage_numerator", sa.BigInteger),
    sa.Column("coverage_denominator", sa.BigInteger),
    sa.Column("cases", sa.BigInteger, nullable=False),
    sa.Column("practice_answered", sa.BigInteger, nullable=False),
    sa.Column("practice_changed", sa.BigInteger, nullable=False),
    sa.Column("open_plans", sa.BigInteger, nullable=False),
)
open_plans = sa.Table(
    "open_plans",
    metadata,
    *_group_columns("member_id", "part"),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("plan", sa.Text, nullable=False),
    sa.Column("since", sa.Date, nullable=False),
)
mentor_candidates = sa.Table(
    "mentor_candidates",
    metadata,
    *_group_columns("part", "member_id"),
    sa.Column("display_name", sa.Text, nullable=False),
)
report_inputs = report_inputs_table(metadata)
GROUP_FIGURES = (session_figures, part_figures, open_plans, mentor_candidates)
for _table in (occurrence_figures, *GROUP_FIGURES):
    sa.Index(f"{_table.name}_scope", _table.c.tenant, _table.c.unit, _table.c.period)

OccurrenceKey = tuple[str, str, date]
FigureKey = tuple[str, str, str, str]


class KnowledgeProjection:
    name: str = "knowledge"
    topics: tuple[str, ...] = ("scheduler.events", "sessions.events")
    metadata: sa.MetaData = metadata

    async def apply(self, conn: AsyncConnection, events: Sequence[EventEnvelope]) -> None:
        occurrence_events: list[tuple[EventEnvelope, OccurrenceEvent]] = []
        group_events: list[tuple[EventEnvelope, GroupEvent]] = []
        for envelope in events:
            if not envelope.name.startswith(("scheduler.", "sessions.")):
                continue
            payload = decode(envelope)
            if isinstance(payload, OccurrenceEvent):
                occurrence_events.append((envelope, payload))
            elif isinstance(payload, GroupEvent):
                group_events.append((envelope, payload))
        inputs: list[ReportInput] = []
        if occurrence_events:
            inputs += await _apply_occurrences(conn, occurrence_events)
        if group_events:
            inputs += await _apply_groups(conn, group_events)
        await record_inputs(conn, report_inputs, inputs)


projection = KnowledgeProjection()


async def _apply_occurrences(
    conn: AsyncConnection, events: list[tuple[EventEnvelope, OccurrenceEvent]]
) -> list[ReportInput]:
    """Apply the occurrence events; returns those of work groups' wheels (the applied ones)."""
    keys = {_occurrence_key(payload) for _, payload in events}
    table = occurrences.c
    result = await conn.execute(
        sa.select(
            table.wheel_id,
            table.step_id,
            table.occurrence_date,
            table.tenant,
            table.unit,
            table.work_group,
            table.state,
        ).where(sa.tuple_(table.wheel_id, table.step_id, table.occurrence_date).in_(list(keys)))
    )
    #: key → [tenant, unit, work group, state]
    known: dict[OccurrenceKey, list[str]] = {
        (r.wheel_id, r.step_id, r.occurrence_date): [r.tenant, r.unit, r.work_group, r.state]
        for r in result
    }
    deltas: Counter[tuple[FigureKey, str]] = Counter()
    changed: set[OccurrenceKey] = set()
    applied: list[ReportInput] = []
    for envelope, payload in events:
        key = _occurrence_key(payload)
        row = known.get(key)
        if row is not None:
            applied.append(ReportInput(envelope, row[0], row[1], follow_up_year(key[2])))
        if isinstance(payload, WheelStepDue):
            if row is not None or payload.work_group is None:
                continue  # only a work group's wheel is a knowledge follow-up
            row = known[key] = [envelope.tenant, payload.unit, payload.work_group, OPEN]
            applied.append(ReportInput(envelope, row[0], row[1], follow_up_year(key[2])))
            new, old = OPEN, None
        elif row is None:
            continue
        else:
            old, new = row[3], next_occurrence_state(row[3], payload)
            if new == old:
                continue
            row[3] = new
        changed.add(key)
        for period in periods_of(key[2]):
            figure: FigureKey = (row[0], row[1], row[2], period)
            deltas[(figure, new)] += 1
            if old is not None:
                deltas[(figure, old)] -= 1
    if not changed:
        return applied
    upsert = insert(occurrences)
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=list(occurrences.primary_key.columns),
            set_={"state": upsert.excluded.state},
        ),
        [
            dict(
                zip(
                    (
                        "wheel_id",
                        "step_id",
                        "occurrence_date",
                        "tenant",
                        "unit",
                        "work_group",
                        "state",
                    ),
                    (*key, *known[key]),
                    strict=True,
                )
            )
            for key in sorted(changed)
        ],
    )
    by_figure: dict[FigureKey, dict[str, int]] = {}
    for (figure, state), n in deltas.items():
        by_figure.setdefault(figure, dict.fromkeys(OCCURRENCE_STATES, 0))[state] += n
    figures = insert(occurrence_figures)
    await conn.execute(
        figures.on_conflict_do_update(
            index_elements=list(occurrence_figures.primary_key.columns),
            set_={s: occurrence_figures.c[s] + figures.excluded[s] for s in OCCURRENCE_STATES},
        ),
        [
            {"tenant": t, "unit": u, "work_group": g, "period": p, **counts}
            for (t, u, g, p), counts in sorted(by_figure.items())
        ],
    )
    return applied


def _occurrence_key(payload: OccurrenceEvent) -> OccurrenceKey:
    return payload.wheel_id, payload.step_id, payload.occurrence_date


async def _apply_groups(
    conn: AsyncConnection, events: list[tuple[EventEnvelope, GroupEvent]]
) -> list[ReportInput]:
    """Apply a batch of work groups' events; returns them all (each is applied)."""
    keys = sorted({(e.tenant, p.work_group_id) for e, p in events})
    table = work_groups.c
    result = await conn.execute(
        sa.select(table.tenant, table.work_group, table.view).where(
            sa.tuple_(table.tenant, table.work_group).in_(keys)
        )
    )
    views = {(r.tenant, r.work_group): GroupView.model_validate(r.view) for r in result}
    applied: list[ReportInput] = []
    for envelope, payload in events:
        key = (envelope.tenant, payload.work_group_id)
        view = views.setdefault(key, GroupView(tenant=key[0], work_group_id=key[1]))
        view.apply(payload)
        year = _group_event_year(envelope, payload)
        applied.append(ReportInput(envelope, key[0], view.unit, year))
    upsert = insert(work_groups)
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[table.tenant, table.work_group], set_={"view": upsert.excluded.view}
        ),
        [
            {"tenant": t, "work_group": g, "view": views[(t, g)].model_dump(mode="json")}
            for t, g in keys
        ],
    )
    for figures_table in GROUP_FIGURES:
        await conn.execute(
            sa.delete(figures_table).where(
                sa.tuple_(figures_table.c.tenant, figures_table.c.work_group).in_(keys)
            )
        )
    rows: dict[sa.Table, list[dict[str, Any]]] = {t: [] for t in GROUP_FIGURES}
    for tenant, work_group in keys:
        view = views[(tenant, work_group)]
        figures = group_figures(view)
        scope = {"tenant": tenant, "work_group": work_group, "unit": view.unit}
        rows[session_figures] += [
            {**scope, "period": period, "sessions": n} for period, n in figures.sessions.items()
        ]
        rows[part_figures] += [
            {
                **scope,
                "period": f.period,
                "part": f.part,
                "name_sv": f.name_sv,
                "name_en": f.name_en,
                "coverage_numerator": f.coverage[0] if f.coverage else None,
                "coverage_denominator": f.coverage[1] if f.coverage else None,
                "cases": f.cases,
                "practice_answered": f.practice_answered,
                "practice_changed": f.practice_changed,
                "open_plans": f.open_plans,
            }
            for f in figures.parts
        ]
        rows[open_plans] += [
            {
                **scope,
                "period": p.period,
                "member_id": p.member_id,
                "part": p.part,
                "display_name": p.display_name,
                "plan": p.plan,
                "since": p.since,
            }
            for p in figures.open_plans
        ]
        rows[mentor_candidates] += [
            {
                **scope,
                "period": m.period,
                "part": m.part,
                "member_id": m.member_id,
                "display_name": m.display_name,
            }
            for m in figures.mentor_candidates
        ]
    for figures_table, table_rows in rows.items():
        if table_rows:
            await conn.execute(sa.insert(figures_table), table_rows)
    return applied


def _group_event_year(envelope: EventEnvelope, payload: GroupEvent) -> int:
    """The follow-up year a work group's event counts in (see the module docstring)."""
    match payload:
        case SessionRecorded() | SessionCorrected():
            return follow_up_year(payload.content.held_on)
        case MemberJoined():
            return follow_up_year(payload.joined_on)
        case MemberLeft():
            return follow_up_year(payload.left_on)
        case RelevantPartsChosen():
            return follow_up_year(payload.valid_from)
    return year_of_occurrence(envelope.occurred_at)
