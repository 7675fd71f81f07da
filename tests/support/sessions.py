"""The sessions service in a test: clients, and the follow-up year used by the
knowledge report tests, with its figures worked out by hand.

The year (follow-up year 2025: 1 May 2025 – 30 April 2026), unit ifo-barn of
Göteborg (1480):

- work group `barngruppen`, 8 members: m1–m8 from 1 April 2025; m8 leaves
  and m9 joins on 1 December 2025. Relevant parts from 1 April 2025:
  flyttningsförbud (FL), utreseförbud (UT), umgängesbegränsning (UM); from
  1 November 2025 also omedelbart omhändertagande (OM). Its wheel: APT on the
  first Tuesday of every month, due within 14 days (12 occurrences, 6 May
  2025 – 7 April 2026). Sessions answer 8 of them: 6 on time, 2 late (held
  after the 14 days); 4 never (July, October, February, April: missed when
  the year ends on 1 May 2026). One more session, a training day, answers none.
  The January session is corrected afterwards (m5 had not read OM yet; FL had
  3 cases, not 2).
- work group `jour`, 3 members, FL relevant, one case-supervision session.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import grpc

from shared.api import sessions_pb2_grpc as pb_grpc
from shared.embedded.postgres import create_database, database_url_for, drop_database
from shared.events.sessions import (
    Forum,
    InDepthKnowledge,
    OccurrenceRef,
    PartCases,
    PartUptake,
    PracticeChange,
    SessionContent,
)
from shared.settings import Settings
from shared.support_parts import base_catalogue
from tests.support.service import AuthorisedStub

TENANT = "1480"
UNIT = "ifo-barn"
GROUP = "barngruppen"
JOUR = "jour"
YEAR = 2025
FL, UT, UM, OM = "flyttningsforbud", "utreseforbud", "umgange", "omedelbart"
APT_STEP = "apt"
APT_RRULE = "FREQ=MONTHLY;BYDAY=1TU"

APRIL_1 = date(2025, 4, 1)
DECEMBER_1 = date(2025, 12, 1)
#: (member id, display name, joined on, left on)
MEMBERS: list[tuple[str, str, date, date | None]] = [
    ("m1", "Anna", APRIL_1, None),
    ("m2", "Bertil", APRIL_1, None),
    ("m3", "Cecilia", APRIL_1, None),
    ("m4", "David", APRIL_1, None),
    ("m5", "Eva", APRIL_1, None),
    ("m6", "Filip", APRIL_1, None),
    ("m7", "Greta", APRIL_1, None),
    ("m8", "Hassan", APRIL_1, DECEMBER_1),
    ("m9", "Ingrid", DECEMBER_1, None),
]
JOUR_MEMBERS: list[tuple[str, str, date, date | None]] = [
    ("j1", "Jonas", APRIL_1, None),
    ("j2", "Karin", APRIL_1, None),
    ("j3", "Leila", APRIL_1, None),
]
PART_CHOICES: list[tuple[date, list[str]]] = [
    (APRIL_1, [FL, UT, UM]),
    (date(2025, 11, 1), [FL, UT, UM, OM]),
]
EIGHT = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8")
AFTER_DECEMBER = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m9")


@dataclass(frozen=True)
class PlannedSession:
    session_id: str
    held_on: date
    #: The APT occurrence it answers (its date), if any.
    occurrence: date | None
    forum: Forum
    participants: tuple[str, ...]
    yes: tuple[tuple[str, str], ...] = ()
    no: tuple[tuple[str, str, str], ...] = ()
    cases: tuple[tuple[str, int], ...] = ()
    practice: tuple[tuple[str, bool, str], ...] = ()
    in_depth: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def content(self, wheel_id: str) -> SessionContent:
        return SessionContent(
            held_on=self.held_on,
            forum=self.forum,
            occurrence=OccurrenceRef(
                wheel_id=wheel_id, step_id=APT_STEP, occurrence_date=self.occurrence
            )
            if self.occurrence is not None
            else None,
            participants=self.participants,
            taken_part=(
                *(PartUptake(member_id=m, part=p, taken_part=True) for m, p in self.yes),
                *(PartUptake(member_id=m, part=p, taken_part=False, plan=t) for m, p, t in self.no),
            ),
            cases=tuple(PartCases(part=p, cases=n) for p, n in self.cases),
            practice=tuple(
                PracticeChange(part=p, changed=c, description=d) for p, c, d in self.practice
            ),
            in_depth=tuple(InDepthKnowledge(member_id=m, parts=ps) for m, ps in self.in_depth),
        )

    @property
    def late(self) -> bool:
        """Held after the occurrence's 14 days."""
        return self.occurrence is not None and (self.held_on - self.occurrence).days > 14


SESSIONS: list[PlannedSession] = [
    PlannedSession(
        "s1", date(2025, 5, 6), date(2025, 5, 6), "apt", EIGHT[:6],
        yes=(("m1", FL), ("m2", FL), ("m3", FL), ("m1", UT), ("m1", UM)),
        no=(("m4", FL, "Läser till juni-APT"),),
        cases=((FL, 2), (UT, 0), (UM, 1)),
        practice=((FL, True, "Vi begär flyttningsförbud tidigare"), (UM, False, "")),
    ),
    PlannedSession(
        "s2", date(2025, 6, 10), date(2025, 6, 3), "apt", EIGHT,
        yes=(("m4", FL), ("m5", FL), ("m2", UT), ("m3", UT), ("m8", UM)),
        no=(("m6", FL, "Läser i augusti"),),
        cases=((FL, 1), (UT, 1)),
        practice=((FL, False, ""), (UT, True, "Kontakt med passmyndigheten")),
        in_depth=(("m8", (UM,)),),
    ),
    PlannedSession(
        "s3", date(2025, 8, 26), date(2025, 8, 5), "apt", EIGHT[:7],
        yes=(("m6", FL), ("m7", FL), ("m4", UT), ("m2", UM)),
        no=(("m3", UM, "Gå igenom filmen"),),
        cases=((FL, 0), (UT, 2), (UM, 1)),
        practice=((UT, True, "Tidig kontakt med polisen"), (UM, False, "")),
    ),
    PlannedSession(
        "s4", date(2025, 9, 2), date(2025, 9, 2), "apt", EIGHT,
        yes=(("m8", FL), ("m5", UT), ("m3", UM)),
        cases=((FL, 1),),
        practice=((FL, True, "Ny checklista"),),
        in_depth=(("m1", (FL, UT)), ("m2", (UM,))),
    ),
    PlannedSession(
        "s5", date(2025, 10, 15), None, "utbildningsdag", EIGHT,
        yes=(("m6", UT), ("m7", UT), ("m4", UM), ("m5", UM)),
        no=(("m6", UM, "Läser inför nästa APT"),),
    ),
    PlannedSession(
        "s6", date(2025, 11, 4), date(2025, 11, 4), "apt", EIGHT,
        yes=(("m1", OM), ("m2", OM), ("m6", UM)),
        no=(("m3", OM, "Läser stödet om 6 §"),),
        cases=((FL, 1), (OM, 2)),
        practice=((FL, False, ""), (OM, True, "Snabbare beslut")),
    ),
    PlannedSession(
        "s7", date(2025, 12, 2), date(2025, 12, 2), "apt", AFTER_DECEMBER,
        yes=(("m9", FL), ("m3", OM)),
        no=(("m9", UT, "Introduktion med mentor"),),
        cases=((UT, 1), (UM, 1)),
        practice=((UT, False, ""), (UM, True, "Umgänge planeras med barnet")),
    ),
    PlannedSession(
        "s8", date(2026, 1, 27), date(2026, 1, 6), "apt", AFTER_DECEMBER,
        yes=(("m4", OM), ("m5", OM), ("m7", UM)),
        cases=((FL, 2), (OM, 1)),
        practice=((FL, True, "Samverkan med skolan"), (OM, False, "")),
    ),
    PlannedSession(
        "s9", date(2026, 3, 3), date(2026, 3, 3), "apt", AFTER_DECEMBER,
        yes=(("m9", UT), ("m6", OM)),
        no=(("m9", UM, "Läser i april"),),
        cases=((UT, 1), (OM, 1)),
        practice=((UT, True, "Ny rutin för pass"), (OM, True, "Checklista vid omhändertagande")),
        in_depth=(("m3", (OM,)),),
    ),
]  # fmt: skip
#: The January session as corrected: m5 had not read OM; FL had 3 cases.
CORRECTED_S8 = PlannedSession(
    "s8", date(2026, 1, 27), date(2026, 1, 6), "apt", AFTER_DECEMBER,
    yes=(("m4", OM), ("m7", UM)),
    no=(("m5", OM, "Läser i februari"),),
    cases=((FL, 3), (OM, 1)),
    practice=((FL, True, "Samverkan med skolan"), (OM, False, "")),
)  # fmt: skip
JOUR_SESSION = PlannedSession(
    "j-s1", date(2025, 9, 10), None, "arendehandledning", ("j1", "j2"),
    yes=(("j1", FL),),
    no=(("j2", FL, "Läser i oktober"),),
    cases=((FL, 1),),
    practice=((FL, True, "Tätare uppföljning"),),
)  # fmt: skip

# --- the figures, worked out by hand --------------------------------------------------
#
# Coverage after each session of barngruppen (members "yes" / members that day):
#   s1 06 May: FL {m1,m2,m3} 3/8, UT {m1} 1/8, UM {m1} 1/8;           open: m4 FL
#   s2 10 Jun: FL +m4,m5 5/8, UT +m2,m3 3/8, UM +m8 2/8;              open: m6 FL
#   s3 26 Aug: FL +m6,m7 7/8, UT +m4 4/8, UM +m2 3/8;                 open: m3 UM
#   s4 02 Sep: FL +m8 8/8, UT +m5 5/8, UM +m3 4/8;                    open: none
#   s5 15 Oct: FL 8/8, UT +m6,m7 7/8, UM +m4,m5 6/8;                  open: m6 UM
#   s6 04 Nov: FL 8/8, UT 7/8, UM +m6 7/8, OM {m1,m2} 2/8;             open: m3 OM
#   s7 02 Dec (m8 gone, m9 new): FL m1-m7 + m9 8/8, UT m1-m7 7/8, UM m1-m6 6/8,
#      OM +m3 3/8;                                                 open: m9 UT
#   s8 27 Jan (corrected): FL 8/8, UT 7/8, UM +m7 7/8, OM +m4 4/8;     open: m5 OM, m9 UT
#   s9 03 Mar: FL 8/8, UT +m9 8/8, UM 7/8 (m9 not yet), OM +m6 5/8;    open: m5 OM, m9 UM
# Cases over the year: FL 2+1+0+1+1+3 = 8, UT 0+1+2+1+1 = 5, UM 1+1+1 = 3, OM 2+1+1 = 4.
# Changed practice: FL yes in s1, s4, s8 of s1, s2, s4, s6, s8: 3/5; UT s2, s3, s9 of
# s2, s3, s7, s9: 3/4; UM s7 of s1, s3, s7: 1/3; OM s6, s9 of s6, s8, s9: 2/3.

#: (due, on_time, late, overdue, missed, open)
Occurrences = tuple[int, int, int, int, int, int]
NONE: Occurrences = (0, 0, 0, 0, 0, 0)
ON_TIME: Occurrences = (1, 1, 0, 0, 0, 0)
LATE: Occurrences = (1, 0, 1, 0, 0, 0)
MISSED: Occurrences = (1, 0, 0, 0, 1, 0)
#: part → (coverage or None, cases, (changed, answered), open plans)
Parts = dict[str, tuple[tuple[int, int] | None, int, tuple[int, int], int]]
#: period → (sessions, occurrences, parts)
Figures = dict[str, tuple[int, Occurrences, Parts]]

BARNGRUPPEN: Figures = {
    "2025": (9, (12, 6, 2, 0, 4, 0), {
        FL: ((8, 8), 8, (3, 5), 0), OM: ((5, 8), 4, (2, 3), 1),
        UM: ((7, 8), 3, (1, 3), 1), UT: ((8, 8), 5, (3, 4), 0),
    }),
    "2025-05": (1, ON_TIME, {
        FL: ((3, 8), 2, (1, 1), 1), UM: ((1, 8), 1, (0, 1), 0), UT: ((1, 8), 0, (0, 0), 0),
    }),
    "2025-06": (1, ON_TIME, {
        FL: ((5, 8), 1, (0, 1), 1), UM: ((2, 8), 0, (0, 0), 0), UT: ((3, 8), 1, (1, 1), 0),
    }),
    "2025-07": (0, MISSED, {}),
    "2025-08": (1, LATE, {
        FL: ((7, 8), 0, (0, 0), 0), UM: ((3, 8), 1, (0, 1), 1), UT: ((4, 8), 2, (1, 1), 0),
    }),
    "2025-09": (1, ON_TIME, {
        FL: ((8, 8), 1, (1, 1), 0), UM: ((4, 8), 0, (0, 0), 0), UT: ((5, 8), 0, (0, 0), 0),
    }),
    "2025-10": (1, MISSED, {
        FL: ((8, 8), 0, (0, 0), 0), UM: ((6, 8), 0, (0, 0), 1), UT: ((7, 8), 0, (0, 0), 0),
    }),
    "2025-11": (1, ON_TIME, {
        FL: ((8, 8), 1, (0, 1), 0), OM: ((2, 8), 2, (1, 1), 1),
        UM: ((7, 8), 0, (0, 0), 0), UT: ((7, 8), 0, (0, 0), 0),
    }),
    "2025-12": (1, ON_TIME, {
        FL: ((8, 8), 0, (0, 0), 0), OM: ((3, 8), 0, (0, 0), 0),
        UM: ((6, 8), 1, (1, 1), 0), UT: ((7, 8), 1, (0, 1), 1),
    }),
    "2026-01": (1, LATE, {
        FL: ((8, 8), 3, (1, 1), 0), OM: ((4, 8), 1, (0, 1), 1),
        UM: ((7, 8), 0, (0, 0), 0), UT: ((7, 8), 0, (0, 0), 1),
    }),
    "2026-02": (0, MISSED, {}),
    "2026-03": (1, ON_TIME, {
        FL: ((8, 8), 0, (0, 0), 0), OM: ((5, 8), 1, (1, 1), 1),
        UM: ((7, 8), 0, (0, 0), 1), UT: ((8, 8), 1, (1, 1), 0),
    }),
    "2026-04": (0, MISSED, {}),
}  # fmt: skip
# jour: j1 yes, j2 "not yet" of 3 members; one case; changed practice.
JOUR_FIGURES: Figures = {
    "2025": (1, NONE, {FL: ((1, 3), 1, (1, 1), 1)}),
    "2025-09": (1, NONE, {FL: ((1, 3), 1, (1, 1), 1)}),
}
# The unit: barngruppen + jour. FL coverage 8/8 + 1/3 = 9/11, cases 8 + 1, practice
# 3/5 + 1/1 = 4/6, open plans 0 + 1; September likewise (8/8 + 1/3, 1 + 1, 1/1 + 1/1).
UNIT_FIGURES: Figures = {
    **BARNGRUPPEN,
    "2025": (10, (12, 6, 2, 0, 4, 0), {
        FL: ((9, 11), 9, (4, 6), 1), OM: ((5, 8), 4, (2, 3), 1),
        UM: ((7, 8), 3, (1, 3), 1), UT: ((8, 8), 5, (3, 4), 0),
    }),
    "2025-09": (2, ON_TIME, {
        FL: ((9, 11), 2, (2, 2), 1), UM: ((4, 8), 0, (0, 0), 0), UT: ((5, 8), 0, (0, 0), 0),
    }),
}  # fmt: skip
#: (work group, member id, display name, part, plan, since), in report order
OPEN_PLANS = [
    (GROUP, "m5", "Eva", OM, "Läser i februari", "2026-01-27"),
    (GROUP, "m9", "Ingrid", UM, "Läser i april", "2026-03-03"),
    (JOUR, "j2", "Karin", FL, "Läser i oktober", "2025-09-10"),
]
#: m8 (umgänge, in depth since June) left in December: no longer a candidate.
MENTOR_CANDIDATES = [
    (GROUP, FL, "m1", "Anna"),
    (GROUP, OM, "m3", "Cecilia"),
    (GROUP, UM, "m2", "Bertil"),
    (GROUP, UT, "m1", "Anna"),
]
MONTHS = [f"2025-{m:02d}" for m in range(5, 13)] + [f"2026-{m:02d}" for m in range(1, 5)]


def _names() -> dict[str, tuple[str, str]]:
    return {p.code: (p.name_sv, p.name_en) for p in base_catalogue()}


def expected_period(figures: Figures, period: str, lang: str = "sv") -> dict[str, Any]:
    """A period as `arshjul.sessions_cli.report_json` writes it, from the hand-worked table."""
    sessions, occurrences, parts = figures.get(period, (0, NONE, {}))
    names = _names()
    return {
        "period": period,
        "sessions": sessions,
        "occurrences": dict(
            zip(("due", "on_time", "late", "overdue", "missed", "open"), occurrences, strict=True)
        ),
        "parts": [
            {
                "part": code,
                "name": names[code][0 if lang == "sv" else 1],
                "coverage": {"numerator": cov[0], "denominator": cov[1]} if cov else None,
                "cases": cases,
                "changed_practice": {"numerator": practice[0], "denominator": practice[1]},
                "open_plans": plans,
            }
            for code, (cov, cases, practice, plans) in sorted(parts.items())
        ],
    }


def expected_scope(figures: Figures, work_group: str, lang: str = "sv") -> dict[str, Any]:
    return {
        "unit": UNIT if work_group else "",
        "work_group": work_group,
        "year": expected_period(figures, str(YEAR), lang),
        "months": [expected_period(figures, month, lang) for month in MONTHS],
    }


def expected_report(*, mentors: bool, lang: str = "sv") -> dict[str, Any]:
    """The whole unit report of follow-up year 2025, as JSON."""
    return {
        "tenant": TENANT,
        "unit": UNIT,
        "work_group": "",
        "year": YEAR,
        "year_starts": "2025-05-01",
        "year_ends": "2026-04-30",
        "language": lang,
        "total": expected_scope(UNIT_FIGURES, "", lang),
        "work_groups": [
            expected_scope(BARNGRUPPEN, GROUP, lang),
            expected_scope(JOUR_FIGURES, JOUR, lang),
        ],
        "open_plans": [
            {
                "unit": UNIT,
                "work_group": group,
                "member_id": member,
                "display_name": name,
                "part": part,
                "plan": plan,
                "since": since,
            }
            for group, member, name, part, plan, since in OPEN_PLANS
        ],
        "mentor_candidates_visible": mentors,
        "mentor_candidates": [
            {
                "unit": UNIT,
                "work_group": group,
                "part": part,
                "member_id": member,
                "display_name": name,
            }
            for group, part, member, name in (MENTOR_CANDIDATES if mentors else [])
        ],
    }


class Client(AuthorisedStub):
    """A sessions stub whose calls carry one caller's bearer token."""

    def __init__(self, channel: grpc.aio.Channel, bearer: str) -> None:
        super().__init__(pb_grpc.SessionsStub(channel), bearer)


@asynccontextmanager
async def module_settings(
    postgres_admin_url: str, kafka_bootstrap: str, home: Path, **updates: Any
) -> AsyncIterator[Settings]:
    """Like tests/conftest.py's `settings`, for a whole test module: a fresh
    database (dropped afterwards), its own topic prefix, the simulated clock."""
    name = f"t_{uuid.uuid4().hex}"
    await create_database(postgres_admin_url, name)
    try:
        yield Settings(
            home=home,
            database_url=database_url_for(postgres_admin_url, name),
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
            kafka_idempotence=False,
            kafka_session_timeout_ms=2000,
            kafka_heartbeat_interval_ms=500,
            clock="simulated",
            **updates,
        )
    finally:
        await drop_database(postgres_admin_url, name)
