"""`arshjul client-chart`: a seed-003-like series (weeks 10–19, phases A, B, C) as a PNG
that shows three phases, with PND and NAP equal to the values counted by hand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import grpc
import pytest
from PIL import Image

from shared.api import measurements_pb2 as pb
from shared.embedded.tansu import free_port
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support import service
from tests.support.measurements import Measurements, run_cli, write_stack_file
from tests.support.service import ServiceProcess, token

# Seed 003, figure 1: conversations ending without conflict, weeks 10–19.
SERIES = [
    (10, "A", 2),
    (11, "A", 3),
    (12, "A", 2),
    (13, "B", 4),
    (14, "B", 3),
    (15, "B", 6),
    (16, "B", 5),
    (17, "C", 6),
    (18, "C", 7),
    (19, "C", 6),
]
# Counted by hand (higher is better):
# PND A→B: B points above max(A) = 3 are 4, 6, 5: 3 of 4.
# NAP A→B: each of the two 2s is below all four B points (8 pairs); the 3 is
#   below 4, 6, 5 (3) and ties 3 (½): 11½ of 12 pairs.
# PND A→C: all three C points are above 3. NAP A→C: all 9 pairs improve.
PND_B, NAP_B = Fraction(3, 4), Fraction(23, 24)
PND_C, NAP_C = Fraction(3, 3), Fraction(9, 9)
MEANS = {"A": Fraction(7, 3), "B": Fraction(18, 4), "C": Fraction(19, 3)}


@pytest.fixture
async def measurements(
    settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}measurements.events"], 4)
    service.migrate(settings, "measurements")
    process = ServiceProcess("measurements", settings, free_port(), tmp_path / "measurements.log")
    await process.start()
    write_stack_file(settings, {"measurements": process.address}, tmp_path / "cli.log")
    yield process
    process.stop()


def shown(text: str, label: str) -> Fraction:
    """The number the chart shows after `label` (decimal comma in Swedish)."""
    found = re.search(re.escape(label) + r" = ([0-9]+(?:[,.][0-9]+)?)", text)
    assert found, f"{label!r} not in {text!r}"
    return Fraction(found.group(1).replace(",", "."))


async def test_an_abc_series_gives_a_chart_with_hand_counted_pnd_and_nap(
    measurements: ServiceProcess, settings: Settings, tmp_path: Path
) -> None:
    monday_week_10 = date(2025, 3, 3)
    async with grpc.aio.insecure_channel(measurements.address) as channel:
        staff = Measurements(channel, token(settings, "1480", Role.UNIT_STAFF, "ifo-vuxen"))
        opened = await staff.OpenFollowUp(
            pb.OpenFollowUpRequest(
                unit="ifo-vuxen",
                client="K-2025-003",
                client_group="familj",
                main_problems=["konflikter"],
                opened_on="2025-03-01",
            )
        )
        follow_up_id = opened.follow_up_id
        await staff.SetGoal(
            pb.SetGoalRequest(
                follow_up_id=follow_up_id,
                goal_id="g1",
                title="Fler samtal som avslutas utan konflikt",
                scale_id="veckoantal",
                set_on="2025-03-01",
            )
        )
        for week, phase, value in SERIES:
            rating = pb.Rating(
                scale_id="veckoantal",
                occasion="during",
                phase=phase,
                week=week,
                goal_id="g1",
                value=value,
                rated_on=(monday_week_10 + timedelta(weeks=week - 10)).isoformat(),
            )
            await staff.SubmitRating(
                pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=rating)
            )
        series = await staff.GetSeries(pb.GetSeriesRequest(follow_up_id=follow_up_id, goal_id="g1"))
    assert [(p.week, p.phase, p.value) for p in series.points] == SERIES
    assert [(p.phase, p.n, p.first_week, p.last_week) for p in series.phases] == [
        ("A", 3, 10, 12),
        ("B", 4, 13, 16),
        ("C", 3, 17, 19),
    ]
    assert [Fraction(p.mean) for p in series.phases] == [
        Fraction(float(MEANS[phase])) for phase in "ABC"
    ]
    comparisons = {c.treatment: (c.pnd, c.nap) for c in series.comparisons}
    assert comparisons == {"B": (float(PND_B), float(NAP_B)), "C": (float(PND_C), float(NAP_C))}

    chart = tmp_path / "chart.png"
    drawn = run_cli(settings, "client-chart", follow_up_id, "--goal", "g1", "-o", str(chart))
    assert drawn.returncode == 0, drawn.stderr
    with Image.open(chart) as image:
        assert image.format == "PNG"
        assert image.size == (900, 500)
        assert len(image.convert("RGB").getcolors(maxcolors=100_000) or []) > 10
        legend = image.info["Description"]
    for phase in ("A: före insats", "B: under insats", "C: efter insats"):
        assert phase in legend
    assert shown(legend, "PND A→B") == PND_B * 100
    assert shown(legend, "NAP A→B") == round(NAP_B, 2)
    assert shown(legend, "PND A→C") == PND_C * 100
    assert shown(legend, "NAP A→C") == round(NAP_C, 2)
    for phase, mean in MEANS.items():
        assert shown(legend, f"Medelvärde {phase}") == round(mean, 1)
    assert "PND A→B = 75 %" in drawn.stdout

    svg = tmp_path / "chart.svg"
    english = run_cli(
        settings, "client-chart", follow_up_id, "--goal", "g1", "-o", str(svg), "--lang", "en"
    )
    assert english.returncode == 0, english.stderr
    content = svg.read_text(encoding="utf-8")
    assert content.lstrip().startswith("<?xml") and "<svg" in content
    assert "NAP A→B = 0.96" in content
