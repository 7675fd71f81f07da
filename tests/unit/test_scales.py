"""The scale catalogue: built-in scales, a region's additions, immutable versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.errors import InvalidArgument
from shared.scales import BUILTIN_DIR, Scale, ScaleCatalogueError, load_catalogue


def _builtin(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((BUILTIN_DIR / f"{name}.v1.json").read_text())
    return loaded


def _write(directory: Path, content: dict[str, object]) -> Path:
    path = directory / f"{content['scale_id']}.v{content['version']}.json"
    path.write_text(json.dumps(content, ensure_ascii=False))
    return path


def test_the_built_in_catalogue() -> None:
    catalogue = load_catalogue()
    assert [s.key for s in catalogue.all()] == [
        ("audit", 1),
        ("klientenkat", 1),
        ("livssituation", 1),
        ("narvarodagar", 1),
        ("veckoantal", 1),
    ]
    audit = catalogue.get("audit", None, "scale_id")
    assert (audit.min, audit.max, len(audit.items), audit.lower_is_better) == (0, 40, 10, True)
    assert [(z.min, z.max) for z in audit.zones] == [(0, 7), (8, 15), (16, 19), (20, 40)]
    assert audit.clinical_threshold == 8
    assert audit.reliability == 0.84
    assert "Selin" in (audit.psychometrics_source or "")
    assert audit.unverified == ("norm_sd",)
    attendance = catalogue.get("narvarodagar", 1, "scale_id")
    assert (attendance.min, attendance.max, attendance.lower_is_better) == (0, 92, False)
    assert attendance.minimal_important_change == 10
    life = catalogue.get("livssituation", 1, "scale_id")
    assert len(life.items) >= 6 and life.norm_sd is None
    survey = catalogue.get("klientenkat", 1, "scale_id")
    assert survey.kind == "survey"
    assert {"bemotande", "insatser"} <= {i.item_id for i in survey.items}


def test_zones_values_and_items() -> None:
    audit = load_catalogue().get("audit", 1, "scale_id")
    zone = audit.zone_of(8)
    assert zone is not None and zone.label_en == "Zone II: hazardous use"
    audit.check_value(40, "rating.value")
    with pytest.raises(InvalidArgument) as refused:
        audit.check_value(41, "rating.value")
    assert refused.value.field == "rating.value"
    answers = {f"q{i}": 1 for i in range(1, 9)} | {"q9": 2, "q10": 4}
    assert audit.score(answers, "rating.items") == 8 + 2 + 4
    with pytest.raises(InvalidArgument) as refused:
        audit.score(answers | {"q9": 3}, "rating.items")  # q9 takes 0, 2 or 4
    assert refused.value.field == "rating.items.q9"
    with pytest.raises(InvalidArgument) as refused:
        audit.score({"q1": 1}, "rating.items")
    assert refused.value.field == "rating.items"


def test_a_region_adds_scales_in_its_directory(tmp_path: Path) -> None:
    added = _builtin("narvarodagar") | {
        "scale_id": "narvaro-skola",
        "name_sv": "Skolnärvaro",
        "name_en": "School attendance",
    }
    _write(tmp_path, added)
    catalogue = load_catalogue(tmp_path)
    assert len(catalogue) == 6
    assert catalogue.get("narvaro-skola", None, "scale_id").name_en == "School attendance"


def test_a_new_version_is_added_and_becomes_the_default(tmp_path: Path) -> None:
    _write(tmp_path, _builtin("audit") | {"version": 2, "norm_sd": 6.0})
    catalogue = load_catalogue(tmp_path)
    assert catalogue.get("audit", None, "scale_id").version == 2
    assert catalogue.get("audit", 1, "scale_id").norm_sd == 5.0


def test_a_version_never_changes(tmp_path: Path) -> None:
    _write(tmp_path, _builtin("audit"))  # an identical copy is harmless
    assert len(load_catalogue(tmp_path)) == 5
    _write(tmp_path, _builtin("audit") | {"clinical_threshold": 6})
    with pytest.raises(ScaleCatalogueError, match="already defined differently"):
        load_catalogue(tmp_path)


def test_a_file_must_be_named_for_its_scale(tmp_path: Path) -> None:
    (tmp_path / "something.json").write_text(json.dumps(_builtin("audit") | {"version": 3}))
    with pytest.raises(ScaleCatalogueError, match=r"audit\.v3\.json"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        {"minimal_important_change": None},  # no RCI constants and no MIC
        {"minimal_important_change_source": None},  # a constant without its source
        {"zones": [{"min": 0, "max": 40, "label_sv": "a", "label_en": "a"}], "max": 50},
        {
            "zones": [
                {"min": 0, "max": 9, "label_sv": "a", "label_en": "a"},
                {"min": 11, "max": 92, "label_sv": "b", "label_en": "b"},
            ]
        },
        {"clinical_threshold": 8},  # a threshold without its source
        {"unverified": ["nonsense"]},
    ],
)
def test_invalid_scales_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Scale.model_validate(_builtin("narvarodagar") | change)


def test_a_score_scales_range_is_the_sum_of_its_items() -> None:
    with pytest.raises(ValueError, match="sum of its items"):
        Scale.model_validate(_builtin("livssituation") | {"max": 31})


def test_an_unknown_scale_is_an_invalid_argument_naming_the_field() -> None:
    catalogue = load_catalogue()
    with pytest.raises(InvalidArgument) as refused:
        catalogue.get("phq9", None, "rating.scale_id")
    assert refused.value.field == "rating.scale_id"
    with pytest.raises(InvalidArgument):
        catalogue.get("audit", 7, "rating.scale_id")
