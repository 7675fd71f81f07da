"""Input checks shared by the sessions service's commands: ids, names, free text.

Everything a session documents is about staff and their learning, never about
clients. A personal identity or coordination number in any text (a plan, a
description, a display name, even an id) is refused before anything is
stored, and the refusal says why: client details do not belong here.
"""

from __future__ import annotations

import re

from shared.errors import InvalidArgument
from shared.personal_data import PERSONAL_IDENTITY_NUMBER_REASON, contains_personal_identity_number

#: The refusal: the shared reason plus what this service is for (in Swedish and English).
NOT_FOR_CLIENTS = (
    f"{PERSONAL_IDENTITY_NUMBER_REASON}; klientuppgifter som namn och personnummer hör inte "
    "hemma i dokumentationen av arbetsgruppens lärande / client names and identities do not "
    "belong in the documentation of the group's learning"
)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PART_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
MAX_NAME = 100
MAX_TEXT = 4000


def free_text(value: str, field: str, *, limit: int = MAX_TEXT) -> str:
    """`value` stripped, if it holds no identity number and is at most `limit` characters."""
    if contains_personal_identity_number(value):
        raise InvalidArgument(NOT_FOR_CLIENTS, field=field)
    if len(value) > limit:
        raise InvalidArgument(f"must be at most {limit} characters", field=field)
    return value.strip()


def name(value: str, field: str) -> str:
    """A non-empty display name or title of at most MAX_NAME characters."""
    checked = free_text(value, field, limit=MAX_NAME)
    if not checked:
        raise InvalidArgument("must not be empty", field=field)
    return checked


def identifier(value: str, field: str) -> str:
    """An internal id: 1–64 letters, digits, '.', '_' or '-' (and no identity number)."""
    if contains_personal_identity_number(value):
        raise InvalidArgument(NOT_FOR_CLIENTS, field=field)
    if not _ID.match(value):
        raise InvalidArgument(
            "must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field=field,
        )
    return value


def part_code(value: str, field: str) -> str:
    """A support part's code: a lowercase slug such as `flyttningsforbud`."""
    if not _PART_CODE.match(value):
        raise InvalidArgument(
            "must be 2–40 lowercase letters a-z, digits, '_' or '-', starting with a letter",
            field=field,
        )
    return value
