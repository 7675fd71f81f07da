"""`arshjul report` and `arshjul reporting compile | versions | comment | pull`
without a server: what is refused before any call, and where reports are written.

The gRPC call itself is replaced by a recorded reply here (`_call`); the
commands against the real reporting service are exercised end to end elsewhere.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from arshjul import reports_cli
from arshjul.cli import app
from shared.api import reports_pb2 as pb

runner = CliRunner()
INPUTS = hashlib.sha256(b"inputs").hexdigest()
FIGURES = hashlib.sha256(b"figures").hexdigest()


def summary(scope: str, version: int = 2, municipality: str = "") -> pb.ReportSummary:
    return pb.ReportSummary(
        scope=scope,
        municipality=municipality,
        year=2025,
        version=version,
        input_count=1234,
        inputs_checksum=INPUTS,
        figures_checksum=FIGURES,
        new_version=True,
    )


def rendered(
    scope: str, output_format: str, *, municipality: str = "", disclosed: bool = False
) -> pb.RenderedReport:
    return pb.RenderedReport(
        summary=summary(scope, municipality=municipality),
        format=output_format,
        lang="sv",
        media_type="text/html",
        content=f"<html>{scope}</html>".encode(),
        disclosure_applied=disclosed,
    )


class Recorded:
    """Stands in for the gRPC call: records who asked for what, answers `reply`."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, as_: str, bearer: str | None, rpc: Any) -> Any:
        self.calls.append((as_, bearer))
        return self.reply


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Recorded:
    monkeypatch.chdir(tmp_path)
    recorder = Recorded(rendered("municipality:1480", "html"))
    monkeypatch.setattr(reports_cli, "_call", recorder)
    return recorder


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "kommun:1480"], "--scope is unit:<id>"),
        (["--scope", "municipality"], "--scope is unit:<id>"),
        (["--scope", "unit:"], "--scope is unit:<id>"),
        (["--scope", "municipality:9999"], "no Swedish municipality has that code"),
        (["--scope", "region:99"], "no län has that code"),
        (["--scope", "nation:se"], "--scope is unit:<id>"),
        (["--scope", "municipality:1480", "--municipality", "1480"], "for unit scopes only"),
        (["--scope", "unit:ifo-vuxen", "--municipality", "148"], "not four digits"),
        (["--scope", "municipality:1480", "--format", "docx"], "--format is json, csv, html, pdf"),
        (["--scope", "municipality:1480", "--lang", "de"], "--lang is sv, en"),
        (["--scope", "municipality:1480", "--version", "-1"], "--version is 1 or more"),
    ],
)
def test_report_refuses_bad_arguments_before_calling(
    recorded: Recorded, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["report", "--year", "2025", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert recorded.calls == []


def test_report_year_is_a_four_digit_year(recorded: Recorded) -> None:
    result = runner.invoke(app, ["report", "--scope", "nation", "--year", "25"])
    assert result.exit_code == 2
    assert recorded.calls == []


@pytest.mark.parametrize(
    ("scope", "municipality", "name"),
    [
        ("municipality:1480", "1480", "rapport-municipality-1480-2025-v2.html"),
        ("unit:ifo-vuxen", "1480", "rapport-unit-1480-ifo-vuxen-2025-v2.html"),
        ("region:14", "", "rapport-region-14-2025-v2.html"),
        ("nation", "", "rapport-nation-2025-v2.html"),
        ("unit:../../etc/x", "1480", "rapport-unit-1480-etc-x-2025-v2.html"),
    ],
)
def test_a_report_file_is_named_by_scope_year_and_version(
    scope: str, municipality: str, name: str
) -> None:
    assert reports_cli.report_filename(summary(scope, municipality=municipality), "html") == name


def test_html_goes_to_its_default_file_and_the_checksums_to_stderr(
    recorded: Recorded, tmp_path: Path
) -> None:
    recorded.reply = rendered("municipality:1480", "html", disclosed=True)
    result = runner.invoke(
        app, ["report", "--scope", "municipality:1480", "--year", "2025", "--format", "html"]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / "rapport-municipality-1480-2025-v2.html"
    assert written.read_bytes() == b"<html>municipality:1480</html>"
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[:3] == [
        "municipality:1480 2025: version 2, 1,234 events",
        f"inputs checksum:  {INPUTS}",
        f"figures checksum: {FIGURES}",
    ]
    assert "disclosure control applied" in lines[3]
    assert lines[4] == f"skrev / wrote {written}"
    # The scope's owner, its municipality's follow-up function, when --as is not given.
    assert recorded.calls == [("1480:follow_up", None)]


def test_json_goes_to_stdout_unless_out_is_given(recorded: Recorded, tmp_path: Path) -> None:
    recorded.reply = pb.RenderedReport(
        summary=summary("region:14"), format="json", content='{"år": 2025}'.encode()
    )
    args = ["report", "--scope", "region:14", "--year", "2025", "--version", "2"]
    printed = runner.invoke(app, args)
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == '{"år": 2025}'
    assert "disclosure" not in printed.stderr
    saved = runner.invoke(
        app, [*args, "--out", str(tmp_path / "r.json"), "--as", "nation:operator"]
    )
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == ""
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == '{"år": 2025}'
    assert recorded.calls == [("region:14:regional_support", None), ("nation:operator", None)]
    assert list(tmp_path.iterdir()) == [tmp_path / "r.json"]


def test_compile_prints_version_checksums_and_whether_it_is_new(recorded: Recorded) -> None:
    recorded.reply = summary("unit:ifo-vuxen", version=3, municipality="1480")
    result = runner.invoke(
        app,
        [
            *("reporting", "compile", "--scope", "unit:ifo-vuxen"),
            *("--municipality", "1480", "--year", "2025"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "unit:ifo-vuxen (1480) 2025: version 3, 1,234 events (ny version / new version)",
        f"inputs checksum:  {INPUTS}",
        f"figures checksum: {FIGURES}",
    ]


def test_versions_and_compile_check_the_scope_too(recorded: Recorded) -> None:
    for command in ("compile", "versions"):
        result = runner.invoke(app, ["reporting", command, "--scope", "län:14", "--year", "2025"])
        assert result.exit_code == 2
    assert recorded.calls == []


def test_comment_is_asked_as_the_units_manager(recorded: Recorded) -> None:
    recorded.reply = pb.RecordCommentReply(comment_id="c-1")
    base = ["reporting", "comment", "--unit", "ifo-barn", "--year", "2025"]
    empty = runner.invoke(app, [*base, "--comment", "  "])
    assert empty.exit_code == 2
    result = runner.invoke(
        app, [*base, "--comment", "Fler mål följs upp.", "--area", "mål", "--tenant", "1401"]
    )
    assert result.exit_code == 0, result.output
    assert "c-1" in result.stdout
    assert recorded.calls == [("1401:unit_manager:ifo-barn", None)]


def test_pull_refuses_a_bad_region_or_format(recorded: Recorded) -> None:
    for extra in (["--region", "1"], ["--region", "14", "--format", "xlsx"]):
        result = runner.invoke(app, ["reporting", "pull", "--year", "2025", *extra])
        assert result.exit_code == 2
    assert recorded.calls == []


class RegionStream:
    """A region's reports as StreamRegionReports sends them."""

    def __init__(self, reports: list[pb.RenderedReport]) -> None:
        self.reports = reports
        self.requests: list[pb.StreamRegionReportsRequest] = []

    async def _stream(self) -> AsyncIterator[pb.RenderedReport]:
        for report in self.reports:
            yield report

    def StreamRegionReports(
        self, request: pb.StreamRegionReportsRequest, *, metadata: Any
    ) -> AsyncIterator[pb.RenderedReport]:
        self.requests.append(request)
        return self._stream()


def test_pull_writes_one_file_per_report_and_same_named_units_do_not_collide(
    tmp_path: Path,
) -> None:
    reports = [
        rendered("unit:ifo-vuxen", "html", municipality="1480"),
        rendered("unit:ifo-vuxen", "html", municipality="1401", disclosed=True),
        rendered("municipality:1480", "html", municipality="1480"),
        rendered("municipality:1401", "html", municipality="1401", disclosed=True),
        rendered("region:14", "html"),
    ]
    stream = RegionStream(reports)
    seen: list[str] = []
    request = pb.StreamRegionReportsRequest(region="14", year=2025, format="html", lang="sv")
    written = asyncio.run(
        reports_cli.pull_region(
            stream, (), request, tmp_path, lambda report, path: seen.append(path.name)
        )
    )
    names = [
        "rapport-unit-1480-ifo-vuxen-2025-v2.html",
        "rapport-unit-1401-ifo-vuxen-2025-v2.html",
        "rapport-municipality-1480-2025-v2.html",
        "rapport-municipality-1401-2025-v2.html",
        "rapport-region-14-2025-v2.html",
    ]
    assert seen == names
    assert written == [tmp_path / name for name in names]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert (tmp_path / names[1]).read_bytes() == b"<html>unit:ifo-vuxen</html>"
