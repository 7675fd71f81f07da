"""Import rows become the ordinary commands; a bad row names its column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from arshjul.measurements_cli import read_rows
from services.measurements.domain import ids
from services.measurements.domain.records import plan_row
from shared.errors import InvalidArgument
from shared.scales import load_catalogue

SCALES = load_catalogue()
TODAY = date(2026, 6, 1)
ROW = {
    "unit": "ifo-vuxen",
    "client": "K-17",
    "opened_on": "2025-06-02",
    "client_group": "missbruk vuxna",
    "main_problems": "alkohol;boende",
    "gender": "male",
    "age_band": "45-54",
    "goal": "Minska alkoholkonsumtionen",
    "goal_scale": "audit",
    "intake_audit": "19",
    "intake_livssituation": "14",
    "intervention": "Återfallsprevention",
    "intervention_start": "2025-06-09",
    "intervention_end": "2025-11-28",
    "intervention_outcome": "completed",
    "exit_audit": "7",
    "exit_livssituation": "21",
    "exit_on": "2025-12-01",
    "goal_outcome": "achieved",
    "survey_bemotande": "5",
    "survey_insatser": "4",
    "closed_on": "2025-12-05",
}


def test_a_full_row_becomes_one_follow_up() -> None:
    planned = plan_row("1480", ROW, today=TODAY, scales=SCALES)
    follow_up = planned.follow_up
    assert follow_up.follow_up_id == ids.follow_up_id("1480", "ifo-vuxen", "K-17", date(2025, 6, 2))
    names = [type(e.payload).__name__ for e in planned.events]
    assert names == [
        "FollowUpOpened",
        "GoalSet",
        "RatingSubmitted",
        "RatingSubmitted",
        "InterventionStarted",
        "InterventionEnded",
        "RatingSubmitted",
        "RatingSubmitted",
        "GoalAssessed",
        "SurveyAnswered",
        "FollowUpClosed",
    ]
    assert follow_up.version == len(names)
    assert follow_up.main_problems == ("alkohol", "boende")
    exit_audit = follow_up.rating("audit", "exit")
    assert exit_audit is not None
    assert (exit_audit.value, exit_audit.goal_id, exit_audit.rated_on) == (
        7,
        "g1",
        date(2025, 12, 1),
    )
    life = follow_up.rating("livssituation", "intake")
    assert life is not None and life.goal_id is None and life.rated_on == date(2025, 6, 2)
    assert follow_up.closed_on == date(2025, 12, 5)


def test_the_smallest_row_only_opens() -> None:
    minimal = {k: ROW[k] for k in ("unit", "client", "opened_on", "client_group")}
    planned = plan_row("1480", minimal, today=TODAY, scales=SCALES)
    assert [type(e.payload).__name__ for e in planned.events] == ["FollowUpOpened"]


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"intake_audit": "41"}, "intake_audit"),  # outside AUDIT's 0–40
        ({"exit_audit": "tre"}, "exit_audit"),
        ({"opened_on": "2025-13-01"}, "opened_on"),
        ({"client": "811218-9876"}, "client"),  # a personal identity number
        ({"client": ""}, "client"),
        ({"gender": "kvinna"}, "gender"),
        ({"goal_scale": "phq9"}, "goal_scale"),
        ({"intake_phq9": "3"}, "intake_phq9"),
        ({"intervention_outcome": "klar"}, "intervention_outcome"),
        ({"intervention_end": "2025-06-01"}, "intervention_end"),  # before its start
        ({"survey_bemotande": "6"}, "survey_bemotande"),
        ({"goal_outcome": "yes"}, "goal_outcome"),
        ({"closed_on": "2025-11-30"}, "closed_on"),  # before the exit ratings
        ({"exit_on": "2025-05-30"}, "exit_on"),  # before the intake
        ({"personnummer": "x"}, "personnummer"),  # unknown columns carry no data in
    ],
)
def test_a_bad_row_names_its_column(change: dict[str, str], column: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        plan_row("1480", ROW | change, today=TODAY, scales=SCALES)
    assert refused.value.field == column


def test_an_exit_without_an_intake_is_refused_on_its_column() -> None:
    row = {k: v for k, v in ROW.items() if k != "intake_livssituation"}
    with pytest.raises(InvalidArgument) as refused:
        plan_row("1480", row, today=TODAY, scales=SCALES)
    assert refused.value.field == "exit_livssituation"
    assert "intake" in refused.value.reason


def test_reading_csv_and_json_lines_keeps_line_numbers(tmp_path: Path) -> None:
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "unit,client,opened_on,client_group\n"
        "ifo-vuxen,K-1,2025-06-01,missbruk\n"
        "ifo-vuxen,K-2,2025-06-01\n"
        "ifo-vuxen,K-3,2025-06-01,missbruk\n",
        encoding="utf-8",
    )
    rows, bad = read_rows(csv_file)
    assert [line for line, _ in rows] == [2, 4]
    assert [(b.line, b.reason) for b in bad] == [(3, "fewer cells than the header has columns")]
    jsonl = tmp_path / "export.jsonl"
    jsonl.write_text(
        '{"unit": "ifo-vuxen", "client": "K-1", "main_problems": ["alkohol", "boende"], '
        '"intake_audit": 17}\n'
        "\n"
        "not json\n"
        "[1, 2]\n",
        encoding="utf-8",
    )
    rows, bad = read_rows(jsonl)
    assert rows == [
        (
            1,
            {
                "unit": "ifo-vuxen",
                "client": "K-1",
                "main_problems": "alkohol;boende",
                "intake_audit": "17",
            },
        )
    ]
    assert [b.line for b in bad] == [3, 4]
