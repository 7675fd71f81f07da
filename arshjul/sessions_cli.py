"""`arshjul sessions …` and `arshjul knowledge-report`: work groups, their
sessions (the three questions), and the knowledge follow-up report.

A session is recorded from a JSON file in the shape of the gRPC message
`arshjul.sessions.v1.SessionContent` (proto/sessions.proto), e.g.

    {"heldOn": "2025-05-06", "forum": "apt",
     "occurrence": {"wheelId": "wheel-…", "stepId": "apt", "occurrenceDate": "2025-05-06"},
     "participants": ["m1", "m2"],
     "takenPart": [{"memberId": "m1", "part": "flyttningsforbud", "takenPart": true},
                   {"memberId": "m2", "part": "flyttningsforbud", "plan": "Läser till nästa APT"}],
     "cases": [{"part": "flyttningsforbud", "cases": 2}],
     "practice": [{"part": "flyttningsforbud", "changed": true, "description": "…"}],
     "inDepth": [{"memberId": "m1", "parts": ["flyttningsforbud"]}]}
"""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from google.protobuf import json_format
from rich.console import Console
from rich.table import Table

from arshjul.client import AsOption, TokenOption, console, err
from arshjul.client import call as call_service
from shared.api import knowledge_pb2 as kpb
from shared.api import knowledge_pb2_grpc as kpb_grpc
from shared.api import sessions_pb2 as pb
from shared.api import sessions_pb2_grpc as pb_grpc

sessions_app = typer.Typer(
    no_args_is_help=True, help="Arbetsgrupper och sessioner / work groups and sessions."
)

TenantOption = Annotated[str, typer.Option(help="Municipality code (default: the caller's).")]


class Lang(StrEnum):
    sv = "sv"
    en = "en"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _call(as_: str, bearer: str | None, rpc: Any) -> Any:
    return call_service("sessions", pb_grpc.SessionsStub, as_, bearer, rpc)


def _done(reply: Any) -> None:
    console.print(f"{reply.stream_id} is at version {reply.version}")


@sessions_app.command("parts")
def parts(
    tenant: TenantOption = "",
    lang: Lang = Lang.sv,
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """The catalogue of support parts: the regional base and the municipality's own."""
    request = pb.ListSupportPartsRequest(tenant=tenant)
    reply = _call(as_, bearer, lambda s, m: s.ListSupportParts(request, metadata=m))
    table = Table("kod / code", "del / part", "LVU", "version", "ursprung / origin")
    for part in reply.parts:
        name = part.name_sv if lang is Lang.sv else part.name_en
        table.add_row(part.code, name, part.lvu, str(part.version), part.origin)
    console.print(table)


@sessions_app.command("add-part")
def add_part(
    code: Annotated[str, typer.Option(help="A lowercase slug, e.g. barnahus.")],
    name_sv: Annotated[str, typer.Option(help="Swedish name.")],
    name_en: Annotated[str, typer.Option(help="English name.")],
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Add a part of the municipality's own to the catalogue."""
    request = pb.AddSupportPartRequest(tenant=tenant, code=code, name_sv=name_sv, name_en=name_en)
    _done(_call(as_, bearer, lambda s, m: s.AddSupportPart(request, metadata=m)))


@sessions_app.command("questions")
def questions(
    lang: Lang = Lang.sv, as_: AsOption = "1480:follow_up", bearer: TokenOption = None
) -> None:
    """The three built-in questions and the forums."""
    reply = _call(as_, bearer, lambda s, m: s.GetQuestions(pb.GetQuestionsRequest(), metadata=m))
    for q in reply.questions:
        console.print(f"{q.number}. {q.text_sv if lang is Lang.sv else q.text_en}")
    console.print(", ".join(f.code for f in reply.forums))


@sessions_app.command("form-group")
def form_group(
    work_group: str,
    unit: Annotated[str, typer.Option(help="The unit the group belongs to.")],
    name: Annotated[str, typer.Option(help="The group's name.")],
    forum: Annotated[list[str], typer.Option(help="A forum it meets in (repeat).")],
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Form a work group in a unit."""
    request = pb.FormWorkGroupRequest(
        tenant=tenant, work_group_id=work_group, unit=unit, name=name, forums=forum
    )
    _done(_call(as_, bearer, lambda s, m: s.FormWorkGroup(request, metadata=m)))


@sessions_app.command("join")
def join(
    work_group: str,
    member_id: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    on: Annotated[str, typer.Option(help="The day the member joins (YYYY-MM-DD).")],
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """A staff member joins the group."""
    request = pb.JoinWorkGroupRequest(
        tenant=tenant,
        work_group_id=work_group,
        member_id=member_id,
        display_name=name,
        joined_on=on,
    )
    _done(_call(as_, bearer, lambda s, m: s.JoinWorkGroup(request, metadata=m)))


@sessions_app.command("leave")
def leave(
    work_group: str,
    member_id: str,
    on: Annotated[str, typer.Option(help="The first day no longer a member.")],
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """A staff member leaves the group."""
    request = pb.LeaveWorkGroupRequest(
        tenant=tenant, work_group_id=work_group, member_id=member_id, left_on=on
    )
    _done(_call(as_, bearer, lambda s, m: s.LeaveWorkGroup(request, metadata=m)))


@sessions_app.command("choose-parts")
def choose_parts(
    work_group: str,
    part: Annotated[list[str], typer.Option(help="A relevant part's code (repeat).")],
    valid_from: Annotated[str, typer.Option("--from", help="Valid from (YYYY-MM-DD).")],
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Choose the parts of the support relevant to the group."""
    request = pb.ChooseRelevantPartsRequest(
        tenant=tenant, work_group_id=work_group, parts=part, valid_from=valid_from
    )
    _done(_call(as_, bearer, lambda s, m: s.ChooseRelevantParts(request, metadata=m)))


@sessions_app.command("set-questions")
def set_questions(
    work_group: str,
    question: Annotated[
        list[str], typer.Option(help="ID=Swedish text of one of the group's questions (repeat).")
    ],
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Set the group's own questions (beside the three)."""
    parsed = []
    for item in question:
        question_id, sep, text = item.partition("=")
        if not sep:
            err.print(f"[red]--question wants ID=TEXT, not {item!r}[/red]")
            raise typer.Exit(2)
        parsed.append(pb.GroupQuestion(question_id=question_id, text_sv=text))
    request = pb.SetGroupQuestionsRequest(tenant=tenant, work_group_id=work_group, questions=parsed)
    _done(_call(as_, bearer, lambda s, m: s.SetGroupQuestions(request, metadata=m)))


def _content(file: Path) -> pb.SessionContent:
    try:
        content = pb.SessionContent()
        json_format.Parse(file.read_text(encoding="utf-8"), content)
    except (OSError, json_format.ParseError) as error:
        err.print(f"[red]{file}: {error}[/red]")
        raise typer.Exit(2) from None
    return content


@sessions_app.command("record")
def record(
    work_group: str,
    file: Annotated[Path, typer.Option(help="The session as JSON (see `--help` above).")],
    session_id: Annotated[str, typer.Option(help="An id of your own (default: new).")] = "",
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Record a session of the group."""
    request = pb.RecordSessionRequest(
        tenant=tenant, work_group_id=work_group, session_id=session_id, session=_content(file)
    )
    reply = _call(as_, bearer, lambda s, m: s.RecordSession(request, metadata=m))
    console.print(f"recorded {reply.session_id}")


@sessions_app.command("correct")
def correct(
    work_group: str,
    session_id: str,
    file: Annotated[Path, typer.Option(help="The session's corrected content as JSON.")],
    reason: Annotated[str, typer.Option(help="Why it is corrected.")] = "",
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Correct a recorded session (its earlier content is kept)."""
    request = pb.CorrectSessionRequest(
        tenant=tenant,
        work_group_id=work_group,
        session_id=session_id,
        session=_content(file),
        reason=reason,
    )
    reply = _call(as_, bearer, lambda s, m: s.CorrectSession(request, metadata=m))
    console.print(f"corrected {reply.session_id}")


@sessions_app.command("list")
def list_groups(
    unit: Annotated[str, typer.Option(help="Only this unit.")] = "",
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Work groups with their members and relevant parts."""
    request = pb.ListWorkGroupsRequest(tenant=tenant, unit=unit)
    reply = _call(as_, bearer, lambda s, m: s.ListWorkGroups(request, metadata=m))
    for group in reply.work_groups:
        console.print(
            f"[bold]{group.work_group_id}[/bold] {group.name} · {group.unit} · "
            f"{group.sessions} sessioner / sessions · v{group.version}"
        )
        for member in group.members:
            periods = ", ".join(f"{p.joined_on}–{p.left_on}" for p in member.periods)
            console.print(f"  {member.member_id:<16} {member.display_name:<24} {periods}")
        for choice in group.part_choices:
            console.print(f"  {choice.valid_from}: {', '.join(p.code for p in choice.parts)}")


@sessions_app.command("sessions")
def sessions(
    work_group: str,
    tenant: TenantOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """A group's sessions as JSON (as corrected, with their history)."""
    request = pb.ListSessionsRequest(tenant=tenant, work_group_id=work_group)
    reply = _call(as_, bearer, lambda s, m: s.ListSessions(request, metadata=m))
    print(json_format.MessageToJson(reply, indent=2, ensure_ascii=False))


# --- the knowledge report ------------------------------------------------------------

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Kunskapsuppföljning", "Knowledge follow-up"),
    "year": ("uppföljningsår", "follow-up year"),
    "total": ("totalt", "total"),
    "scope": ("arbetsgrupp", "work group"),
    "unit": ("enhet", "unit"),
    "period": ("period", "period"),
    "measure": ("mått", "measure"),
    "part": ("del", "part"),
    "value": ("värde", "value"),
    "numerator": ("täljare", "numerator"),
    "denominator": ("nämnare", "denominator"),
    "sessions": ("sessioner", "sessions"),
    "due": ("planerade tillfällen", "occurrences due"),
    "on_time": ("hållna i tid", "held on time"),
    "late": ("hållna sent", "held late"),
    "overdue": ("försenade", "overdue"),
    "missed": ("missade", "missed"),
    "open": ("öppna", "open"),
    "coverage": ("täckning", "coverage"),
    "cases": ("ärenden", "cases"),
    "changed_practice": ("förändrat arbetssätt", "changed practice"),
    "open_plans": ("öppna planer", "open plans"),
    "member": ("medarbetare", "staff member"),
    "plan": ("plan", "plan"),
    "since": ("sedan", "since"),
    "mentors": ("mentorskandidater", "mentor candidates"),
    "mentors_hidden": (
        "Mentorskandidater visas bara för enhetschefen för enheten.",
        "Mentor candidates are shown to the unit's manager only.",
    ),
    "parts_year": ("Delar av stödet, helår", "Parts of the support, whole year"),
    "occurrences": ("Tillfällen och sessioner", "Occurrences and sessions"),
    "cases_by_month": ("Ärenden per del och månad", "Cases per part and month"),
}
OCCURRENCE_MEASURES = ("due", "on_time", "late", "overdue", "missed", "open")


def label(key: str, lang: Lang) -> str:
    sv, en = LABELS[key]
    return sv if lang is Lang.sv else en


def _fraction(message: kpb.Fraction) -> dict[str, int]:
    return {"numerator": message.numerator, "denominator": message.denominator}


def _period_json(period: kpb.PeriodFigures, lang: Lang) -> dict[str, Any]:
    return {
        "period": period.period,
        "sessions": period.sessions,
        "occurrences": {m: getattr(period.occurrences, m) for m in OCCURRENCE_MEASURES},
        "parts": [
            {
                "part": p.part,
                "name": p.name_sv if lang is Lang.sv else p.name_en,
                "coverage": _fraction(p.coverage) if p.HasField("coverage") else None,
                "cases": p.cases,
                "changed_practice": _fraction(p.changed_practice),
                "open_plans": p.open_plans,
            }
            for p in period.parts
        ],
    }


def _scope_json(scope: kpb.ScopeFigures, lang: Lang) -> dict[str, Any]:
    return {
        "unit": scope.unit,
        "work_group": scope.work_group,
        "year": _period_json(scope.year, lang),
        "months": [_period_json(m, lang) for m in scope.months],
    }


def report_json(report: kpb.KnowledgeReport, lang: Lang) -> dict[str, Any]:
    """The report as plain data: keys in English, part names in `lang`."""
    return {
        "tenant": report.tenant,
        "unit": report.unit,
        "work_group": report.work_group,
        "year": report.year,
        "year_starts": report.year_starts,
        "year_ends": report.year_ends,
        "language": lang.value,
        "total": _scope_json(report.total, lang),
        "work_groups": [_scope_json(s, lang) for s in report.work_groups],
        "open_plans": [
            {
                "unit": p.unit,
                "work_group": p.work_group,
                "member_id": p.member_id,
                "display_name": p.display_name,
                "part": p.part,
                "plan": p.plan,
                "since": p.since,
            }
            for p in report.open_plans
        ],
        "mentor_candidates_visible": report.mentor_candidates_visible,
        "mentor_candidates": [
            {
                "unit": m.unit,
                "work_group": m.work_group,
                "part": m.part,
                "member_id": m.member_id,
                "display_name": m.display_name,
            }
            for m in report.mentor_candidates
        ],
    }


def report_csv(report: kpb.KnowledgeReport, lang: Lang) -> str:
    """One row per figure: scope, unit, period, measure, part, value, numerator, denominator."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            label(k, lang)
            for k in (
                "scope",
                "unit",
                "period",
                "measure",
                "part",
                "value",
                "numerator",
                "denominator",
            )
        ]
    )
    for scope in (report.total, *report.work_groups):
        name = scope.work_group or label("total", lang)
        for period in (scope.year, *scope.months):
            where = [name, scope.unit, period.period]
            writer.writerow([*where, label("sessions", lang), "", period.sessions, "", ""])
            for measure in OCCURRENCE_MEASURES:
                count = getattr(period.occurrences, measure)
                writer.writerow([*where, label(measure, lang), "", count, "", ""])
            for part in period.parts:
                if part.HasField("coverage"):
                    coverage = part.coverage
                    writer.writerow(
                        [
                            *where,
                            label("coverage", lang),
                            part.part,
                            _share(coverage),
                            coverage.numerator,
                            coverage.denominator,
                        ]
                    )
                writer.writerow([*where, label("cases", lang), part.part, part.cases, "", ""])
                practice = part.changed_practice
                writer.writerow(
                    [
                        *where,
                        label("changed_practice", lang),
                        part.part,
                        _share(practice),
                        practice.numerator,
                        practice.denominator,
                    ]
                )
                writer.writerow(
                    [*where, label("open_plans", lang), part.part, part.open_plans, "", ""]
                )
    return out.getvalue()


def _share(fraction: kpb.Fraction) -> str:
    return f"{fraction.numerator}/{fraction.denominator}"


def _percent(fraction: kpb.Fraction) -> str:
    if not fraction.denominator:
        return "–"
    return f"{_share(fraction)} ({100 * fraction.numerator / fraction.denominator:.0f} %)"


def render_report(report: kpb.KnowledgeReport, lang: Lang, out: Console) -> None:
    """The report as tables in the terminal, labels in `lang`."""
    scope = report.unit or report.tenant
    out.print(
        f"[bold]{label('title', lang)}[/bold] – {scope} – {label('year', lang)} {report.year} "
        f"({report.year_starts} – {report.year_ends})"
    )
    scopes = [*report.work_groups, report.total] if report.work_groups else [report.total]
    occurrences = Table(
        label("scope", lang),
        label("period", lang),
        label("sessions", lang),
        *(label(m, lang) for m in OCCURRENCE_MEASURES),
        title=label("occurrences", lang),
    )
    for item in scopes:
        for period in (item.year, *item.months):
            occurrences.add_row(
                item.work_group or label("total", lang),
                period.period,
                str(period.sessions),
                *(str(getattr(period.occurrences, m)) for m in OCCURRENCE_MEASURES),
            )
    out.print(occurrences)
    parts = Table(
        label("scope", lang),
        label("part", lang),
        label("coverage", lang),
        label("cases", lang),
        label("changed_practice", lang),
        label("open_plans", lang),
        title=label("parts_year", lang),
    )
    for item in scopes:
        for part in item.year.parts:
            parts.add_row(
                item.work_group or label("total", lang),
                part.name_sv if lang is Lang.sv else part.name_en,
                _percent(part.coverage) if part.HasField("coverage") else "–",
                str(part.cases),
                _percent(part.changed_practice),
                str(part.open_plans),
            )
    out.print(parts)
    codes = [p.part for p in report.total.year.parts]
    cases = Table(label("period", lang), *codes, title=label("cases_by_month", lang))
    for month in report.total.months:
        by_part = {p.part: p.cases for p in month.parts}
        cases.add_row(month.period, *(str(by_part.get(code, 0)) for code in codes))
    out.print(cases)
    plans = Table(
        label("scope", lang),
        label("member", lang),
        label("part", lang),
        label("plan", lang),
        label("since", lang),
        title=label("open_plans", lang),
    )
    for plan in report.open_plans:
        plans.add_row(plan.work_group, plan.display_name, plan.part, plan.plan, plan.since)
    out.print(plans)
    if not report.mentor_candidates_visible:
        out.print(label("mentors_hidden", lang))
        return
    mentors = Table(
        label("scope", lang),
        label("part", lang),
        label("member", lang),
        title=label("mentors", lang),
    )
    for candidate in report.mentor_candidates:
        mentors.add_row(candidate.work_group, candidate.part, candidate.display_name)
    out.print(mentors)


def knowledge_report(
    year: Annotated[int, typer.Option(help="Follow-up year by the year it starts (2025).")],
    unit: Annotated[str, typer.Option(help="The unit (default: the whole municipality).")] = "",
    work_group: Annotated[str, typer.Option(help="Only this work group.")] = "",
    tenant: TenantOption = "",
    output: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    lang: Annotated[Lang, typer.Option(help="sv (default) or en.")] = Lang.sv,
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Kunskapsuppföljningen: tillfällen, täckning, ärenden, förändrat arbetssätt
    / the knowledge follow-up report of a follow-up year (1 May – 30 April)."""
    request = kpb.KnowledgeReportRequest(tenant=tenant, unit=unit, work_group=work_group, year=year)
    report = call_service(
        "reporting",
        kpb_grpc.KnowledgeStub,
        as_,
        bearer,
        lambda s, m: s.GetKnowledgeReport(request, metadata=m),
    )
    if output is Format.json:
        print(json.dumps(report_json(report, lang), ensure_ascii=False, indent=2))
    elif output is Format.csv:
        print(report_csv(report, lang), end="")
    else:
        render_report(report, lang, console)
