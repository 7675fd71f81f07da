"""Personal identity numbers in free text.

Luhn check digits below are worked by hand: the nine digits YYMMDDNNN are
multiplied by 2,1,2,1,2,1,2,1,2; the digits of each product are summed; the
check digit brings the sum up to the next multiple of 10.
"""

from __future__ import annotations

import pytest

from shared.errors import InvalidArgument
from shared.personal_data import (
    PERSONAL_IDENTITY_NUMBER_REASON,
    find_personal_identity_numbers,
    luhn_check_digit,
    refuse_personal_identity_number,
)

# Skatteverket's example 19811218-9876. Digits 8 1 1 2 1 8 9 8 7:
# 8·2=16→1+6=7, 1, 1·2=2, 2, 1·2=2, 8, 9·2=18→1+8=9, 8, 7·2=14→1+4=5
# sum 7+1+2+2+2+8+9+8+5 = 44 → check digit 10−4 = 6. ✓
SKV_EXAMPLE = "19811218-9876"

# Skatteverket's "Tolvan Tolvansson" 121212-1212. Digits 1 2 1 2 1 2 1 2 1:
# 2, 2, 2, 2, 2, 2, 2, 2, 2 → sum 18 → check digit 10−8 = 2. ✓
TOLVAN = "121212-1212"

# Coordination number 701063-2391 (born 3 Oct 1970; day 63 = 3 + 60).
# Digits 7 0 1 0 6 3 2 3 9:
# 7·2=14→5, 0, 1·2=2, 0, 6·2=12→3, 3, 2·2=4, 3, 9·2=18→9
# sum 5+0+2+0+3+3+4+3+9 = 29 → check digit 10−9 = 1. ✓
COORDINATION = "701063-2391"


def test_luhn_matches_the_hand_worked_digits() -> None:
    assert luhn_check_digit("811218987") == 6
    assert luhn_check_digit("121212121") == 2
    assert luhn_check_digit("701063239") == 1


@pytest.mark.parametrize(
    "written",
    [
        "19811218-9876",
        "198112189876",
        "811218-9876",
        "8112189876",
        "811218+9876",  # "+": the holder has turned 100
        "19811218+9876",
    ],
)
def test_every_written_form_is_found(written: str) -> None:
    assert find_personal_identity_numbers(f"Klienten ({written}) ringde.") == [written]


def test_well_known_examples_and_coordination_number() -> None:
    text = f"{SKV_EXAMPLE}, {TOLVAN} och samordningsnummer {COORDINATION}."
    assert find_personal_identity_numbers(text) == [SKV_EXAMPLE, TOLVAN, COORDINATION]


def test_wrong_check_digit_is_not_a_number() -> None:
    assert find_personal_identity_numbers("811218-9875") == []
    assert find_personal_identity_numbers("19811218-9870") == []


def test_invalid_dates_are_not_numbers() -> None:
    # 811318-9875: month 13. Luhn would pass: 8·2=16→7, 1, 1·2=2, 3, 1·2=2, 8,
    # 9·2=18→9, 8, 7·2=14→5 → sum 45 → check 5; only the date is wrong.
    assert luhn_check_digit("811318987") == 5
    assert find_personal_identity_numbers("811318-9875") == []
    # 810230-1234: 30 February. 8·2=16→7, 1, 0, 2, 3·2=6, 0, 1·2=2, 2, 3·2=6
    # → sum 26 → check 4, so again only the date is wrong.
    assert luhn_check_digit("810230123") == 4
    assert find_personal_identity_numbers("810230-1234") == []
    # Coordination day 92 = 32 October.
    # 7·2=14→5, 0, 1·2=2, 0, 9·2=18→9, 2, 2·2=4, 3, 9·2=18→9 → sum 34 → check 6.
    assert luhn_check_digit("701092239") == 6
    assert find_personal_identity_numbers("701092-2396") == []


def test_leap_day_depends_on_the_century() -> None:
    # 000229-000K: 0, 0, 0, 2, 2·2=4, 9, 0, 0, 0 → sum 15 → check 5.
    assert luhn_check_digit("000229000") == 5
    assert find_personal_identity_numbers("20000229-0005") == ["20000229-0005"]
    assert find_personal_identity_numbers("19000229-0005") == []  # 1900 was no leap year
    assert find_personal_identity_numbers("000229-0005") == ["000229-0005"]  # may be 2000


def test_twelve_digit_form_needs_century_18_19_or_20() -> None:
    assert find_personal_identity_numbers("21811218-9876") == []
    assert find_personal_identity_numbers("17811218-9876") == []
    assert find_personal_identity_numbers("18811218-9876") == ["18811218-9876"]


def test_digits_inside_a_longer_run_do_not_count() -> None:
    assert find_personal_identity_numbers("ordernr 1198112189876") == []
    assert find_personal_identity_numbers("98112189876") == []
    assert find_personal_identity_numbers("81121898761") == []
    assert find_personal_identity_numbers("811218-98761") == []
    assert find_personal_identity_numbers("5811218-9876") == []


def test_ordinary_text_and_numbers_pass() -> None:
    text = (
        "Möte 2025-05-15 kl 13:30, 12 deltagare, ärende 2025/1234, "
        "telefon 031-123 45 67, AUDIT 14 poäng."
    )
    assert find_personal_identity_numbers(text) == []
    refuse_personal_identity_number(text, "note")


def test_refusal_names_the_field_and_never_the_number() -> None:
    with pytest.raises(InvalidArgument) as caught:
        refuse_personal_identity_number(f"Klient {SKV_EXAMPLE} har flyttat", "sessions[2].note")
    error = caught.value
    assert error.field == "sessions[2].note"
    assert error.reason == PERSONAL_IDENTITY_NUMBER_REASON
    assert error.reason == (
        "innehåller ett personnummer eller samordningsnummer – använd klientens pseudonym / "
        "contains a personal identity or coordination number: refer to clients by pseudonym"
    )
    for part in ("19811218", "811218", "9876"):
        assert part not in str(error)
