"""Client follow-up from the command line: `arshjul followup …`, `arshjul client-report`,
`arshjul client-chart` and `arshjul import`, over the measurements and reporting gRPC APIs."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from arshjul.client import AsOption, TokenOption, console, err
from arshjul.client import call as call_service
from shared.api import clients_pb2 as cpb
from shared.api import clients_pb2_grpc as cpb_grpc
from shared.api import measurements_pb2 as pb
from shared.api import measurements_pb2_grpc as pb_grpc

followup_app = typer.Typer(
    no_args_is_help=True, help="Klientuppföljning / client follow-up (LOKE)."
)

Lang = Literal["sv", "en"]
LangOption = Annotated[str, typer.Option(help="sv or en.")]
OnOption = Annotated[str, typer.Option("--on", help="The date (YYYY-MM-DD); default today.")]
#: Rows per ImportRecords call (each call one transaction).
IMPORT_BATCH = 1000


def _call(as_: str, bearer: str | None, rpc: Any) -> Any:
    return call_service("measurements", pb_grpc.MeasurementsStub, as_, bearer, rpc)


def _lang(value: str) -> Lang:
    if value not in ("sv", "en"):
        err.print(f"[red]--lang is sv or en, not {value!r}[/red]")
        raise typer.Exit(2)
    return "sv" if value == "sv" else "en"


def _pairs(values: Sequence[str], option: str) -> dict[str, int]:
    """`item=value` options as a mapping."""
    found: dict[str, int] = {}
    for value in values:
        key, _, number = value.partition("=")
        try:
            found[key.strip()] = int(number)
        except ValueError:
            err.print(f"[red]{option} wants ITEM=NUMBER, not {value!r}[/red]")
            raise typer.Exit(2) from None
    return found


def _changed(reply: pb.FollowUpReply, what: str) -> None:
    console.print(f"{what}: {reply.follow_up_id} (version {reply.version})")


# --- entering a follow-up -----------------------------------------------------------


@followup_app.command("scales")
def scales(
    lang: LangOption = "sv", as_: AsOption = "1480:follow_up", bearer: TokenOption = None
) -> None:
    """The scale catalogue."""
    chosen = _lang(lang)
    reply = _call(as_, bearer, lambda s, m: s.ListScales(pb.ListScalesRequest(), metadata=m))
    table = Table("id", "v", "namn / name", "intervall / range", "riktning / direction", "RCI/MIC")
    for s in reply.scales:
        if s.HasField("norm_sd") and s.HasField("reliability"):
            change = f"SD {s.norm_sd:g}, r {s.reliability:g}"
        elif s.HasField("minimal_important_change"):
            change = f"MIC {s.minimal_important_change:g}"
        else:
            change = ""
        if s.unverified:
            change += " (" + ", ".join(s.unverified) + " ej verifierat / unverified)"
        name = s.name_sv if chosen == "sv" else s.name_en
        table.add_row(s.scale_id, str(s.version), name, f"{s.min}–{s.max}", s.direction, change)
    console.print(table)


@followup_app.command("open")
def open_follow_up(
    unit: Annotated[str, typer.Option(help="The unit.")],
    client: Annotated[str, typer.Option(help="The unit's pseudonym for the client.")],
    client_group: Annotated[str, typer.Option("--group", help="Client group.")],
    problem: Annotated[list[str] | None, typer.Option(help="A main problem (repeat).")] = None,
    gender: Annotated[str, typer.Option(help="female, male or other.")] = "",
    age_band: Annotated[str, typer.Option(help="e.g. 25-34.")] = "",
    on: OnOption = "",
    tenant: Annotated[str, typer.Option(help="Municipality code.")] = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Open a client's follow-up (prints its id)."""
    request = pb.OpenFollowUpRequest(
        tenant=tenant,
        unit=unit,
        client=client,
        client_group=client_group,
        main_problems=problem or [],
        gender=gender,
        age_band=age_band,
        opened_on=on,
    )
    _changed(_call(as_, bearer, lambda s, m: s.OpenFollowUp(request, metadata=m)), "opened")


@followup_app.command("goal")
def goal(
    follow_up_id: str,
    goal_id: Annotated[str, typer.Option("--id", help="The goal's short id, e.g. g1.")],
    title: Annotated[str, typer.Option(help="The goal.")],
    scale: Annotated[str, typer.Option(help="The scale of its measure.")],
    on: OnOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Set a goal with its measure."""
    request = pb.SetGoalRequest(
        follow_up_id=follow_up_id, goal_id=goal_id, title=title, scale_id=scale, set_on=on
    )
    _changed(_call(as_, bearer, lambda s, m: s.SetGoal(request, metadata=m)), "goal set")


@followup_app.command("start")
def start(
    follow_up_id: str,
    intervention_id: Annotated[str, typer.Option("--id", help="Short id, e.g. i1.")],
    kind: Annotated[str, typer.Option("--type", help="The kind of intervention.")],
    goal_id: Annotated[list[str] | None, typer.Option("--goal", help="A goal it serves.")] = None,
    on: OnOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Start an intervention."""
    request = pb.StartInterventionRequest(
        follow_up_id=follow_up_id,
        intervention_id=intervention_id,
        intervention_type=kind,
        started_on=on,
        goal_ids=goal_id or [],
    )
    _changed(_call(as_, bearer, lambda s, m: s.StartIntervention(request, metadata=m)), "started")


@followup_app.command("end")
def end(
    follow_up_id: str,
    intervention_id: Annotated[str, typer.Option("--id", help="The intervention.")],
    outcome: Annotated[str, typer.Option(help="completed or ended_early.")],
    on: OnOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """End an intervention: completed or ended early."""
    request = pb.EndInterventionRequest(
        follow_up_id=follow_up_id, intervention_id=intervention_id, ended_on=on, outcome=outcome
    )
    _changed(_call(as_, bearer, lambda s, m: s.EndIntervention(request, metadata=m)), "ended")


@followup_app.command("rate")
def rate(
    follow_up_id: str,
    scale: Annotated[str, typer.Option(help="The scale, e.g. audit.")],
    occasion: Annotated[str, typer.Option(help="intake, during, exit or follow_up.")],
    value: Annotated[int | None, typer.Option(help="The total.")] = None,
    item: Annotated[
        list[str] | None, typer.Option(help="ITEM=VALUE (repeat for every item).")
    ] = None,
    goal_id: Annotated[str, typer.Option("--goal", help="The goal it measures.")] = "",
    phase: Annotated[str, typer.Option(help="A, B or C (during).")] = "",
    week: Annotated[int | None, typer.Option(help="The week (during).")] = None,
    on: OnOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Submit a rating: a total, or every item."""
    rating = pb.Rating(
        scale_id=scale,
        occasion=occasion,
        phase=phase,
        goal_id=goal_id,
        items=_pairs(item or [], "--item"),
        rated_on=on,
    )
    if value is not None:
        rating.value = value
    if week is not None:
        rating.week = week
    request = pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=rating)
    _changed(_call(as_, bearer, lambda s, m: s.SubmitRating(request, metadata=m)), "rated")


@followup_app.command("assess")
def assess(
    follow_up_id: str,
    goal_id: Annotated[str, typer.Option("--goal", help="The goal.")],
    outcome: Annotated[str, typer.Option(help="achieved, partly_achieved or not_achieved.")],
    on: OnOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Assess whether a goal was achieved."""
    request = pb.AssessGoalRequest(
        follow_up_id=follow_up_id, goal_id=goal_id, outcome=outcome, assessed_on=on
    )
    _changed(_call(as_, bearer, lambda s, m: s.AssessGoal(request, metadata=m)), "assessed")


@followup_app.command("survey")
def survey(
    follow_up_id: str,
    answer: Annotated[list[str], typer.Option(help="ITEM=VALUE, e.g. bemotande=4 (repeat).")],
    scale: Annotated[str, typer.Option(help="The survey.")] = "klientenkat",
    on: OnOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Record the client's survey answers."""
    request = pb.AnswerSurveyRequest(
        follow_up_id=follow_up_id,
        scale_id=scale,
        answers=_pairs(answer, "--answer"),
        answered_on=on,
    )
    _changed(_call(as_, bearer, lambda s, m: s.AnswerSurvey(request, metadata=m)), "answered")


@followup_app.command("close")
def close(
    follow_up_id: str,
    reason: Annotated[str, typer.Option(help="Why (no personal data).")] = "",
    on: OnOption = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Close the follow-up."""
    request = pb.CloseFollowUpRequest(follow_up_id=follow_up_id, closed_on=on, reason=reason)
    _changed(_call(as_, bearer, lambda s, m: s.CloseFollowUp(request, metadata=m)), "closed")


@followup_app.command("show")
def show(follow_up_id: str, as_: AsOption = "1480:follow_up", bearer: TokenOption = None) -> None:
    """One follow-up: goals, interventions, ratings and the change per scale."""
    request = pb.GetFollowUpRequest(follow_up_id=follow_up_id)
    f = _call(as_, bearer, lambda s, m: s.GetFollowUp(request, metadata=m))
    console.print(
        f"[bold]{f.follow_up_id}[/bold] {f.client} · {f.unit} · {f.client_group} · "
        f"{f.opened_on} – {f.closed_on or 'pågår / open'}"
    )
    ratings = Table("skattning / rating", "skala / scale", "tillfälle / occasion", "värde / value")
    for r in f.ratings:
        where = f"{r.occasion} {r.phase}{r.week or ''}".strip()
        ratings.add_row(
            r.rated_on, f"{r.scale_id} v{r.scale_version}", where, f"{r.value} {r.zone_sv}"
        )
    console.print(ratings)
    for c in f.changes:
        rci = f", RCI {c.rci:.2f}" if c.HasField("rci") else ""
        console.print(f"{c.scale_id}: {c.intake} → {c.exit}{rci}: {c.change_class}")


@followup_app.command("list")
def list_follow_ups(
    unit: Annotated[str, typer.Option(help="Only this unit.")] = "",
    status: Annotated[str, typer.Option(help="open or closed.")] = "",
    tenant: Annotated[str, typer.Option(help="Municipality code.")] = "",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """A unit's (or the municipality's) follow-ups."""
    request = pb.ListFollowUpsRequest(tenant=tenant, unit=unit, status=status)
    reply = _call(as_, bearer, lambda s, m: s.ListFollowUps(request, metadata=m))
    table = Table(
        "id", "klient / client", "enhet / unit", "grupp / group", "öppnad / opened", "status"
    )
    for s in reply.follow_ups:
        table.add_row(s.follow_up_id, s.client, s.unit, s.client_group, s.opened_on, s.status)
    console.print(table)
    console.print(f"{reply.total} i alla / in all")


# --- the A-B-C chart ---------------------------------------------------------------------


def client_chart(
    follow_up_id: str,
    goal: Annotated[str, typer.Option(help="The goal whose series to draw.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="chart.png or chart.svg")],
    lang: LangOption = "sv",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Draw a goal's A-B-C series: points per week, phase lines and means, PND and NAP."""
    from services.measurements.adapters.chart import render_chart  # matplotlib: only here

    chosen = _lang(lang)
    request = pb.GetSeriesRequest(follow_up_id=follow_up_id, goal_id=goal)
    series = _call(as_, bearer, lambda s, m: s.GetSeries(request, metadata=m))
    try:
        shown = render_chart(series, output, chosen)
    except ValueError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    console.print(f"wrote {output}")
    for line in shown:
        console.print(f"  {line}")


# --- the client report ----------------------------------------------------------------

_LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Klientuppföljning",
        "municipality": "hela kommunen",
        "year": "uppföljningsår",
        "opened": "Nya klienter (öppnade uppföljningar)",
        "closed": "Avslutade uppföljningar",
        "problems": "Huvudproblem",
        "levels": "Problemnivå",
        "changes": "Förändring (Reliable Change Index)",
        "goals": "Vanligaste mål",
        "outcomes": "Måluppfyllelse",
        "interventions": "Insatser",
        "satisfaction": "Klientenkät",
        "breakdown": "Per klientgrupp, kön och åldersgrupp",
        "scale": "skala",
        "occasion": "tillfälle",
        "mean": "medel",
        "sd": "SD",
        "recovered": "återhämtade",
        "improved": "förbättrade",
        "unchanged": "oförändrade",
        "deteriorated": "försämrade",
        "achieved": "uppnådda",
        "partly": "delvis",
        "not": "ej uppnådda",
        "share_achieved": "andel uppnådda",
        "completed": "fullföljda",
        "ended_early": "avbrutna",
        "share_completed": "andel fullföljda",
        "item": "fråga",
        "slice": "grupp",
        "clients": "klienter",
        "intake": "inskrivning",
        "exit": "utskrivning",
        "follow_up": "uppföljning",
        "client_group": "klientgrupp",
        "gender": "kön",
        "age_band": "ålder",
        "female": "kvinna",
        "male": "man",
        "other": "annat",
        "unknown": "okänt",
        "events": "händelser",
    },
    "en": {
        "title": "Client follow-up",
        "municipality": "whole municipality",
        "year": "follow-up year",
        "opened": "New clients (follow-ups opened)",
        "closed": "Follow-ups closed",
        "problems": "Main problems",
        "levels": "Problem level",
        "changes": "Change (Reliable Change Index)",
        "goals": "Most common goals",
        "outcomes": "Goal attainment",
        "interventions": "Interventions",
        "satisfaction": "Client survey",
        "breakdown": "By client group, gender and age band",
        "scale": "scale",
        "occasion": "occasion",
        "mean": "mean",
        "sd": "SD",
        "recovered": "recovered",
        "improved": "improved",
        "unchanged": "unchanged",
        "deteriorated": "deteriorated",
        "achieved": "achieved",
        "partly": "partly",
        "not": "not achieved",
        "share_achieved": "share achieved",
        "completed": "completed",
        "ended_early": "ended early",
        "share_completed": "share completed",
        "item": "item",
        "slice": "group",
        "clients": "clients",
        "intake": "intake",
        "exit": "exit",
        "follow_up": "follow-up",
        "client_group": "client group",
        "gender": "gender",
        "age_band": "age",
        "female": "female",
        "male": "male",
        "other": "other",
        "unknown": "unknown",
        "events": "events",
    },
}


def client_report(
    year: Annotated[int, typer.Option(help="Follow-up year: 2025 is 1 May 2025 – 30 April 2026.")],
    unit: Annotated[str, typer.Option(help="The unit; empty: the whole municipality.")] = "",
    tenant: Annotated[str, typer.Option(help="Municipality code.")] = "",
    output_format: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    lang: LangOption = "sv",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """The client follow-up report of a unit or municipality for one follow-up year."""
    chosen = _lang(lang)
    if output_format not in ("table", "json", "csv"):
        err.print(f"[red]--format is table, json or csv, not {output_format!r}[/red]")
        raise typer.Exit(2)
    request = cpb.ClientReportRequest(tenant=tenant, unit=unit, year=year)
    report = call_service(
        "reporting",
        cpb_grpc.ClientReportsStub,
        as_,
        bearer,
        lambda s, m: s.GetClientReport(request, metadata=m),
    )
    if output_format == "json":
        print(json.dumps(report_to_dict(report), ensure_ascii=False, indent=2))
    elif output_format == "csv":
        sys.stdout.write(report_to_csv(report))
    else:
        print_report(report, chosen)


def _moments(m: cpb.Moments) -> dict[str, Any]:
    return {
        "n": m.n,
        "sum": m.sum,
        "sum_of_squares": m.sum_of_squares,
        "mean": m.mean if m.HasField("mean") else None,
        "sd": m.sd if m.HasField("sd") else None,
    }


def section_to_dict(s: cpb.Section) -> dict[str, Any]:
    return {
        "dimension": s.dimension,
        "category": s.category,
        "follow_ups_opened": s.follow_ups_opened,
        "follow_ups_closed": s.follow_ups_closed,
        "main_problems": {c.key: c.n for c in s.main_problems},
        "levels": [
            {"scale_id": v.scale_id, "occasion": v.occasion, **_moments(v.moments)}
            for v in s.levels
        ],
        "changes": [
            {
                "scale_id": c.scale_id,
                "recovered": c.recovered,
                "improved": c.improved,
                "unchanged": c.unchanged,
                "deteriorated": c.deteriorated,
                "total": c.total,
            }
            for c in s.changes
        ],
        "goals": {c.key: c.n for c in s.goals},
        "goal_outcomes": {
            "achieved": s.goal_outcomes.achieved,
            "partly_achieved": s.goal_outcomes.partly_achieved,
            "not_achieved": s.goal_outcomes.not_achieved,
            "assessed": s.goal_outcomes.assessed,
            "share_achieved": s.goal_outcomes.share_achieved
            if s.goal_outcomes.HasField("share_achieved")
            else None,
        },
        "interventions": {c.key: c.n for c in s.interventions},
        "intervention_outcomes": {
            "completed": s.intervention_outcomes.completed,
            "ended_early": s.intervention_outcomes.ended_early,
            "ended": s.intervention_outcomes.ended,
            "share_completed": s.intervention_outcomes.share_completed
            if s.intervention_outcomes.HasField("share_completed")
            else None,
        },
        "satisfaction": [
            {"scale_id": v.scale_id, "item_id": v.item_id, **_moments(v.moments)}
            for v in s.satisfaction
        ],
    }


def report_to_dict(report: cpb.ClientReport) -> dict[str, Any]:
    return {
        "tenant": report.tenant,
        "unit": report.unit or None,
        "year": report.year,
        "year_starts": report.year_starts,
        "year_ends": report.year_ends,
        "events": report.events,
        "total": section_to_dict(report.total),
        "by_client_group": [section_to_dict(s) for s in report.by_client_group],
        "by_gender": [section_to_dict(s) for s in report.by_gender],
        "by_age_band": [section_to_dict(s) for s in report.by_age_band],
        "notes_sv": list(report.notes_sv),
        "notes_en": list(report.notes_en),
    }


def _csv_rows(s: cpb.Section) -> Iterator[list[object]]:
    where = [s.dimension, s.category]
    yield [*where, "follow_ups_opened", "", s.follow_ups_opened, "", ""]
    yield [*where, "follow_ups_closed", "", s.follow_ups_closed, "", ""]
    for c in s.main_problems:
        yield [*where, "main_problem", c.key, c.n, "", ""]
    for v in s.levels:
        m = _moments(v.moments)
        yield [*where, "level", f"{v.scale_id}|{v.occasion}", v.moments.n, m["mean"], m["sd"]]
    for c in s.changes:
        for name in ("recovered", "improved", "unchanged", "deteriorated"):
            yield [*where, "change", f"{c.scale_id}|{name}", getattr(c, name), "", ""]
    for c in s.goals:
        yield [*where, "goal", c.key, c.n, "", ""]
    o = section_to_dict(s)["goal_outcomes"]
    for name in ("achieved", "partly_achieved", "not_achieved"):
        yield [*where, "goal_outcome", name, o[name], "", ""]
    yield [*where, "share_goals_achieved", "", o["assessed"], o["share_achieved"], ""]
    for c in s.interventions:
        yield [*where, "intervention", c.key, c.n, "", ""]
    i = section_to_dict(s)["intervention_outcomes"]
    for name in ("completed", "ended_early"):
        yield [*where, "intervention_outcome", name, i[name], "", ""]
    yield [*where, "share_interventions_completed", "", i["ended"], i["share_completed"], ""]
    for v in s.satisfaction:
        m = _moments(v.moments)
        yield [*where, "satisfaction", f"{v.scale_id}|{v.item_id}", v.moments.n, m["mean"], m["sd"]]


def report_to_csv(report: cpb.ClientReport) -> str:
    """Long format: one figure per row (dimension, category, figure, key, n, value, sd)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["tenant", "unit", "year", "dimension", "category", "figure", "key", "n", "value", "sd"]
    )
    for section in [report.total, *report.by_client_group, *report.by_gender, *report.by_age_band]:
        for row in _csv_rows(section):
            cells = ["" if cell is None else cell for cell in row]
            writer.writerow([report.tenant, report.unit, report.year, *cells])
    return buffer.getvalue()


def _number(value: float | None, lang: Lang, decimals: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "sv" else text


def _share(value: float | None, lang: Lang) -> str:
    return "–" if value is None else f"{_number(value * 100, lang, 0)} %"


def print_report(report: cpb.ClientReport, lang: Lang) -> None:
    label = _LABELS[lang]
    scope = report.unit or label["municipality"]
    console.print(
        f"[bold]{label['title']} {report.tenant} · {scope} · {label['year']} {report.year} "
        f"({report.year_starts} – {report.year_ends})[/bold]"
    )
    total = report.total
    console.print(f"{label['opened']}: {total.follow_ups_opened}")
    console.print(f"{label['closed']}: {total.follow_ups_closed}")
    problems = Table(label["problems"], "n")
    for c in total.main_problems:
        problems.add_row(c.key, str(c.n))
    console.print(problems)
    levels = Table(
        label["scale"], label["occasion"], "n", label["mean"], label["sd"], title=label["levels"]
    )
    for v in total.levels:
        m = _moments(v.moments)
        levels.add_row(
            v.scale_id,
            label.get(v.occasion, v.occasion),
            str(v.moments.n),
            _number(m["mean"], lang),
            _number(m["sd"], lang),
        )
    console.print(levels)
    changes = Table(
        label["scale"],
        label["recovered"],
        label["improved"],
        label["unchanged"],
        label["deteriorated"],
        title=label["changes"],
    )
    for c in total.changes:
        changes.add_row(
            c.scale_id, *(str(n) for n in (c.recovered, c.improved, c.unchanged, c.deteriorated))
        )
    console.print(changes)
    goals = Table(label["goals"], "n")
    for c in list(total.goals)[:10]:
        goals.add_row(c.key, str(c.n))
    console.print(goals)
    o = section_to_dict(total)
    console.print(
        f"{label['outcomes']}: {label['achieved']} {o['goal_outcomes']['achieved']}, "
        f"{label['partly']} {o['goal_outcomes']['partly_achieved']}, "
        f"{label['not']} {o['goal_outcomes']['not_achieved']} · {label['share_achieved']} "
        f"{_share(o['goal_outcomes']['share_achieved'], lang)}"
    )
    ended = o["intervention_outcomes"]
    console.print(
        f"{label['interventions']}: {label['completed']} {ended['completed']}, "
        f"{label['ended_early']} {ended['ended_early']} · "
        f"{label['share_completed']} {_share(ended['share_completed'], lang)}"
    )
    satisfaction = Table(
        label["item"], "n", label["mean"], label["sd"], title=label["satisfaction"]
    )
    for v in total.satisfaction:
        m = _moments(v.moments)
        satisfaction.add_row(
            v.item_id, str(v.moments.n), _number(m["mean"], lang), _number(m["sd"], lang)
        )
    console.print(satisfaction)
    breakdown = Table(
        label["slice"],
        label["clients"],
        label["share_achieved"],
        label["share_completed"],
        label["recovered"] + "+" + label["improved"],
        label["deteriorated"],
        title=label["breakdown"],
    )
    for s in [*report.by_client_group, *report.by_gender, *report.by_age_band]:
        d = section_to_dict(s)
        better = sum(c["recovered"] + c["improved"] for c in d["changes"])
        worse = sum(c["deteriorated"] for c in d["changes"])
        name = f"{label.get(s.dimension, s.dimension)}: {label.get(s.category, s.category)}"
        breakdown.add_row(
            name,
            str(s.follow_ups_opened),
            _share(d["goal_outcomes"]["share_achieved"], lang),
            _share(d["intervention_outcomes"]["share_completed"], lang),
            str(better),
            str(worse),
        )
    console.print(breakdown)
    for note in report.notes_sv if lang == "sv" else report.notes_en:
        console.print(f"[yellow]OBS / Note:[/yellow] {note}")


# --- import -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BadRow:
    line: int
    field: str
    reason: str


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[BadRow]]:
    """The rows of a CSV or JSON Lines file, each with its line number; unreadable lines apart.

    JSON values become text as a CSV cell would hold them (a list joins with ";").
    """
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _json_lines(text)
    return _csv_rows_of(text)


def _csv_rows_of(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[BadRow]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, dict[str, str]]] = []
    bad: list[BadRow] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            bad.append(BadRow(line, "", "more cells than the header has columns"))
            continue
        if any(value is None for value in row.values()):
            bad.append(BadRow(line, "", "fewer cells than the header has columns"))
            continue
        rows.append((line, {key: value for key, value in row.items() if key is not None}))
    return rows, bad


def _json_lines(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[BadRow]]:
    rows: list[tuple[int, dict[str, str]]] = []
    bad: list[BadRow] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as error:
            bad.append(BadRow(line, "", f"not JSON: {error.msg}"))
            continue
        if not isinstance(value, dict):
            bad.append(BadRow(line, "", "each line must be one JSON object"))
            continue
        rows.append((line, {str(k): _cell(v) for k, v in value.items()}))
    return rows, bad


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _batches(rows: Sequence[tuple[int, dict[str, str]]]) -> Iterator[list[pb.ImportRow]]:
    for start in range(0, len(rows), IMPORT_BATCH):
        yield [
            pb.ImportRow(line=line, fields=fields)
            for line, fields in rows[start : start + IMPORT_BATCH]
        ]


def import_file(
    file: Annotated[Path, typer.Argument(help="A .csv or .jsonl export, one follow-up per row.")],
    dry_run: Annotated[bool, typer.Option(help="Only validate; store nothing.")] = False,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    as_: AsOption = "1480:follow_up",
    bearer: TokenOption = None,
) -> None:
    """Import follow-ups from a case-management export (CSV or JSON Lines).

    Every row is validated first; each bad row is reported with its line,
    column and reason; then the good rows are imported. Importing the same
    file again changes nothing. Exits 1 if any row was bad.
    """
    if not file.is_file():
        err.print(f"[red]no file {file}[/red]")
        raise typer.Exit(2)
    rows, unreadable = read_rows(file)

    async def run(stub: Any, metadata: Any) -> list[pb.RowResult]:
        checked: list[pb.RowResult] = []
        for batch in _batches(rows):
            reply = await stub.ImportRecords(
                pb.ImportRequest(rows=batch, validate_only=True), metadata=metadata, timeout=600
            )
            checked += reply.results
        if dry_run:
            return checked
        good = {r.line for r in checked if r.status != "rejected"}
        results = [r for r in checked if r.status == "rejected"]
        for batch in _batches([(line, fields) for line, fields in rows if line in good]):
            reply = await stub.ImportRecords(
                pb.ImportRequest(rows=batch), metadata=metadata, timeout=600
            )
            results += reply.results
        return sorted(results, key=lambda r: r.line)

    results = _call(as_, bearer, run)
    bad = sorted(
        [
            *unreadable,
            *(BadRow(r.line, r.field, r.reason) for r in results if r.status == "rejected"),
        ],
        key=lambda b: b.line,
    )
    counts = {
        status: sum(1 for r in results if r.status == status)
        for status in ("imported", "already_imported", "valid")
    }
    summary = {
        "rows": len(rows) + len(unreadable),
        **counts,
        "rejected": len(bad),
        "events": sum(r.events for r in results),
        "bad_rows": [{"line": b.line, "field": b.field, "reason": b.reason} for b in bad],
    }
    if output_format == "json":
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        if bad:
            table = Table(
                "rad / line", "fält / field", "orsak / reason", title="Felaktiga rader / bad rows"
            )
            for b in bad:
                table.add_row(str(b.line), b.field, b.reason)
            err.print(table)
        stored = (
            f"{counts['valid']} giltiga / valid (inget sparat / nothing stored)"
            if dry_run
            else f"{counts['imported']} importerade / imported"
        )
        console.print(
            f"{summary['rows']} rader / rows: {stored}, "
            f"{counts['already_imported']} redan importerade / already imported, "
            f"{len(bad)} felaktiga / rejected"
        )
    if bad:
        raise typer.Exit(1)
