"""Compiled yearly reports from the command line, over the reporting service's
Reports gRPC API: `arshjul report` (one report, as json, csv, html or pdf) and
`arshjul reporting compile | versions | comment | pull`.

The command functions only parse and print; what they do is in plain functions
(`report_request`, `save_report`, `pull_region`, …) that take a stub, so a test
against the real service can call them directly.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from arshjul.client import Metadata, TokenOption, console, err
from arshjul.client import call as call_service
from arshjul.operations_cli import reporting_app
from shared.api import reports_pb2 as pb
from shared.api import reports_pb2_grpc as pb_grpc
from shared.errors import DomainError
from shared.municipalities import validate_municipality_code, validate_region_code

#: The formats GetReport renders, and the file extension of each.
EXTENSIONS = {"json": "json", "csv": "csv", "html": "html", "pdf": "pdf"}
#: Formats written to a file even without --out (they are not for a terminal).
FILE_FORMATS = frozenset({"html", "pdf"})
LANGS = ("sv", "en")
_SCOPE_HELP = "unit:<id>, municipality:<code>, region:<län> or nation."
#: What a file name leaves out of a scope: anything but letters, digits, '.', '_',
#: '-', and runs of dots (no "..").
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+|\.{2,}")

ScopeOption = Annotated[str, typer.Option(help=f"Whose report: {_SCOPE_HELP}")]
YearOption = Annotated[
    int,
    typer.Option(min=2000, max=2100, help="Follow-up year: 2025 is 1 May 2025 – 30 April 2026."),
]
MunicipalityOption = Annotated[
    str, typer.Option(help="A unit scope's municipality (default: the caller's).")
]
ReportAsOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="Mint a token locally (embedded default only): TENANT:ROLE[:UNIT]. Default: "
        "the scope's owner (its municipality's follow-up function, "
        "region:<län>:regional_support, nation:national_analyst).",
    ),
]


class UsageError(ValueError):
    """A command-line value the service would refuse anyway; exits 2 before any call."""


def _exit_usage(error: UsageError | DomainError) -> typer.Exit:
    err.print(f"[red]{error}[/red]")
    return typer.Exit(2)


def _call(as_: str, bearer: str | None, rpc: Callable[[Any, Metadata], Any]) -> Any:
    return call_service("reporting", pb_grpc.ReportsStub, as_, bearer, rpc)


def _call_on_scope(
    scope: str,
    municipality: str,
    as_: str,
    bearer: str | None,
    rpc: Callable[[Any, Metadata], Any],
) -> Any:
    """Check the scope (exit 2 if it is malformed), then call as `as_`, or
    else as the scope's owner."""
    try:
        check_scope(scope, municipality)
    except (UsageError, DomainError) as error:
        raise _exit_usage(error) from None
    return _call(as_ or default_caller(scope, municipality), bearer, rpc)


# --- checking what was asked -------------------------------------------------------


def check_scope(scope: str, municipality: str) -> None:
    """The scope's form, and its codes, as the service checks them.

    Raises UsageError or InvalidArgument; a unit scope may leave its
    municipality to the caller's token, the other scopes have none.
    """
    level, colon, code = scope.partition(":")
    if level == "nation" and not colon:
        code = ""
    elif level not in ("unit", "municipality", "region") or not code:
        raise UsageError(f"--scope is {_SCOPE_HELP} Got {scope!r}.")
    if level == "municipality":
        validate_municipality_code(code, "--scope")
    elif level == "region":
        validate_region_code(code, "--scope")
    if municipality and level != "unit":
        raise UsageError(f"--municipality is for unit scopes only; {scope} is not one")
    if municipality:
        validate_municipality_code(municipality, "--municipality")


def check_choice(value: str, choices: tuple[str, ...] | list[str], option: str) -> str:
    if value not in choices:
        raise UsageError(f"{option} is {', '.join(choices)}; got {value!r}")
    return value


def default_caller(scope: str, municipality: str) -> str:
    """Who the report is asked for when --as is not given: the scope's owner,
    who sees its own figures unsuppressed."""
    level, _, code = scope.partition(":")
    match level:
        case "municipality":
            return f"{code}:follow_up"
        case "region":
            return f"region:{code}:regional_support"
        case "nation":
            return "nation:national_analyst"
        case _:
            return f"{municipality or '1480'}:follow_up"


def report_request(
    scope: str, municipality: str, year: int, version: int, output_format: str, lang: str
) -> pb.GetReportRequest:
    """A checked GetReport request (raises UsageError or InvalidArgument)."""
    check_scope(scope, municipality)
    check_choice(output_format, list(EXTENSIONS), "--format")
    check_choice(lang, LANGS, "--lang")
    if version < 0:
        raise UsageError(f"--version is 1 or more (0 or none: the latest); got {version}")
    return pb.GetReportRequest(
        report=pb.ReportRef(scope=scope, municipality=municipality, year=year, version=version),
        format=output_format,
        lang=lang,
    )


# --- files -------------------------------------------------------------------------


def report_filename(summary: pb.ReportSummary, output_format: str) -> str:
    """`rapport-<scope>-<year>-v<N>.<ext>`, ':' replaced: `rapport-municipality-1480-2025-v2.html`.

    A unit's id is only unique inside its municipality, so a unit scope names
    the municipality too (`rapport-unit-1480-ifo-vuxen-2025-v2.pdf`): a region's
    reports pulled into one directory never overwrite each other.
    """
    level, _, code = summary.scope.partition(":")
    parts = [level]
    if level == "unit" and summary.municipality:
        parts.append(summary.municipality)
    if code:
        parts.append(code)
    name = re.sub("-{2,}", "-", _UNSAFE.sub("-", "-".join(parts))).strip("-.") or "report"
    return f"rapport-{name}-{summary.year}-v{summary.version}.{EXTENSIONS[output_format]}"


def save_report(
    rendered: pb.RenderedReport, output_format: str, out: Path | None, directory: Path
) -> Path | None:
    """Write the report: to `out`, or for html and pdf to its default name in
    `directory`; json and csv without `out` go to stdout (returns None)."""
    if out is None and output_format not in FILE_FORMATS:
        sys.stdout.write(rendered.content.decode("utf-8"))
        return None
    target = (
        out if out is not None else directory / report_filename(rendered.summary, output_format)
    )
    target.write_bytes(rendered.content)
    return target


def summary_lines(summary: pb.ReportSummary) -> list[str]:
    """Version and checksums, as `arshjul report` and `reporting compile` print them."""
    scope = summary.scope + (
        f" ({summary.municipality})" if summary.scope.startswith("unit:") else ""
    )
    return [
        f"{scope} {summary.year}: version {summary.version}, {summary.input_count:,} events",
        f"inputs checksum:  {summary.inputs_checksum}",
        f"figures checksum: {summary.figures_checksum}",
    ]


def _print_summary(summary: pb.ReportSummary, disclosure_applied: bool = False) -> None:
    for line in summary_lines(summary):
        err.print(line, highlight=False, soft_wrap=True)
    if disclosure_applied:
        err.print(
            "röjandekontroll tillämpad: små tal visas som '..' / "
            "disclosure control applied: small counts shown as '..'",
            highlight=False,
            soft_wrap=True,
        )


class RegionReports(Protocol):
    """What `pull_region` needs of a Reports stub."""

    def StreamRegionReports(
        self, request: pb.StreamRegionReportsRequest, *, metadata: Metadata
    ) -> AsyncIterator[pb.RenderedReport]: ...


async def pull_region(
    stub: RegionReports,
    metadata: Metadata,
    request: pb.StreamRegionReportsRequest,
    directory: Path,
    on_report: Callable[[pb.RenderedReport, Path], None] = lambda rendered, path: None,
) -> list[Path]:
    """Every report StreamRegionReports sends, one file each in `directory` (which exists)."""
    written: list[Path] = []
    async for rendered in stub.StreamRegionReports(request, metadata=metadata):
        path = directory / report_filename(rendered.summary, request.format)
        path.write_bytes(rendered.content)
        written.append(path)
        on_report(rendered, path)
    return written


# --- commands ----------------------------------------------------------------------


def report(
    scope: ScopeOption,
    year: YearOption,
    output_format: Annotated[
        str, typer.Option("--format", help="json (default), csv, html or pdf.")
    ] = "json",
    lang: Annotated[str, typer.Option(help="sv (default) or en.")] = "sv",
    version: Annotated[int, typer.Option(help="A compiled version (default: the latest).")] = 0,
    municipality: MunicipalityOption = "",
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write here. Default: html and pdf to ./rapport-<scope>-<year>-v<N>.<ext>, "
            "json and csv to stdout.",
            dir_okay=False,
        ),
    ] = None,
    as_: ReportAsOption = "",
    bearer: TokenOption = None,
) -> None:
    """Årsrapporten / a compiled yearly report of a scope.

    The figures with the previous year's, charts, and the unit managers'
    comments; version and checksums are printed to stderr.
    """
    try:
        request = report_request(scope, municipality, year, version, output_format, lang)
    except (UsageError, DomainError) as error:
        raise _exit_usage(error) from None
    rendered: pb.RenderedReport = _call_on_scope(
        scope, municipality, as_, bearer, lambda s, m: s.GetReport(request, metadata=m)
    )
    written = save_report(rendered, output_format, out, Path.cwd())
    _print_summary(rendered.summary, rendered.disclosure_applied)
    if written is not None:
        err.print(f"skrev / wrote {written}", highlight=False, soft_wrap=True)


@reporting_app.command("compile")
def compile_report(
    scope: ScopeOption,
    year: YearOption,
    municipality: MunicipalityOption = "",
    as_: ReportAsOption = "",
    bearer: TokenOption = None,
) -> None:
    """Compile a scope's report for a year now: a new version if there are new events."""
    request = pb.CompileReportRequest(scope=scope, municipality=municipality, year=year)
    summary: pb.ReportSummary = _call_on_scope(
        scope, municipality, as_, bearer, lambda s, m: s.CompileReport(request, metadata=m)
    )
    lines = summary_lines(summary)
    state = "ny version / new version" if summary.new_version else "oförändrad / unchanged"
    console.print(f"{lines[0]} ({state})", highlight=False, soft_wrap=True)
    for line in lines[1:]:
        console.print(line, highlight=False, soft_wrap=True)


@reporting_app.command("versions")
def versions(
    scope: ScopeOption,
    year: YearOption,
    municipality: MunicipalityOption = "",
    as_: ReportAsOption = "",
    bearer: TokenOption = None,
) -> None:
    """The compiled versions of a scope's report for a year, oldest first."""
    request = pb.ListReportVersionsRequest(scope=scope, municipality=municipality, year=year)
    reply: pb.ListReportVersionsReply = _call_on_scope(
        scope, municipality, as_, bearer, lambda s, m: s.ListReportVersions(request, metadata=m)
    )
    if not reply.versions:
        console.print(f"{scope} {year}: inga kompilerade versioner / no compiled versions")
        return
    table = Table(
        "version",
        "händelser / events",
        "indata / inputs (SHA-256)",
        "siffror / figures (SHA-256)",
        title=f"{scope} {year}",
    )
    for summary in reply.versions:
        table.add_row(
            str(summary.version),
            f"{summary.input_count:,}",
            summary.inputs_checksum,
            summary.figures_checksum,
        )
    console.print(table)


@reporting_app.command("comment")
def comment(
    unit: Annotated[str, typer.Option(help="The unit whose figures are commented.")],
    year: YearOption,
    text: Annotated[str, typer.Option("--comment", help="The comment on the year's figures.")],
    area: Annotated[
        list[str] | None, typer.Option(help="A development area (repeat for more).")
    ] = None,
    tenant: Annotated[str, typer.Option(help="The unit's municipality, for the token.")] = "1480",
    as_: Annotated[
        str,
        typer.Option(
            "--as",
            help="Mint a token locally: TENANT:ROLE[:UNIT]. Default: the unit's manager, "
            "<tenant>:unit_manager:<unit>.",
        ),
    ] = "",
    bearer: TokenOption = None,
) -> None:
    """Record a unit manager's comment and development areas for a year.

    The next compiled version of the unit's and its municipality's report includes them.
    """
    if not text.strip():
        raise _exit_usage(UsageError("--comment is empty"))
    try:
        validate_municipality_code(tenant, "--tenant")
    except DomainError as error:
        raise _exit_usage(error) from None
    request = pb.RecordCommentRequest(
        unit=unit, year=year, comment=text, development_areas=list(area or [])
    )
    reply: pb.RecordCommentReply = _call(
        as_ or f"{tenant}:unit_manager:{unit}",
        bearer,
        lambda s, m: s.RecordComment(request, metadata=m),
    )
    console.print(f"kommentar registrerad / comment recorded: {reply.comment_id}")


@reporting_app.command("pull")
def pull(
    region: Annotated[str, typer.Option(help="The län code, e.g. 14.")],
    year: YearOption,
    output_format: Annotated[
        str, typer.Option("--format", help="html (default), pdf, json or csv.")
    ] = "html",
    lang: Annotated[str, typer.Option(help="sv (default) or en.")] = "sv",
    out: Annotated[Path, typer.Option(help="The directory to write into.", file_okay=False)] = Path(
        "."
    ),
    as_: Annotated[
        str,
        typer.Option(
            "--as",
            help="Mint a token locally: TENANT:ROLE[:UNIT]. "
            "Default: region:<län>:regional_support.",
        ),
    ] = "",
    bearer: TokenOption = None,
) -> None:
    """Every compiled report of a region for a year, one file each.

    Its units, municipalities and the region itself, latest versions, as the
    caller may see them (suppressed outside the owner).
    """
    try:
        validate_region_code(region, "--region")
        check_choice(output_format, list(EXTENSIONS), "--format")
        check_choice(lang, LANGS, "--lang")
    except (UsageError, DomainError) as error:
        raise _exit_usage(error) from None
    request = pb.StreamRegionReportsRequest(
        region=region, year=year, format=output_format, lang=lang
    )
    out.mkdir(parents=True, exist_ok=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as progress:
        task = progress.add_task(f"region {region} {year}", total=None)

        def show(rendered: pb.RenderedReport, path: Path) -> None:
            progress.advance(task)
            progress.update(task, description=f"region {region} {year}: {path.name}")
            progress.console.print(
                f"{path}  v{rendered.summary.version}"
                + ("  (..)" if rendered.disclosure_applied else ""),
                highlight=False,
                soft_wrap=True,
            )

        written: list[Path] = _call(
            as_ or f"region:{region}:regional_support",
            bearer,
            lambda s, m: pull_region(s, m, request, out, show),
        )
    console.print(f"{len(written)} rapporter / reports i / in {out}")
