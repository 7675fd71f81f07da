from __future__ import annotations

from collections import Counter

import pytest

from shared.errors import InvalidArgument
from shared.municipalities import (
    MUNICIPALITIES,
    REGIONS,
    municipalities_in,
    municipality_name,
    region_of,
    validate_municipality_code,
    validate_region_code,
)


def test_sweden_has_290_municipalities_in_21_regions() -> None:
    assert len(MUNICIPALITIES) == 290
    assert len(REGIONS) == 21
    assert sorted(REGIONS) == [
        "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13",
        "14", "17", "18", "19", "20", "21", "22", "23", "24", "25",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("1480", "Göteborg"),
        ("1402", "Partille"),
        ("0180", "Stockholm"),
        ("1280", "Malmö"),
        ("0380", "Uppsala"),
        ("0330", "Knivsta"),  # the newest municipality (2003)
        ("0331", "Heby"),  # moved from Västmanland (1917) in 2007
        ("0980", "Gotland"),
        ("2480", "Umeå"),
        ("2584", "Kiruna"),
        ("0114", "Upplands Väsby"),
        ("2023", "Malung-Sälen"),
    ],
)
def test_known_code_and_name_pairs(code: str, name: str) -> None:
    assert MUNICIPALITIES[code] == name
    assert municipality_name(code) == name


def test_municipalities_per_region_match_scb_counts() -> None:
    # Number of municipalities per län, as SCB publishes it.
    expected = {
        "01": 26, "03": 8, "04": 9, "05": 13, "06": 13, "07": 8, "08": 12,
        "09": 1, "10": 5, "12": 33, "13": 6, "14": 49, "17": 16, "18": 12,
        "19": 10, "20": 15, "21": 10, "22": 7, "23": 8, "24": 15, "25": 14,
    }  # fmt: skip
    assert Counter(code[:2] for code in MUNICIPALITIES) == expected
    assert sum(expected.values()) == 290


def test_codes_are_four_digits_and_names_unique() -> None:
    assert all(len(code) == 4 and code.isdigit() for code in MUNICIPALITIES)
    assert len(set(MUNICIPALITIES.values())) == 290


def test_region_names() -> None:
    assert REGIONS["14"] == "Västra Götalands län"
    assert REGIONS["01"] == "Stockholms län"
    assert REGIONS["12"] == "Skåne län"
    assert REGIONS["25"] == "Norrbottens län"


def test_region_of_is_the_first_two_digits() -> None:
    assert region_of("1480") == "14"
    assert region_of("1402") == "14"
    assert region_of("0180") == "01"
    assert region_of("2584") == "25"


def test_region_of_refuses_unknown_code() -> None:
    with pytest.raises(InvalidArgument) as caught:
        region_of("1499x")
    assert caught.value.field == "municipality"


def test_municipalities_in_region() -> None:
    halland = municipalities_in("13")
    assert halland == {
        "1315": "Hylte",
        "1380": "Halmstad",
        "1381": "Laholm",
        "1382": "Falkenberg",
        "1383": "Varberg",
        "1384": "Kungsbacka",
    }


def test_validate_accepts_known_code() -> None:
    assert validate_municipality_code("1480", "tenant") == "1480"


@pytest.mark.parametrize("bad", ["1234", "148", "14800", "abcd", "", " 1480", "1480 ", "0000"])
def test_validate_refuses_anything_else(bad: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_municipality_code(bad, "steps[0].tenant")
    error = caught.value
    assert error.field == "steps[0].tenant"
    assert "must be a 4-digit SCB municipality code" in error.reason
    assert repr(bad) in error.reason


def test_validate_explains_why() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_municipality_code("1234", "tenant")
    assert caught.value.reason == (
        "must be a 4-digit SCB municipality code (kommunkod), e.g. 1480 for Göteborg; "
        "got '1234': no Swedish municipality has that code"
    )
    assert str(caught.value).startswith("tenant: must be a 4-digit")


def test_validate_region_code() -> None:
    assert validate_region_code("14", "region") == "14"
    for bad in ("02", "11", "15", "16", "26", "1", "014"):
        with pytest.raises(InvalidArgument):
            validate_region_code(bad, "region")
