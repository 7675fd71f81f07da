"""The three built-in questions and the forums, in Swedish with English translations.

The questions are seed 000's "Förslag på frågor som kan ställas i gruppen"
(Socialstyrelsen 2023, artikelnr 2023-11-8861), line-break hyphens joined;
the English is DOMAIN.md section 1's translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast, get_args

from shared.errors import InvalidArgument
from shared.events.sessions import Forum


@dataclass(frozen=True)
class Question:
    number: int
    text_sv: str
    text_en: str


THE_THREE_QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        "Har alla i arbetsgruppen tagit del av de stöd som Socialstyrelsen tagit fram som stöd "
        "för tillämpningen av LVU och som är relevanta för vår verksamhet? Om inte, hur ser vi "
        "till att det görs?",
        "Has everyone in the group taken part of the support material relevant to our "
        "operation? If not, how do we make sure it happens?",
    ),
    Question(
        2,
        "Har vi månaderna efter att vi tagit del av de olika delarna av Socialstyrelsens stöd "
        "haft ärenden kopplade till någon eller några av delarna av stödet (till exempel "
        "flyttningsförbud eller utreseförbud)",
        "In the months since, have we had cases linked to one or more parts of the support "
        "(for example flyttningsförbud — prohibition of removal — or utreseförbud — travel "
        "ban)?",
    ),
    Question(
        3,
        "Om vi haft ärenden kopplat till de olika delarna av stödet, gjorde vi i så fall på "
        "något sätt annorlunda än vi gjort tidigare? I så fall vad? Diskutera och utbyt "
        "erfarenheter!",
        "If so, did we do anything differently from before? What? Discuss and share.",
    ),
)

#: Forum code → (Swedish, English).
FORUMS: dict[str, tuple[str, str]] = {
    "apt": ("Arbetsplatsträff (APT)", "Workplace meeting (APT)"),
    "arendehandledning": ("Ärendehandledning", "Case supervision"),
    "medarbetarsamtal": ("Medarbetarsamtal", "Appraisal talk"),
    "planeringsdag": ("Planeringsdag", "Planning day"),
    "utbildningsdag": ("Utbildningsdag", "Training day"),
    "annat": ("Annat forum", "Other forum"),
}
assert set(FORUMS) == set(get_args(Forum))


def forum(value: str, field: str) -> Forum:
    """The forum code `value`, or InvalidArgument listing the known ones."""
    if value in get_args(Forum):
        return cast(Forum, value)
    raise InvalidArgument(f"unknown forum {value!r}; one of {', '.join(FORUMS)}", field=field)
