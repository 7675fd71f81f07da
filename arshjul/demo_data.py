"""The demo's synthetic follow-up year: municipalities, units, work groups and clients.

`generate(seed, scale, year, wheel_start)` returns, as plain data, everything
`arshjul demo` enters through the services' gRPC APIs: per municipality its
units, each with work groups on the knowledge wheel "Tre enkla frågor"
(members joining and leaving, the relevant parts of the LVU support, monthly
sessions held on time, late or not at all) and client follow-ups (intake and
exit ratings on the built-in scales, a goal, an intervention, the goal
assessment, the client survey), and a unit manager's comment per
municipality. The data cover the follow-up year `year` (1 May – 30 April)
and a smaller slice of the year before (its last six months), so the
reports have something to compare with.

Everything comes from `random.Random`, seeded per municipality from `seed`,
so the same arguments give the same data. Nothing here is a person: staff
have first names and an internal id, clients only a pseudonym such as
`K-1480-0042`, and no text holds a personal identity number.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from shared.events.scheduler import follow_up_year
from shared.municipalities import MUNICIPALITIES, REGIONS

Scale = Literal["small", "full"]
SCALES: tuple[Scale, ...] = ("small", "full")

#: The knowledge wheel's steps a session can answer (services/scheduler/domain/templates.py).
APT_STEP = "apt"
PLANNING_STEP = "planeringsdag"
APPRAISAL_STEP = "medarbetarsamtal"
#: The LOKE wheel's steps the demo completes by hand (the compile steps complete on
#: ReportCompiled): data submitted (opens 1 May) and feedback to the units (opens 1 Sep).
LOKE_SUBMITTED = ("data-inlamnad", "05-01", "05-12")
LOKE_FEEDBACK = ("aterkoppling-verksamheter", "09-01", "10-20")
#: The unit every municipality's LOKE wheel belongs to: the IFO as a whole.
LOKE_UNIT = "ifo"


# --- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A member of staff in a work group: an internal id and a first name."""

    member_id: str
    display_name: str
    joined_on: date
    left_on: date | None = None

    def member_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


@dataclass(frozen=True)
class Uptake:
    """Question 1 for one participant and part: taken part, or the plan to."""

    member_id: str
    part: str
    taken_part: bool
    plan: str = ""


@dataclass(frozen=True)
class Session:
    """One documented session of a work group (the three questions)."""

    session_id: str
    held_on: date
    forum: str
    participants: tuple[str, ...]
    taken_part: tuple[Uptake, ...]
    #: Question 2: (part, cases since the last session).
    cases: tuple[tuple[str, int], ...]
    #: Question 3: (part, changed, what).
    practice: tuple[tuple[str, bool, str], ...]
    #: Who knows which parts in depth (mentor candidates).
    in_depth: tuple[tuple[str, tuple[str, ...]], ...] = ()
    notes: str = ""
    #: The knowledge wheel's occurrence it answers: (step id, occurrence date).
    occurrence: tuple[str, date] | None = None


@dataclass(frozen=True)
class PartChoice:
    valid_from: date
    parts: tuple[str, ...]


@dataclass(frozen=True)
class WorkGroup:
    work_group_id: str
    unit: str
    name: str
    forums: tuple[str, ...]
    members: tuple[Member, ...]
    part_choices: tuple[PartChoice, ...]
    sessions: tuple[Session, ...]

    def members_on(self, day: date) -> tuple[str, ...]:
        return tuple(m.member_id for m in self.members if m.member_on(day))


@dataclass(frozen=True)
class FollowUp:
    """One client's follow-up at a unit, as the unit's case-management export holds it.

    `exit`, the goal assessment, the intervention's end, the survey and
    `closed_on` are set only for a follow-up closed within the demo.
    """

    client: str
    unit: str
    client_group: str
    main_problems: tuple[str, ...]
    gender: str | None
    age_band: str | None
    opened_on: date
    goal: tuple[str, str]
    intake: tuple[tuple[str, int], ...]
    intervention: str
    exit: tuple[tuple[str, int], ...] = ()
    exit_on: date | None = None
    intervention_end: date | None = None
    intervention_outcome: str | None = None
    goal_outcome: str | None = None
    survey: tuple[tuple[str, int], ...] = ()
    closed_on: date | None = None

    def row(self, *, closed: bool) -> dict[str, str]:
        """The import row (README, `arshjul import`): the whole follow-up, or only
        what was known while it was open."""
        row = {
            "unit": self.unit,
            "client": self.client,
            "opened_on": self.opened_on.isoformat(),
            "client_group": self.client_group,
            "main_problems": ";".join(self.main_problems),
            "goal": self.goal[0],
            "goal_scale": self.goal[1],
            "intervention": self.intervention,
        }
        if self.gender:
            row["gender"] = self.gender
        if self.age_band:
            row["age_band"] = self.age_band
        row |= {f"intake_{scale}": str(value) for scale, value in self.intake}
        if closed and self.closed_on is not None:
            assert self.exit_on is not None and self.intervention_end is not None
            row |= {f"exit_{scale}": str(value) for scale, value in self.exit}
            row["exit_on"] = self.exit_on.isoformat()
            row["intervention_end"] = self.intervention_end.isoformat()
            row["intervention_outcome"] = self.intervention_outcome or ""
            row["goal_outcome"] = self.goal_outcome or ""
            row |= {f"survey_{item}": str(value) for item, value in self.survey}
            row["closed_on"] = self.closed_on.isoformat()
        return row


@dataclass(frozen=True)
class Unit:
    unit_id: str
    name_sv: str
    name_en: str
    work_groups: tuple[WorkGroup, ...]
    follow_ups: tuple[FollowUp, ...]


@dataclass(frozen=True)
class Comment:
    """A unit manager's comment on the year's figures (LOKE step "kommentarer-ifo-chef")."""

    unit: str
    comment: str
    development_areas: tuple[str, ...]


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    units: tuple[Unit, ...]
    comment: Comment

    @property
    def region(self) -> str:
        return self.code[:2]


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    municipalities: tuple[Municipality, ...]


@dataclass(frozen=True)
class DemoData:
    seed: int
    scale: Scale
    #: The demo's follow-up year, named by the year it starts in.
    year: int
    #: The day the knowledge wheels start (sessions before it answer no occurrence).
    wheel_start: date
    regions: tuple[Region, ...]

    @property
    def municipalities(self) -> tuple[Municipality, ...]:
        return tuple(m for r in self.regions for m in r.municipalities)

    @property
    def units(self) -> tuple[tuple[Municipality, Unit], ...]:
        return tuple((m, u) for m in self.municipalities for u in m.units)

    @property
    def work_groups(self) -> tuple[tuple[Municipality, WorkGroup], ...]:
        return tuple((m, g) for m, u in self.units for g in u.work_groups)

    @property
    def follow_ups(self) -> tuple[tuple[Municipality, FollowUp], ...]:
        return tuple((m, f) for m, u in self.units for f in u.follow_ups)

    @property
    def sessions(self) -> int:
        return sum(len(g.sessions) for _, g in self.work_groups)

    @property
    def ends_on(self) -> date:
        """The last day of the demo year."""
        return date(self.year + 1, 4, 30)


# --- what the demo is made of --------------------------------------------------------------


@dataclass(frozen=True)
class ClientGroup:
    name: str
    weight: float
    problems: tuple[str, ...]
    #: (goal title, scale of its measure)
    goal: tuple[str, str]
    #: Scales rated at intake and exit.
    scales: tuple[str, ...]


@dataclass(frozen=True)
class UnitKind:
    unit_id: str
    name_sv: str
    name_en: str
    group_names: tuple[str, ...]
    client_groups: tuple[ClientGroup, ...]
    interventions: tuple[str, ...]
    age_bands: tuple[tuple[str, float], ...]
    #: Parts of the LVU support the unit's groups choose among.
    parts: tuple[str, ...]


_ADULT_AGES: tuple[tuple[str, float], ...] = (
    ("18-24", 0.16), ("25-34", 0.26), ("35-44", 0.22), ("45-54", 0.18), ("55-64", 0.12),
    ("65+", 0.06),
)  # fmt: skip
_ALCOHOL = ("Minska riskabel alkoholkonsumtion", "audit")
_LIFE = ("Förbättrad livssituation", "livssituation")
_WORK = ("Ökad närvaro i arbetsmarknadsinsats", "narvarodagar")
_SCHOOL = ("Ökad skolnärvaro", "narvarodagar")

UNIT_KINDS: dict[str, UnitKind] = {
    kind.unit_id: kind
    for kind in (
        UnitKind(
            "ifo-vuxen",
            "Vuxenenheten",
            "Adult services",
            ("Vuxengruppen", "Mottagningen"),
            (
                ClientGroup(
                    "missbruk", 0.45, ("alkohol", "narkotika", "boende", "ekonomi"), _ALCOHOL,
                    ("audit", "livssituation"),
                ),
                ClientGroup(
                    "arbete och försörjning", 0.3, ("arbetslöshet", "ekonomi", "psykisk ohälsa"),
                    _WORK, ("narvarodagar", "livssituation"),
                ),
                ClientGroup(
                    "våld i nära relation", 0.25, ("våld", "boende", "psykisk ohälsa"), _LIFE,
                    ("livssituation",),
                ),
            ),
            ("MI-samtal", "Stödsamtal", "Boendestöd", "Arbetsträning", "Återfallsprevention"),
            _ADULT_AGES,
            ("miljo", "umgange", "drogtest", "handrackning", "omedelbart"),
        ),
        UnitKind(
            "ifo-barn",
            "Barn och unga",
            "Children and young people",
            ("Barngruppen", "Utredningsgruppen"),
            (
                ClientGroup(
                    "barn och unga", 0.6, ("skolfrånvaro", "relationer i familjen", "kriminalitet"),
                    _SCHOOL, ("narvarodagar",),
                ),
                ClientGroup(
                    "familj", 0.4, ("relationer i familjen", "föräldraförmåga", "våld"), _SCHOOL,
                    ("narvarodagar",),
                ),
            ),
            ("Familjebehandling", "Kontaktperson", "Föräldrastöd (Comet)", "MST", "FFT"),
            (("0-12", 0.45), ("13-17", 0.55)),
            (
                "miljo", "beteende", "omedelbart", "placering", "overvagande", "umgange",
                "flyttningsforbud", "utreseforbud", "vardnad",
            ),
        ),
        UnitKind(
            "beroende",
            "Beroendeenheten",
            "Addiction services",
            ("Öppenvårdsteamet",),
            (
                ClientGroup(
                    "missbruk", 0.8, ("alkohol", "narkotika", "psykisk ohälsa"), _ALCOHOL,
                    ("audit", "livssituation"),
                ),
                ClientGroup(
                    "spel om pengar", 0.2, ("spel", "ekonomi", "relationer i familjen"), _LIFE,
                    ("livssituation",),
                ),
            ),
            ("Återfallsprevention", "CRA", "Tolvstegsbehandling", "MI-samtal", "Spelbehandling"),
            _ADULT_AGES,
            ("drogtest", "umgange", "beteende", "uppfoljning"),
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class UnitPlan:
    kind: str
    groups: int
    #: Follow-ups opened in the demo year: (fewest, most).
    clients: tuple[int, int]
    #: Members per work group at the start: (fewest, most).
    members: tuple[int, int] = (5, 12)


#: Region → municipality → units. Some units are deliberately small, so the
#: region's view shows suppressed cells ("..").
PLANS: dict[Scale, dict[str, dict[str, tuple[UnitPlan, ...]]]] = {
    "full": {
        "14": {
            "1480": (
                UnitPlan("ifo-vuxen", 2, (60, 80)),
                UnitPlan("ifo-barn", 2, (50, 70)),
                UnitPlan("beroende", 1, (40, 60)),
            ),
            "1482": (UnitPlan("ifo-vuxen", 1, (30, 45)), UnitPlan("ifo-barn", 1, (25, 40))),
            "1401": (UnitPlan("ifo-barn", 1, (20, 30)), UnitPlan("beroende", 1, (8, 12))),
        },
        "13": {
            "1380": (
                UnitPlan("ifo-vuxen", 1, (35, 50)),
                UnitPlan("ifo-barn", 1, (30, 45)),
                UnitPlan("beroende", 1, (9, 13)),
            ),
            "1383": (UnitPlan("ifo-vuxen", 1, (20, 30)), UnitPlan("ifo-barn", 1, (6, 10))),
        },
    },
    "small": {
        "14": {
            "1480": (
                UnitPlan("ifo-vuxen", 1, (12, 16), (5, 7)),
                UnitPlan("ifo-barn", 1, (10, 14), (5, 7)),
            ),
            "1482": (UnitPlan("ifo-vuxen", 1, (6, 9), (5, 6)),),
        },
        "13": {"1380": (UnitPlan("ifo-vuxen", 1, (10, 14), (5, 7)),)},
    },
}

FIRST_NAMES = (
    "Anna", "Maria", "Sara", "Emma", "Johanna", "Linnea", "Elin", "Karin", "Ida", "Frida",
    "Amira", "Leila", "Fatima", "Nadia", "Sofia", "Hanna", "Erik", "Johan", "Anders", "Lars",
    "Mikael", "Ahmed", "Ali", "Daniel", "Jonas", "Oskar", "Filip", "Hassan", "Omar", "Mattias",
    "Ingrid", "Greta", "Kristina", "Malin", "Petra", "Viktor", "Emil", "Samir", "Tove", "Ulla",
)  # fmt: skip
PLANS_NOT_YET = (
    "Läser materialet till nästa APT",
    "Ser filmen tillsammans med en kollega",
    "Går igenom flödesschemat med mentor",
    "Tar del av reflektionsmaterialet under introduktionen",
    "Läser på inför ärendehandledningen",
    "Avsätter tid på planeringsdagen",
)
PRACTICE = {
    "miljo": "Vi dokumenterar riskbedömningen tydligare",
    "beteende": "Tidigare samråd med skolan",
    "omedelbart": "Checklista vid omedelbart omhändertagande",
    "placering": "Barnets synpunkter inhämtas före placering",
    "overvagande": "Övervägandena planeras in i kalendern",
    "umgange": "Umgänget planeras tillsammans med barnet",
    "drogtest": "Rutin för drogtest inför umgänge",
    "handrackning": "Samordning med polisen inför handräckning",
    "flyttningsforbud": "Vi prövar flyttningsförbud tidigare",
    "utreseforbud": "Tidig kontakt med passmyndigheten",
    "vardnad": "Vårdnadsöverflyttning övervägs vid varje omprövning",
    "uppfoljning": "Uppföljningssamtal efter avslutad vård",
}
NOTES = (
    "",
    "",
    "",
    "Bra diskussion om erfarenheter från årets ärenden.",
    "Kort genomgång, mer tid behövs nästa gång.",
    "Nyanställda fick en introduktion till stödet.",
)
COMMENTS = (
    (
        "Täckningen för stödet ökade under året men nyanställda hann inte ta del av "
        "alla delar. Andelen insatser som avslutades enligt plan är i nivå med "
        "föregående år.",
        ("Introduktion av nyanställda i LVU-stödet", "Uppföljning av avbrutna insatser"),
    ),
    (
        "Fler klienter skattade sin livssituation både vid in- och utskrivning än "
        "tidigare. Målen uppnåddes oftare där insatsen pågick hela planerade tiden.",
        ("Systematisk utskrivningsskattning", "Tydligare mål i genomförandeplanen"),
    ),
    (
        "Arbetsgrupperna höll de flesta APT-tillfällena, men några missades under "
        "hösten. Klientenkäten visar ett gott bemötande.",
        ("Årshjulet för APT under hösten", "Brukarinflytande i planeringen"),
    ),
)
SURVEY_ITEMS = ("bemotande", "insatser", "inflytande", "helhet")


# --- generating ----------------------------------------------------------------------------


def demo_year(today: date) -> int:
    """The first follow-up year starting (1 May) on or after `today`."""
    return today.year if today <= date(today.year, 5, 1) else today.year + 1


def first_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7)


def months(first: date, last: date) -> Iterator[tuple[int, int]]:
    """(year, month) from `first`'s month through `last`'s."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def generate(seed: int, scale: Scale, year: int, wheel_start: date) -> DemoData:
    """The demo's data for follow-up year `year` (and the last half of the one before).

    Sessions on or after `wheel_start` answer the knowledge wheel's occurrence
    of their month; earlier ones (the previous year's history) answer none.
    """
    regions = []
    for region_code, municipalities in PLANS[scale].items():
        built = tuple(
            _Municipality(random.Random(f"{seed}:{code}"), code, year, wheel_start).build(units)
            for code, units in municipalities.items()
        )
        regions.append(Region(region_code, REGIONS[region_code], built))
    return DemoData(seed, scale, year, wheel_start, tuple(regions))


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _day_in(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


@dataclass
class _Municipality:
    rng: random.Random
    code: str
    year: int
    wheel_start: date
    next_client: int = 1
    next_member: int = 1
    names: list[str] = field(default_factory=list)

    @property
    def starts(self) -> date:
        """The first day of the previous year's slice: 1 November before the demo year."""
        return date(self.year - 1, 11, 1)

    @property
    def ends(self) -> date:
        return date(self.year + 1, 4, 30)

    def build(self, plans: Sequence[UnitPlan]) -> Municipality:
        self.names = list(FIRST_NAMES)
        self.rng.shuffle(self.names)
        units = tuple(self._unit(plan) for plan in plans)
        text, areas = self.rng.choice(COMMENTS)
        return Municipality(
            self.code, MUNICIPALITIES[self.code], units, Comment(units[0].unit_id, text, areas)
        )

    def _unit(self, plan: UnitPlan) -> Unit:
        kind = UNIT_KINDS[plan.kind]
        groups = tuple(
            self._work_group(kind, kind.group_names[i % len(kind.group_names)], i, plan)
            for i in range(plan.groups)
        )
        count = self.rng.randint(*plan.clients)
        previous = max(2, round(count * self.rng.uniform(0.3, 0.4)))
        follow_ups = [
            self._follow_up(kind, self.starts, date(self.year, 4, 15), improvement=0.8)
            for _ in range(previous)
        ]
        follow_ups += [
            self._follow_up(kind, date(self.year, 5, 1), date(self.year + 1, 4, 20), improvement=1)
            for _ in range(count)
        ]
        follow_ups.sort(key=lambda f: (f.opened_on, f.client))
        return Unit(kind.unit_id, kind.name_sv, kind.name_en, groups, tuple(follow_ups))

    # -- work groups -------------------------------------------------------------------------

    def _member(self, joined_on: date) -> Member:
        name = self.names[(self.next_member - 1) % len(self.names)]
        member = Member(f"p{self.code}-{self.next_member:03d}", name, joined_on)
        self.next_member += 1
        return member

    def _work_group(self, kind: UnitKind, name: str, index: int, plan: UnitPlan) -> WorkGroup:
        rng = self.rng
        formed = date(self.year - 2, rng.randint(1, 12), 1)
        members = [
            self._member(_day_in(rng, formed, date(self.year - 1, 10, 1)))
            for _ in range(rng.randint(*plan.members))
        ]
        # Staff turnover in the demo year: some leave, new ones join.
        for leaving in rng.sample(range(len(members)), rng.choice((0, 1, 1, 2))):
            left_on = _day_in(rng, date(self.year, 6, 1), date(self.year + 1, 3, 1))
            members[leaving] = replace(members[leaving], left_on=left_on)
            if rng.random() < 0.8:
                members.append(self._member(left_on + timedelta(days=rng.randint(7, 45))))
        if rng.random() < 0.4:
            members.append(
                self._member(_day_in(rng, date(self.year, 8, 1), date(self.year, 9, 15)))
            )
        chosen = tuple(sorted(rng.sample(kind.parts, rng.randint(3, min(5, len(kind.parts))))))
        choices = [PartChoice(formed, chosen)]
        others = [p for p in kind.parts if p not in chosen]
        if others and rng.random() < 0.6:
            added = rng.choice(others)
            choices.append(PartChoice(date(self.year, 11, 1), tuple(sorted((*chosen, added)))))
        work_group_id = f"{kind.unit_id}-{index + 1}"
        group = WorkGroup(
            work_group_id,
            kind.unit_id,
            name,
            ("apt", "planeringsdag", "medarbetarsamtal", "utbildningsdag", "arendehandledning"),
            tuple(members),
            tuple(choices),
            (),
        )
        sessions = _Sessions(rng, group, self.wheel_start).plan(self.starts, self.ends)
        return replace(group, sessions=sessions)

    # -- client follow-ups -------------------------------------------------------------------

    def _follow_up(self, kind: UnitKind, first: date, last: date, improvement: float) -> FollowUp:
        rng = self.rng
        group = rng.choices(kind.client_groups, weights=[g.weight for g in kind.client_groups])[0]
        opened = _day_in(rng, first, last)
        client = f"K-{self.code}-{self.next_client:04d}"
        self.next_client += 1
        gender = rng.choices(("female", "male", "other", None), (0.46, 0.46, 0.02, 0.06))[0]
        bands = kind.age_bands
        age_band = rng.choices([b for b, _ in bands] + [None], [w for _, w in bands] + [0.04])[0]
        problems = tuple(rng.sample(group.problems, rng.randint(1, min(3, len(group.problems)))))
        intake = tuple((scale, _intake(rng, scale)) for scale in group.scales)
        follow_up = FollowUp(
            client=client,
            unit=kind.unit_id,
            client_group=group.name,
            main_problems=problems,
            gender=gender,
            age_band=age_band,
            opened_on=opened,
            goal=group.goal,
            intake=intake,
            intervention=rng.choice(kind.interventions),
        )
        exit_on = opened + timedelta(days=rng.randint(45, 300))
        closed_on = exit_on + timedelta(days=rng.randint(0, 14))
        if closed_on > self.ends or rng.random() < 0.08:
            return follow_up  # still open when the demo ends
        exits = tuple(
            (scale, _exit(rng, scale, value, improvement)) for scale, value in follow_up.intake
        )
        goal_outcome = _goal_outcome(rng, group.goal[1], dict(intake), dict(exits))
        completed = rng.random() < (0.85 if goal_outcome == "achieved" else 0.6)
        ended = exit_on if completed else opened + (exit_on - opened) * rng.uniform(0.3, 0.8)
        survey = (
            tuple(
                (item, rng.choices((1, 2, 3, 4, 5), (2, 4, 14, 40, 40))[0]) for item in SURVEY_ITEMS
            )
            if rng.random() < 0.65
            else ()
        )
        return replace(
            follow_up,
            exit=exits,
            exit_on=exit_on,
            intervention_end=ended,
            intervention_outcome="completed" if completed else "ended_early",
            goal_outcome=goal_outcome,
            survey=survey,
            closed_on=closed_on,
        )


#: (mean, SD, min, max) at intake; the mean change at exit; what a real change is.
_SCALE_MODEL: dict[str, tuple[float, float, int, int, float, float]] = {
    "audit": (19, 7, 0, 40, -6, 6),
    "livssituation": (15, 4, 6, 30, 3, 3.5),
    "narvarodagar": (35, 18, 0, 92, 14, 16),
}
_REAL_CHANGE = {"audit": 5, "livssituation": 3, "narvarodagar": 10}


def _intake(rng: random.Random, scale: str) -> int:
    mean, sd, low, high, _, _ = _SCALE_MODEL[scale]
    return _clamp(rng.gauss(mean, sd), low, high)


def _exit(rng: random.Random, scale: str, intake: int, improvement: float) -> int:
    _, _, low, high, change, sd = _SCALE_MODEL[scale]
    return _clamp(intake + rng.gauss(change * improvement, sd), low, high)


def _goal_outcome(
    rng: random.Random, scale: str, intake: dict[str, int], exits: dict[str, int]
) -> str:
    gain = exits[scale] - intake[scale]
    if scale == "audit":
        gain = -gain
    if gain >= _REAL_CHANGE[scale]:
        weights = (0.6, 0.3, 0.1)
    elif gain > 0:
        weights = (0.2, 0.5, 0.3)
    else:
        weights = (0.05, 0.25, 0.7)
    return rng.choices(("achieved", "partly_achieved", "not_achieved"), weights)[0]


@dataclass
class _Sessions:
    """A work group's sessions over the demo: what each member has taken part of grows
    session by session; APT is held on time, late or not at all."""

    rng: random.Random
    group: WorkGroup
    wheel_start: date
    known: set[tuple[str, str]] = field(default_factory=set)
    count: int = 0

    def parts_on(self, day: date) -> tuple[str, ...]:
        valid = [c for c in self.group.part_choices if c.valid_from <= day]
        return valid[-1].parts if valid else ()

    def plan(self, first: date, last: date) -> tuple[Session, ...]:
        rng = self.rng
        planned: list[tuple[date, str, tuple[str, date] | None]] = []
        for year, month in months(first, last):
            if month == 7:
                continue  # no APT in July (the template's BYMONTH)
            apt = first_tuesday(year, month)
            if apt < first or apt > last:
                continue
            roll = rng.random()
            if roll < 0.72:
                planned.append((apt, "apt", (APT_STEP, apt)))
            elif roll < 0.86:
                late = apt + timedelta(days=rng.randint(15, 19))
                planned.append((late, "apt", (APT_STEP, apt)))
            # else: not held; the occurrence falls overdue, then missed at the year's end
            if month == 8:
                planning = date(year, 8, 15)
                held = _day_in(rng, date(year, 8, 16), date(year, 9, 6))
                planned.append((held, "planeringsdag", (PLANNING_STEP, planning)))
            if month == 10 and rng.random() < 0.85:
                held = _day_in(rng, date(year, 10, 6), date(year, 11, 25))
                planned.append((held, "medarbetarsamtal", (APPRAISAL_STEP, date(year, 10, 1))))
            if month in (3, 11) and rng.random() < 0.5:
                held = _day_in(rng, date(year, month, 10), date(year, month, 25))
                planned.append((held, rng.choice(("utbildningsdag", "arendehandledning")), None))
        planned.sort(key=lambda p: p[0])
        return tuple(self._session(day, forum, occurrence) for day, forum, occurrence in planned)

    def _session(self, day: date, forum: str, occurrence: tuple[str, date] | None) -> Session:
        rng = self.rng
        self.count += 1
        present = [m for m in self.group.members_on(day) if rng.random() < 0.85]
        if not present:
            present = list(self.group.members_on(day)[:1])
        parts = self.parts_on(day)
        taken: list[Uptake] = []
        for member in present:
            for part in parts:
                if (member, part) in self.known:
                    continue
                if rng.random() < 0.32:
                    self.known.add((member, part))
                    taken.append(Uptake(member, part, True))
                elif rng.random() < 0.2:
                    taken.append(Uptake(member, part, False, rng.choice(PLANS_NOT_YET)))
        cases = tuple(
            (part, rng.choices((0, 1, 2, 3), (0.55, 0.28, 0.12, 0.05))[0])
            for part in parts
            if rng.random() < 0.8
        )
        practice = tuple(
            (part, changed, PRACTICE[part] if changed else "")
            for part, n in cases
            if n > 0
            for changed in (rng.random() < 0.45,)
        )
        in_depth: list[tuple[str, tuple[str, ...]]] = []
        if forum == "medarbetarsamtal":
            for member in present:
                read = tuple(p for p in parts if (member, p) in self.known)
                if len(read) >= 2 and rng.random() < 0.3:
                    in_depth.append((member, tuple(rng.sample(read, rng.randint(1, 2)))))
        answers = occurrence
        if occurrence is not None and occurrence[1] < self.wheel_start:
            answers = None  # held before the wheel existed
        return Session(
            session_id=f"{self.group.work_group_id}-{day:%Y%m%d}-{self.count}",
            held_on=day,
            forum=forum,
            participants=tuple(present),
            taken_part=tuple(taken),
            cases=cases,
            practice=practice,
            in_depth=tuple(in_depth),
            notes=rng.choice(NOTES),
            occurrence=answers,
        )


def entered_on(follow_up: FollowUp) -> date:
    """When the unit's export brings the follow-up in: once closed, or, still open, at the
    end of the follow-up year it opened in (the LOKE deadline for the year's data)."""
    year_end = date(follow_up_year(follow_up.opened_on) + 1, 4, 30)
    if follow_up.closed_on is not None and follow_up.closed_on <= year_end:
        return follow_up.closed_on
    return year_end
