"""`arshjul demo --scale small` against a running stack: the four services as real
processes on the test's database and broker, found through a stack file as
`make run` leaves one. The demo drives its year on the simulated clock and
leaves the compiled reports as HTML and PDF, in Swedish, with charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.embedded.tansu import free_port
from shared.kafka_admin import ensure_topics
from shared.settings import Settings
from tests.support.measurements import run_cli, write_stack_file
from tests.support.service import ServiceProcess, migrate

SERVICES = ("scheduler", "sessions", "measurements", "reporting")
TOPICS = ("scheduler.events", "sessions.events", "measurements.events", "reporting.events")
YEAR = 2025  # the simulated clock starts at 2025-01-01


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest's settings, with a scheduler that looks for due occurrences often."""
    return settings.model_copy(update={"scheduler_tick_seconds": 0.2})


async def test_the_demo_drives_a_year_and_writes_the_compiled_reports(
    settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> None:
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}{t}" for t in TOPICS], 4)
    processes = [
        ServiceProcess(name, settings, free_port(), tmp_path / f"{name}.log") for name in SERVICES
    ]
    try:
        for process in processes:
            migrate(settings, process.service)
            await process.start()
        write_stack_file(
            settings, {p.service: p.address for p in processes}, tmp_path / "stack.log"
        )
        out = tmp_path / "reports"
        result = run_cli(settings, "demo", "--scale", "small", "--out", str(out))
    finally:
        for process in processes:
            process.stop()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Using the running stack" in result.stdout
    assert "Demo finished in" in result.stdout

    names = sorted(path.name for path in out.iterdir())
    expected_scopes = [
        "municipality-1380",
        "municipality-1480",
        "municipality-1482",
        "nation",
        "region-13",
        "region-14",
        "unit-1480-ifo-vuxen",
    ]
    for scope in expected_scopes:
        for form in ("html", "pdf"):
            assert any(re.fullmatch(rf"rapport-{scope}-{YEAR}-v\d+\.{form}", n) for n in names), (
                scope,
                form,
                names,
            )
    # The municipalities were compiled again after the comments: version 2 at least.
    assert any(re.fullmatch(rf"rapport-municipality-1480-{YEAR}-v[2-9]\.html", n) for n in names)
    for path in out.glob("*.pdf"):
        assert path.read_bytes().startswith(b"%PDF"), path.name
    for path in out.glob("*.html"):
        html = path.read_text()
        assert "<svg" in html, path.name
        assert "Sammanställd uppföljningsrapport" in html, path.name
        assert "Uppföljningsår" in html, path.name
    region = next(out.glob(f"rapport-region-14-{YEAR}-v*.html")).read_text()
    municipality = next(out.glob(f"rapport-municipality-1480-{YEAR}-v*.html")).read_text()
    # The region sees Kungälv's small counts suppressed; Göteborg its own figures, and
    # the comment recorded in November.
    assert '<span class="suppressed">..</span>' in region
    assert '<span class="suppressed">' not in municipality
    assert "Kommentarer och utvecklingsområden" in municipality
    assert "applied (..)" in result.stdout
