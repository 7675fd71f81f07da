"""The regional base of support parts (DOMAIN.md, "Parts of the LVU support").

Data (`support_parts.json`): the parts of Socialstyrelsen's support for
applying the LVU, each with a code, Swedish and English names, its section of
the law and a version. The sessions service offers them to work groups (and
adds each municipality's own); reporting names the parts in its tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.events.sessions import ChosenPart

BASE_FILE = Path(__file__).with_name("support_parts.json")
#: Where a part comes from: the regional base, or a municipality's code.
REGIONAL = "region"


@dataclass(frozen=True)
class SupportPart:
    code: str
    name_sv: str
    name_en: str
    version: int
    origin: str = REGIONAL
    lvu: str = ""

    def chosen(self) -> ChosenPart:
        return ChosenPart(
            code=self.code, name_sv=self.name_sv, name_en=self.name_en, version=self.version
        )


@cache
def base_catalogue() -> tuple[SupportPart, ...]:
    """The regional base, in the order of the file."""
    data = json.loads(BASE_FILE.read_text(encoding="utf-8"))
    return tuple(
        SupportPart(
            code=part["code"],
            name_sv=part["name_sv"],
            name_en=part["name_en"],
            version=int(part["version"]),
            lvu=part["lvu"],
        )
        for part in data["parts"]
    )
