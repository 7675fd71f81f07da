"""Refuse Swedish personal identity numbers in free text.

Clients are referred to by pseudonym. A personal identity number
(personnummer, Skatteverket SKV 704) or coordination number
(samordningsnummer, SKV 707) typed into a note, a comment or a goal would put
an identity into an event stream that is kept for ever, so free text carrying
one is refused before anything is stored.

Recognised forms, where C is the century (18, 19 or 20) and S a separator,
"-" or "+" (Skatteverket writes "+" once the holder turns 100):

    YYMMDDNNNK    YYMMDDSNNNK    CCYYMMDDNNNK    CCYYMMDDSNNNK

NNN is the birth number and K the check digit: the Luhn (mod 10) digit over
the nine digits YYMMDDNNN. A coordination number is the same with 60 added to
the day. To keep false positives (order numbers, phone numbers, amounts) out,
a candidate counts only if it stands alone (no digit directly before or
after), its date exists, and its check digit is right.
"""

from __future__ import annotations

import re
from datetime import date

from shared.errors import InvalidArgument

#: The user-facing reason, in Swedish and English. Never include the number
#: itself: the refusal is logged and sent back over the wire.
PERSONAL_IDENTITY_NUMBER_REASON = (
    "innehåller ett personnummer eller samordningsnummer – använd klientens pseudonym / "
    "contains a personal identity or coordination number: refer to clients by pseudonym"
)

_CENTURIES = (18, 19, 20)
_COORDINATION_DAY_OFFSET = 60

_CANDIDATE = re.compile(
    r"""
    (?<![0-9])                # not the tail of a longer digit run
    (?P<century>[0-9]{2})?    # 12-digit form: 18, 19 or 20 (checked below)
    (?P<yy>[0-9]{2})(?P<mm>[0-9]{2})(?P<dd>[0-9]{2})
    [-+]?
    (?P<birth>[0-9]{3})(?P<check>[0-9])
    (?![0-9])                 # not the head of a longer digit run
    """,
    re.VERBOSE,
)


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit for `digits` (here the nine digits YYMMDDNNN).

    From the left, digits are multiplied by 2, 1, 2, 1, …; the digits of each
    product are summed; the check digit brings the total to a multiple of 10.
    """
    total = 0
    for position, char in enumerate(digits):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def _date_exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _is_valid(match: re.Match[str]) -> bool:
    century_text = match["century"]
    yy, month, day = int(match["yy"]), int(match["mm"]), int(match["dd"])
    if day > _COORDINATION_DAY_OFFSET:
        day -= _COORDINATION_DAY_OFFSET
    if century_text is not None:
        century = int(century_text)
        if century not in _CENTURIES:
            return False
        centuries: tuple[int, ...] = (century,)
    else:
        # The 10-digit form drops the century; the date only has to exist in
        # one of them (this matters for 29 February of a year ending in 00).
        centuries = _CENTURIES
    if not any(_date_exists(c * 100 + yy, month, day) for c in centuries):
        return False
    nine = match["yy"] + match["mm"] + match["dd"] + match["birth"]
    return luhn_check_digit(nine) == int(match["check"])


def find_personal_identity_numbers(text: str) -> list[str]:
    """Every personal identity or coordination number in `text`, as written there."""
    return [match.group(0) for match in _CANDIDATE.finditer(text) if _is_valid(match)]


def contains_personal_identity_number(text: str) -> bool:
    return any(_is_valid(match) for match in _CANDIDATE.finditer(text))


def refuse_personal_identity_number(text: str, field: str) -> None:
    """Raise InvalidArgument naming `field` if `text` holds an identity number.

    The reason never repeats the number, so the refusal is safe to log.
    """
    if contains_personal_identity_number(text):
        raise InvalidArgument(PERSONAL_IDENTITY_NUMBER_REASON, field=field)
