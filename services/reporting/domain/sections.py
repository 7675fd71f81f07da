"""A compiled report's sections, from the mergeable aggregate of its scope and year.

Pure: no I/O beyond the built-in catalogues (part and scale names), no clock.
The same aggregates always give the same `Section`s, to the byte.

## The aggregate's keys

One `MergeableAggregate` holds everything a report needs for one scope and
one follow-up year. Every figure is additive (a count, or `Moments`), so a
municipality's aggregate is the sum of its units', a region's of its
municipalities' and the nation's of its regions' (`merge.merge_region`,
`merge.merge_nation`). Keys are paths of "/"-separated components; a
component that is free text (a client group, a goal's title, a part code) is
escaped ("%" → "%25", "/" → "%2F"), so every key reads back unambiguously.

Knowledge follow-up (seed 000), summed over the work groups in scope, in
`counts`:

- `knowledge/work_groups`: work groups with a session or a wheel occurrence
  in the year;
- `knowledge/sessions`: sessions held in the year;
- `knowledge/occurrences/<state>`: the work groups' wheel occurrences dated
  in the year, by state: `on_time`, `late`, `overdue`, `missed`, `open`
  (all five as soon as there is one occurrence);
- `knowledge/part/<code>/covered` and `.../members`: coverage of a part, the
  members who had taken part of it and the members, on each work group's
  last session day of the year, summed over the groups where the part was
  relevant on that day (absent when it was relevant nowhere);
- `knowledge/part/<code>/cases`, `.../practice_answered`,
  `.../practice_changed`, `.../open_plans`: cases linked to the part,
  sessions answering question 3 for it and those reporting changed practice,
  members with a plan to take part of it.

Client follow-up (seed 003): the clients read model's figures, one key per
(dimension, category, figure, key) of `services.reporting.domain.clients`,
as `clients/<dimension>/<category>/<figure>/<key>`:

- dimension and category: `all/` (everyone), `client_group/<group>`,
  `gender/<female|male|other|unknown>`, `age_band/<band>`;
- in `counts`: `events/` (all slice only), `opened/`, `closed/`,
  `problem/<main problem>`, `goal/<title>`, `goal_outcome/<achieved|
  partly_achieved|not_achieved>`, `intervention/<type>`,
  `intervention_outcome/<completed|ended_early>`, `change/<scale>|<class>`
  (the RCI class at exit: recovered, improved, unchanged, deteriorated, or
  unclassified for a scale the catalogue lacks);
- in `moments`: `level/<scale>|<intake|exit|follow_up>` (ratings on each
  occasion) and `satisfaction/<scale>|<item>` (client surveys).

Names shown for parts come from the sessions service's built-in catalogue of
support parts, and for scales and survey items from the built-in scale
catalogue; a key neither knows is shown as itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Final

from services.reporting.domain import clients
from services.reporting.domain.compiled import (
    Chart,
    ChartKind,
    Figure,
    Heading,
    Scope,
    ScopeLevel,
    Section,
    SectionKey,
    Table,
    Text,
    count,
    count_table,
    mean,
    share,
    standard_deviation,
    statistics_table,
)
from services.reporting.domain.knowledge import LATE, MISSED, ON_TIME, OPEN, OVERDUE
from services.reporting.domain.merge import MergeableAggregate, Moments
from shared.scales import load_catalogue
from shared.statistics import ChangeClass
from shared.support_parts import base_catalogue

# --- keys ------------------------------------------------------------------------

KNOWLEDGE: Final = "knowledge"
CLIENTS: Final = "clients"
WORK_GROUPS: Final = "knowledge/work_groups"
SESSIONS: Final = "knowledge/sessions"
COVERED, MEMBERS = "covered", "members"
CASES, PRACTICE_ANSWERED, PRACTICE_CHANGED, OPEN_PLANS = (
    "cases",
    "practice_answered",
    "practice_changed",
    "open_plans",
)
#: A part's figures that every work group has (coverage only where the part is relevant).
PART_FIGURES: Final = (CASES, PRACTICE_ANSWERED, PRACTICE_CHANGED, OPEN_PLANS)
#: The order occurrence states are shown in.
OCCURRENCE_ORDER: Final = (ON_TIME, LATE, OVERDUE, MISSED, OPEN)


def _escape(component: str) -> str:
    return component.replace("%", "%25").replace("/", "%2F")


def _unescape(component: str) -> str:
    return component.replace("%2F", "/").replace("%25", "%")


def occurrence_key(state: str) -> str:
    return f"{KNOWLEDGE}/occurrences/{_escape(state)}"


def part_key(part: str, figure: str) -> str:
    return f"{KNOWLEDGE}/part/{_escape(part)}/{_escape(figure)}"


def client_key(dimension: str, category: str, figure: str, key: str) -> str:
    return "/".join([CLIENTS, *(_escape(c) for c in (dimension, category, figure, key))])


def parse_part_key(key: str) -> tuple[str, str] | None:
    """(part, figure) of a `part_key`, None for any other key."""
    parts = key.split("/")
    if len(parts) != 4 or parts[:2] != [KNOWLEDGE, "part"]:
        return None
    return _unescape(parts[2]), _unescape(parts[3])


def parse_client_key(key: str) -> tuple[str, str, str, str] | None:
    """(dimension, category, figure, key) of a `client_key`, None for any other key."""
    parts = key.split("/")
    if len(parts) != 5 or parts[0] != CLIENTS:
        return None
    dimension, category, figure, item = (_unescape(p) for p in parts[1:])
    return dimension, category, figure, item


# --- labels ----------------------------------------------------------------------


def _text(sv: str, en: str | None = None) -> Text:
    return Text(sv=sv, en=sv if en is None else en)


def _heading(key: str, sv: str, en: str | None = None) -> Heading:
    return Heading(key=key, label=_text(sv, en))


@cache
def _part_names() -> dict[str, tuple[str, str]]:
    return {p.code: (p.name_sv, p.name_en) for p in base_catalogue()}


@cache
def _part_order() -> dict[str, int]:
    return {p.code: n for n, p in enumerate(base_catalogue())}


@cache
def _scale_names() -> dict[str, tuple[str, str]]:
    """Scale id → (Swedish, English) name of its newest built-in version."""
    scales = sorted(load_catalogue().all(), key=lambda s: s.key)
    return {s.scale_id: (s.name_sv, s.name_en) for s in scales}


@cache
def _item_texts() -> dict[tuple[str, str], tuple[str, str]]:
    scales = sorted(load_catalogue().all(), key=lambda s: s.key)
    return {(s.scale_id, i.item_id): (i.text_sv, i.text_en) for s in scales for i in s.items}


def _part_heading(code: str) -> Heading:
    sv, en = _part_names().get(code, (code, code))
    return _heading(code, sv, en)


def _scale_heading(scale_id: str) -> Heading:
    sv, en = _scale_names().get(scale_id, (scale_id, scale_id))
    return _heading(scale_id, sv, en)


GENDERS: Final = {
    "female": _text("Kvinnor", "Women"),
    "male": _text("Män", "Men"),
    "other": _text("Annat", "Other"),
    clients.UNKNOWN: _text("Uppgift saknas", "Not stated"),
}
RCI_CLASSES: Final = {
    ChangeClass.RECOVERED.value: _text("Återhämtade", "Recovered"),
    ChangeClass.IMPROVED.value: _text("Förbättrade", "Improved"),
    ChangeClass.UNCHANGED.value: _text("Oförändrade", "Unchanged"),
    ChangeClass.DETERIORATED.value: _text("Försämrade", "Deteriorated"),
}
UNCLASSIFIED_LABEL: Final = _text("Ej klassificerade (okänd skala)", "Unclassified (unknown scale)")
GOAL_OUTCOMES: Final = {
    "achieved": _text("Uppnått", "Achieved"),
    "partly_achieved": _text("Delvis uppnått", "Partly achieved"),
    "not_achieved": _text("Ej uppnått", "Not achieved"),
}
OCCURRENCE_LABELS: Final = {
    ON_TIME: _text("Genomförda i tid", "Held on time"),
    LATE: _text("Genomförda sent", "Held late"),
    OVERDUE: _text("Försenade, ej genomförda", "Overdue, not held"),
    MISSED: _text("Missade", "Missed"),
    OPEN: _text("Öppna", "Open"),
}


# --- reading an aggregate ----------------------------------------------------------


class _Figures:
    """An aggregate read by the report's tables."""

    def __init__(self, aggregate: MergeableAggregate) -> None:
        self.counts = aggregate.counts
        self.parts: dict[str, dict[str, int]] = {}
        self.client_counts: dict[tuple[str, str, str, str], int] = {}
        self.client_moments: dict[tuple[str, str, str, str], Moments] = {}
        for key, n in aggregate.counts.items():
            if (part := parse_part_key(key)) is not None:
                self.parts.setdefault(part[0], {})[part[1]] = n
            elif (slot := parse_client_key(key)) is not None:
                self.client_counts[slot] = n
        for key, moments in aggregate.moments.items():
            if (slot := parse_client_key(key)) is not None:
                self.client_moments[slot] = moments

    def count(self, key: str) -> int:
        return self.counts.get(key, 0)

    def has_occurrences(self) -> bool:
        return any(occurrence_key(s) in self.counts for s in OCCURRENCE_ORDER)

    def part_codes(self, having: str | None = None) -> list[str]:
        """The parts with figures (with the figure `having`), in the catalogue's order."""
        order = _part_order()
        codes = [c for c, f in self.parts.items() if having is None or having in f]
        return sorted(codes, key=lambda c: (order.get(c, len(order)), c))

    def client(self, dimension: str, category: str, figure: str, key: str = "") -> int:
        return self.client_counts.get((dimension, category, figure, key), 0)

    def categories(self, dimension: str, figures: Iterable[str]) -> list[str]:
        wanted = set(figures)
        return sorted({c for d, c, f, _ in self.client_counts if d == dimension and f in wanted})

    def keyed(
        self, figure: str, dimension: str = clients.ALL, category: str = ""
    ) -> dict[str, int]:
        return {
            k: n
            for (d, c, f, k), n in self.client_counts.items()
            if (d, c, f) == (dimension, category, figure)
        }

    def changes(self) -> dict[str, dict[str, int]]:
        """Scale → RCI class → exits, of everyone."""
        found: dict[str, dict[str, int]] = {}
        for key, n in self.keyed(clients.CHANGE).items():
            scale_id, _, change = key.rpartition("|")
            per_class = found.setdefault(scale_id, {})
            per_class[change] = per_class.get(change, 0) + n
        return found

    def measured(self, figure: str) -> dict[tuple[str, str], Moments]:
        """(scale, occasion or item) → Moments, of everyone."""
        return {
            (scale_id, what): m
            for (d, c, f, k), m in self.client_moments.items()
            if (d, c, f) == (clients.ALL, "", figure)
            for scale_id, _, what in [k.rpartition("|")]
        }


# --- knowledge tables --------------------------------------------------------------


def _knowledge_summary(figures: _Figures) -> Table | None:
    if not ({WORK_GROUPS, SESSIONS} & figures.counts.keys() or figures.has_occurrences()):
        return None
    return count_table(
        "knowledge.summary",
        _text("Arbetsgrupper och sessioner", "Work groups and sessions"),
        (
            _heading("work_groups", "Arbetsgrupper", "Work groups"),
            _heading("sessions", "Hållna sessioner", "Sessions held"),
        ),
        (_heading("n", "Antal", "Number"),),
        [[figures.count(WORK_GROUPS)], [figures.count(SESSIONS)]],
        row_totals=False,
        column_totals=False,
    )


def _knowledge_occurrences(figures: _Figures) -> Table | None:
    if not figures.has_occurrences():
        return None
    return count_table(
        "knowledge.occurrences",
        _text("Tillfällen i arbetsgruppernas årshjul", "Occurrences of the work groups' wheels"),
        tuple(Heading(key=s, label=OCCURRENCE_LABELS[s]) for s in OCCURRENCE_ORDER),
        (_heading("occurrences", "Tillfällen", "Occurrences"),),
        [[figures.count(occurrence_key(s))] for s in OCCURRENCE_ORDER],
        row_totals=False,
        note=_text(
            "Tillfällen daterade under uppföljningsåret. Försenade: tidsfristen har passerat "
            "utan att tillfället hållits; missade: året tog slut utan att det hölls.",
            "Occurrences dated in the follow-up year. Overdue: the deadline passed without "
            "the occurrence being held; missed: the year ended without it being held.",
        ),
    )


def _knowledge_coverage(figures: _Figures) -> Table | None:
    codes = figures.part_codes(having=MEMBERS)
    if not codes:
        return None
    rows = [figures.parts[c] for c in codes]
    return statistics_table(
        "knowledge.coverage",
        _text(
            "Andel av arbetsgruppernas medlemmar som tagit del av stödet, per del",
            "Share of the work groups' members who have taken part of the support, per part",
        ),
        tuple(_part_heading(c) for c in codes),
        (
            _heading("members", "Medlemmar", "Members"),
            _heading("coverage", "Andel som tagit del", "Coverage"),
            _heading("open_plans", "Med plan för att ta del", "With a plan to take part"),
        ),
        [
            [count(r[MEMBERS]), share(r[COVERED], r[MEMBERS]), count(r.get(OPEN_PLANS, 0))]
            for r in rows
        ],
        chart=Chart(kind=ChartKind.BARS, column="coverage"),
        note=_text(
            "Medlemmarna i de arbetsgrupper där delen är relevant, vid gruppens sista session "
            "under året (fråga 1).",
            "The members of the work groups the part is relevant to, at the group's last "
            "session of the year (question 1).",
        ),
    )


def _knowledge_practice(figures: _Figures) -> Table | None:
    codes = figures.part_codes()
    if not codes:
        return None
    rows = [figures.parts[c] for c in codes]
    return statistics_table(
        "knowledge.practice",
        _text("Ärenden och ändrat arbetssätt per del", "Cases and changed practice per part"),
        tuple(_part_heading(c) for c in codes),
        (
            _heading("cases", "Ärenden", "Cases"),
            _heading("practice_answered", "Sessioner som svarat", "Sessions answering"),
            _heading("practice_changed", "Andel med ändrat arbetssätt", "Share changed practice"),
        ),
        [
            [
                count(r.get(CASES, 0)),
                count(r.get(PRACTICE_ANSWERED, 0)),
                share(r.get(PRACTICE_CHANGED, 0), r.get(PRACTICE_ANSWERED, 0)),
            ]
            for r in rows
        ],
        note=_text(
            "Ärenden kopplade till delen (fråga 2); andelen av sessionerna som svarat på "
            "fråga 3 för delen där gruppen gjort något annorlunda.",
            "Cases linked to the part (question 2); the share of sessions answering question 3 "
            "for the part in which the group did something differently.",
        ),
    )


# --- client tables -----------------------------------------------------------------


def _clients_follow_ups(figures: _Figures) -> Table | None:
    groups = figures.categories(clients.CLIENT_GROUP, (clients.OPENED, clients.CLOSED))
    if not groups:
        return None
    return count_table(
        "clients.follow_ups",
        _text(
            "Påbörjade och avslutade uppföljningar per klientgrupp",
            "Follow-ups opened and closed per client group",
        ),
        tuple(_heading(g, g) for g in groups),
        (
            _heading("opened", "Påbörjade", "Opened"),
            _heading("closed", "Avslutade", "Closed"),
        ),
        [
            [
                figures.client(clients.CLIENT_GROUP, g, clients.OPENED),
                figures.client(clients.CLIENT_GROUP, g, clients.CLOSED),
            ]
            for g in groups
        ],
        row_totals=False,
    )


def _clients_rci(figures: _Figures) -> Table | None:
    changes = figures.changes()
    if not changes:
        return None
    scales = sorted(changes)
    columns = [Heading(key=c, label=label) for c, label in RCI_CLASSES.items()]
    if any(clients.UNCLASSIFIED in per_class for per_class in changes.values()):
        columns.append(Heading(key=clients.UNCLASSIFIED, label=UNCLASSIFIED_LABEL))
    return count_table(
        "clients.rci",
        _text(
            "Förändring mellan inskrivning och utskrivning (RCI) per skala",
            "Change from intake to exit (RCI) per scale",
        ),
        tuple(_scale_heading(s) for s in scales),
        tuple(columns),
        [[changes[s].get(c.key, 0) for c in columns] for s in scales],
        chart=Chart(kind=ChartKind.STACKED_BARS),
        note=_text(
            "Klienter med skattning vid både inskrivning och utskrivning, klassade med "
            "Reliable Change Index (Jacobson & Truax 1991) efter året för utskrivningen. "
            "Återhämtade: reliabel förbättring som passerat skalans kliniska gräns.",
            "Clients rated at both intake and exit, classed by the Reliable Change Index "
            "(Jacobson & Truax 1991) in the year of the exit. Recovered: reliably improved "
            "and past the scale's clinical cut-off.",
        ),
    )


def _clients_goals(figures: _Figures) -> Table | None:
    groups = figures.categories(clients.CLIENT_GROUP, (clients.GOAL_OUTCOME,))
    if not groups:
        return None
    return count_table(
        "clients.goals",
        _text("Måluppfyllelse per klientgrupp", "Goal attainment per client group"),
        tuple(_heading(g, g) for g in groups),
        tuple(Heading(key=o, label=label) for o, label in GOAL_OUTCOMES.items()),
        [
            [
                figures.client(clients.CLIENT_GROUP, g, clients.GOAL_OUTCOME, o)
                for o in GOAL_OUTCOMES
            ]
            for g in groups
        ],
        chart=Chart(kind=ChartKind.STACKED_BARS),
        note=_text("Mål bedömda under året.", "Goals assessed during the year."),
    )


def _clients_outcomes(figures: _Figures) -> Table | None:
    goals = figures.keyed(clients.GOAL_OUTCOME)
    interventions = figures.keyed(clients.INTERVENTION_OUTCOME)
    if not goals and not interventions:
        return None
    assessed, ended = sum(goals.values()), sum(interventions.values())
    return statistics_table(
        "clients.outcomes",
        _text("Uppnådda mål och slutförda insatser", "Goals achieved and interventions completed"),
        (
            _heading("goals", "Bedömda mål", "Goals assessed"),
            _heading("interventions", "Avslutade insatser", "Interventions ended"),
        ),
        (
            _heading("n", "Antal", "Number"),
            _heading("share", "Andel uppnådda / slutförda", "Share achieved / completed"),
        ),
        [
            [count(assessed), share(goals.get("achieved", 0), assessed)],
            [count(ended), share(interventions.get("completed", 0), ended)],
        ],
    )


def _clients_levels(figures: _Figures) -> Table | None:
    levels = figures.measured(clients.LEVEL)
    scales = sorted({s for s, occasion in levels if occasion in ("intake", "exit")})
    if not scales:
        return None
    empty = Moments()

    def cells(scale_id: str) -> list[Figure]:
        found: list[Figure] = []
        for occasion in ("intake", "exit"):
            m = levels.get((scale_id, occasion), empty)
            found += [count(m.n), mean(m), standard_deviation(m)]
        return found

    return statistics_table(
        "clients.levels",
        _text(
            "Nivå vid inskrivning och utskrivning per skala", "Level at intake and exit per scale"
        ),
        tuple(_scale_heading(s) for s in scales),
        (
            _heading("intake_n", "Antal, in", "n, intake"),
            _heading("intake_mean", "Medel, in", "Mean, intake"),
            _heading("intake_sd", "SD, in", "SD, intake"),
            _heading("exit_n", "Antal, ut", "n, exit"),
            _heading("exit_mean", "Medel, ut", "Mean, exit"),
            _heading("exit_sd", "SD, ut", "SD, exit"),
        ),
        [cells(s) for s in scales],
        note=_text(
            "Skattningar under året; SD är stickprovets standardavvikelse.",
            "Ratings during the year; SD is the sample standard deviation.",
        ),
    )


def _clients_gender(figures: _Figures) -> Table | None:
    present = figures.categories(clients.GENDER, (clients.OPENED,))
    order = list(GENDERS)
    genders = sorted(present, key=lambda g: (order.index(g) if g in order else len(order), g))
    if not genders:
        return None
    return count_table(
        "clients.gender",
        _text("Påbörjade uppföljningar per kön", "Follow-ups opened by gender"),
        tuple(Heading(key=g, label=GENDERS.get(g, _text(g))) for g in genders),
        (_heading("opened", "Påbörjade", "Opened"),),
        [[figures.client(clients.GENDER, g, clients.OPENED)] for g in genders],
        row_totals=False,
    )


def _clients_problems(figures: _Figures) -> Table | None:
    problems = figures.keyed(clients.PROBLEM)
    if not problems:
        return None
    ranked = sorted(problems, key=lambda p: (-problems[p], p))
    return count_table(
        "clients.problems",
        _text("Huvudproblem vid inskrivning", "Main problems at intake"),
        tuple(_heading(p, p) for p in ranked),
        (_heading("follow_ups", "Uppföljningar", "Follow-ups"),),
        [[problems[p]] for p in ranked],
        row_totals=False,
        column_totals=False,
        note=_text(
            "En uppföljning kan ha flera huvudproblem.",
            "A follow-up may have several main problems.",
        ),
    )


def _clients_satisfaction(figures: _Figures) -> Table | None:
    answers = figures.measured(clients.SATISFACTION)
    if not answers:
        return None
    keys = sorted(answers)
    texts = _item_texts()

    def heading(scale_id: str, item_id: str) -> Heading:
        sv, en = texts.get((scale_id, item_id), (item_id, item_id))
        return _heading(f"{scale_id}|{item_id}", sv, en)

    return statistics_table(
        "clients.satisfaction",
        _text("Klienternas svar i enkäter", "The clients' survey answers"),
        tuple(heading(*k) for k in keys),
        (
            _heading("n", "Svar", "Answers"),
            _heading("mean", "Medel", "Mean"),
            _heading("sd", "SD", "SD"),
        ),
        [[count(answers[k].n), mean(answers[k]), standard_deviation(answers[k])] for k in keys],
    )


# --- members -----------------------------------------------------------------------


def _member_heading(level: ScopeLevel, key: str) -> Heading:
    """A member's row: a municipality's unit, a region's municipality, the nation's region."""
    match level:
        case ScopeLevel.MUNICIPALITY:
            return _heading(key, key)
        case ScopeLevel.REGION:
            scope = Scope(level=ScopeLevel.MUNICIPALITY, code=key)
        case ScopeLevel.NATION:
            scope = Scope(level=ScopeLevel.REGION, code=key)
        case ScopeLevel.UNIT:
            raise ValueError("a unit has no members")
    return Heading(key=key, label=Text(sv=scope.name("sv"), en=scope.name("en")))


_MEMBER_TITLE: Final = {
    ScopeLevel.MUNICIPALITY: ("enhet", "unit"),
    ScopeLevel.REGION: ("kommun", "municipality"),
    ScopeLevel.NATION: ("län", "region"),
}


def _members_table(
    level: ScopeLevel,
    members: Mapping[str, MergeableAggregate],
    table_id: str,
    title: tuple[str, str],
    columns: tuple[Heading, ...],
    values: Callable[[_Figures], list[int]],
) -> Table | None:
    """Key counts per member; None when every one is zero (no figures of the kind)."""
    keys = sorted(members)
    body = [values(_Figures(members[k])) for k in keys]
    if not any(any(row) for row in body):
        return None
    per, per_en = _MEMBER_TITLE[level]
    return count_table(
        table_id,
        _text(f"{title[0]} per {per}", f"{title[1]} per {per_en}"),
        tuple(_member_heading(level, k) for k in keys),
        columns,
        body,
        row_totals=False,
        owned_by_members=level in (ScopeLevel.REGION, ScopeLevel.NATION),
    )


def _knowledge_members(
    level: ScopeLevel, members: Mapping[str, MergeableAggregate]
) -> Table | None:
    return _members_table(
        level,
        members,
        "knowledge.members",
        ("Sessioner och tillfällen", "Sessions and occurrences"),
        (
            _heading("sessions", "Hållna sessioner", "Sessions held"),
            Heading(key=ON_TIME, label=OCCURRENCE_LABELS[ON_TIME]),
            Heading(key=LATE, label=OCCURRENCE_LABELS[LATE]),
            Heading(key=MISSED, label=OCCURRENCE_LABELS[MISSED]),
        ),
        lambda f: [
            f.count(SESSIONS),
            f.count(occurrence_key(ON_TIME)),
            f.count(occurrence_key(LATE)),
            f.count(occurrence_key(MISSED)),
        ],
    )


def _clients_members(level: ScopeLevel, members: Mapping[str, MergeableAggregate]) -> Table | None:
    def values(f: _Figures) -> list[int]:
        classified = sum(
            n
            for per_class in f.changes().values()
            for change, n in per_class.items()
            if change != clients.UNCLASSIFIED
        )
        return [
            f.client(clients.ALL, "", clients.OPENED),
            f.client(clients.ALL, "", clients.CLOSED),
            classified,
            sum(f.keyed(clients.GOAL_OUTCOME).values()),
        ]

    return _members_table(
        level,
        members,
        "clients.members",
        ("Uppföljningar", "Follow-ups"),
        (
            _heading("opened", "Påbörjade", "Opened"),
            _heading("closed", "Avslutade", "Closed"),
            _heading("rci", "Utskrivningar med RCI-klass", "Exits with an RCI class"),
            _heading("goals", "Bedömda mål", "Goals assessed"),
        ),
        values,
    )


# --- the sections ------------------------------------------------------------------

KNOWLEDGE_TABLES: Final = (
    _knowledge_summary,
    _knowledge_occurrences,
    _knowledge_coverage,
    _knowledge_practice,
)
CLIENT_TABLES: Final = (
    _clients_follow_ups,
    _clients_gender,
    _clients_problems,
    _clients_rci,
    _clients_goals,
    _clients_outcomes,
    _clients_levels,
    _clients_satisfaction,
)


def _is_empty(aggregate: MergeableAggregate) -> bool:
    return not (aggregate.counts or aggregate.moments or aggregate.class_counts)


def sections_of(
    level: ScopeLevel,
    aggregate: MergeableAggregate,
    previous: MergeableAggregate | None,
    members: Mapping[str, MergeableAggregate],
) -> tuple[Section, ...]:
    """The knowledge and the client section of a report on `aggregate`.

    `previous` is the same scope's aggregate for the previous follow-up year:
    each table gets the previous year's table beside it when that year has
    one (None or an empty aggregate: no comparison). `members` are the
    aggregates the scope is made of (a municipality's units, a region's
    municipalities, the nation's regions, keyed by unit id or code): with
    any, each section with figures ends with a table of key counts per member, marked
    `owned_by_members` for a region or the nation, whose own viewers must
    not see one municipality's (region's) small counts. A unit has none.
    A table with no figures is left out; a section may have no tables.
    """
    if level is ScopeLevel.UNIT and members:
        raise ValueError("a unit's report has no members")
    now = _Figures(aggregate)
    before = None if previous is None or _is_empty(previous) else _Figures(previous)

    def tables(builders: Iterable[Callable[[_Figures], Table | None]]) -> list[Table]:
        found: list[Table] = []
        for build in builders:
            table = build(now)
            if table is None:
                continue
            old = build(before) if before is not None else None
            found.append(table if old is None else table.model_copy(update={"previous": old}))
        return found

    knowledge = tables(KNOWLEDGE_TABLES)
    client = tables(CLIENT_TABLES)
    if members:
        for found, build in ((knowledge, _knowledge_members), (client, _clients_members)):
            if (table := build(level, members)) is not None:
                found.append(table)
    return (
        Section(
            key=SectionKey.KNOWLEDGE,
            title=_text("Kunskapsuppföljning", "Knowledge follow-up"),
            tables=tuple(knowledge),
            note=_text(
                "Arbetsgruppernas uppföljning av stödet för tillämpningen av LVU med tre enkla "
                "frågor i ett årshjul.",
                "The work groups' follow-up of the support for applying the LVU with three "
                "simple questions in an annual wheel.",
            ),
        ),
        Section(
            key=SectionKey.CLIENTS,
            title=_text("Klientuppföljning", "Client follow-up"),
            tables=tuple(client),
            note=_text(
                "Systematisk uppföljning av klienternas insatser enligt LOKE: skattning vid "
                "inskrivning och utskrivning, mål och måluppfyllelse.",
                "Systematic follow-up of the clients' interventions (LOKE): ratings at intake "
                "and exit, goals and goal attainment.",
            ),
        ),
    )
