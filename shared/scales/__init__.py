"""The catalogue of rating scales, as data.

A scale is one JSON file, `<scale_id>.v<version>.json`: its items and range,
its direction (higher or lower is better), its clinical threshold and zones,
and what counts as a real change on it: the norm SD and reliability for the
Reliable Change Index, or a minimal important change where the scale has no
published psychometrics. Every constant that enters a computation names its
source in the file.

The built-in scales live beside this module (`builtin/`); a region adds its
own by dropping files into the directory `ARSHJUL_SCALES_DIR` names. A scale
is immutable per (id, version): ratings name the version they were made on,
so a change is a new version, and a file that redefines an existing version
differently is refused when the catalogue loads. The measurements and the
reporting services read the same catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import InvalidArgument
from shared.statistics import ChangeCriterion

BUILTIN_DIR = Path(__file__).parent / "builtin"
SCALE_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"


class ScaleCatalogueError(ValueError):
    """A scale file is unreadable, invalid, or contradicts an existing version."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScaleItem(_Frozen):
    item_id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    text_sv: str
    text_en: str
    min: int
    max: int
    #: The only values the item takes, if not every integer in [min, max] (AUDIT 9–10: 0, 2, 4).
    allowed: tuple[int, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> ScaleItem:
        if self.min > self.max:
            raise ValueError(f"item {self.item_id}: min above max")
        if self.allowed is not None and any(not self.min <= v <= self.max for v in self.allowed):
            raise ValueError(f"item {self.item_id}: an allowed value lies outside min–max")
        return self

    def accepts(self, value: int) -> bool:
        if self.allowed is not None:
            return value in self.allowed
        return self.min <= value <= self.max


class Zone(_Frozen):
    min: int
    max: int
    label_sv: str
    label_en: str


class Scale(_Frozen):
    """One version of one scale (see the module docstring)."""

    scale_id: str = Field(pattern=SCALE_ID_PATTERN)
    version: int = Field(ge=1)
    #: "score": rated as a total (ratings); "survey": answered item by item (client surveys).
    kind: Literal["score", "survey"]
    name_sv: str
    name_en: str
    description_sv: str = ""
    description_en: str = ""
    items: tuple[ScaleItem, ...] = ()
    min: int
    max: int
    direction: Literal["higher_is_better", "lower_is_better"]
    #: First score of the clinical range on the worse side (see ChangeCriterion).
    clinical_threshold: int | None = None
    clinical_threshold_source: str | None = None
    norm_sd: float | None = Field(default=None, gt=0)
    reliability: float | None = Field(default=None, ge=0, lt=1)
    psychometrics_source: str | None = None
    minimal_important_change: float | None = Field(default=None, gt=0)
    minimal_important_change_source: str | None = None
    #: Names of constants above that have not been checked against their source.
    unverified: tuple[str, ...] = ()
    zones: tuple[Zone, ...] = ()
    source: str

    @model_validator(mode="after")
    def _check(self) -> Scale:
        if self.min > self.max:
            raise ValueError("min above max")
        ids = [item.item_id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("item ids repeat")
        if self.kind == "score":
            if self.items and (
                sum(i.min for i in self.items) != self.min
                or sum(i.max for i in self.items) != self.max
            ):
                raise ValueError("a score scale's range must be the sum of its items' ranges")
            has_rci = self.norm_sd is not None and self.reliability is not None
            if has_rci and not self.psychometrics_source:
                raise ValueError("norm_sd and reliability need a psychometrics_source")
            if not has_rci and self.minimal_important_change is None:
                raise ValueError("a score scale needs norm_sd and reliability, or a MIC")
            if self.minimal_important_change is not None and not (
                self.minimal_important_change_source
            ):
                raise ValueError("a minimal_important_change needs its source")
        elif not self.items:
            raise ValueError("a survey needs items")
        if self.clinical_threshold is not None:
            if not self.min <= self.clinical_threshold <= self.max:
                raise ValueError("the clinical threshold lies outside the range")
            if not self.clinical_threshold_source:
                raise ValueError("a clinical threshold needs its source")
        if self.zones:
            bounds = sorted((z.min, z.max) for z in self.zones)
            if bounds[0][0] != self.min or bounds[-1][1] != self.max:
                raise ValueError("zones must cover the range from min to max")
            for (_, high), (low, _) in pairwise(bounds):
                if low != high + 1:
                    raise ValueError("zones must follow each other without gap or overlap")
        for name in self.unverified:
            if name not in type(self).model_fields:
                raise ValueError(f"unverified names an unknown field {name!r}")
        return self

    @property
    def key(self) -> tuple[str, int]:
        return self.scale_id, self.version

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower_is_better"

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_sv

    def item(self, item_id: str) -> ScaleItem | None:
        return next((i for i in self.items if i.item_id == item_id), None)

    def criterion(self) -> ChangeCriterion:
        """What counts as a real change on this scale (score scales only)."""
        return ChangeCriterion(
            lower_is_better=self.lower_is_better,
            norm_sd=self.norm_sd,
            reliability=self.reliability,
            minimal_important_change=self.minimal_important_change,
            clinical_threshold=self.clinical_threshold,
        )

    def zone_of(self, value: int) -> Zone | None:
        return next((z for z in self.zones if z.min <= value <= z.max), None)

    def check_value(self, value: int, field: str) -> None:
        """InvalidArgument naming `field` unless `value` lies in the scale's range."""
        if not self.min <= value <= self.max:
            raise InvalidArgument(
                f"{value} is outside {self.scale_id} v{self.version}'s range {self.min}–{self.max}",
                field=field,
            )

    def check_items(self, answers: Mapping[str, int], field: str) -> None:
        """Every answer names one of the scale's items and is a value that item takes."""
        for item_id, value in answers.items():
            item = self.item(item_id)
            if item is None:
                known = ", ".join(i.item_id for i in self.items)
                raise InvalidArgument(
                    f"{self.scale_id} has no item {item_id!r} (items: {known})",
                    field=f"{field}.{item_id}",
                )
            if not item.accepts(value):
                takes = (
                    ", ".join(map(str, item.allowed))
                    if item.allowed is not None
                    else f"{item.min}–{item.max}"
                )
                raise InvalidArgument(
                    f"{value} is not a value of {self.scale_id} item {item_id} ({takes})",
                    field=f"{field}.{item_id}",
                )

    def score(self, answers: Mapping[str, int], field: str) -> int:
        """The total of a complete set of item answers (score scales)."""
        self.check_items(answers, field)
        missing = [i.item_id for i in self.items if i.item_id not in answers]
        if missing:
            raise InvalidArgument(
                f"the total of {self.scale_id} needs every item; missing: {', '.join(missing)}",
                field=field,
            )
        return sum(answers.values())


class ScaleCatalogue:
    """Every known (scale id, version), with lookups that speak the user's language."""

    def __init__(self, scales: Iterable[Scale]) -> None:
        self._scales: dict[tuple[str, int], Scale] = {}
        for scale in scales:
            self._scales[scale.key] = scale
        self._latest: dict[str, int] = {}
        for scale_id, version in self._scales:
            self._latest[scale_id] = max(version, self._latest.get(scale_id, 0))

    def __len__(self) -> int:
        return len(self._scales)

    def all(self) -> list[Scale]:
        return [self._scales[key] for key in sorted(self._scales)]

    def find(self, scale_id: str, version: int) -> Scale | None:
        return self._scales.get((scale_id, version))

    def latest_version(self, scale_id: str) -> int | None:
        return self._latest.get(scale_id)

    def get(self, scale_id: str, version: int | None, field: str) -> Scale:
        """The scale (its newest version when `version` is None or 0), or InvalidArgument."""
        if not version:
            latest = self.latest_version(scale_id)
            if latest is None:
                known = ", ".join(sorted({s for s, _ in self._scales}))
                raise InvalidArgument(f"no scale {scale_id!r} (known: {known})", field=field)
            version = latest
        found = self.find(scale_id, version)
        if found is None:
            raise InvalidArgument(f"no scale {scale_id!r} version {version}", field=field)
        return found


def read_scale_file(path: Path) -> Scale:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        scale = Scale.model_validate(raw)
    except (OSError, json.JSONDecodeError, ValidationError) as error:
        raise ScaleCatalogueError(f"{path}: {error}") from error
    expected = f"{scale.scale_id}.v{scale.version}.json"
    if path.name != expected:
        raise ScaleCatalogueError(f"{path}: a file for this scale must be named {expected}")
    return scale


def load_catalogue(extra_dir: Path | None = None) -> ScaleCatalogue:
    """The built-in scales plus every `*.json` in `extra_dir`.

    A file may repeat a known (id, version) only with identical content:
    a scale version is immutable once ratings may refer to it.
    """
    scales: dict[tuple[str, int], Scale] = {}
    paths = sorted(BUILTIN_DIR.glob("*.json"))
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise ScaleCatalogueError(f"ARSHJUL_SCALES_DIR {extra_dir} is not a directory")
        paths += sorted(extra_dir.glob("*.json"))
    for path in paths:
        scale = read_scale_file(path)
        known = scales.get(scale.key)
        if known is not None and known != scale:
            raise ScaleCatalogueError(
                f"{path}: {scale.scale_id} version {scale.version} is already defined "
                "differently; a scale version never changes, add a new version instead"
            )
        scales[scale.key] = scale
    return ScaleCatalogue(scales.values())


@lru_cache(maxsize=8)
def catalogue(extra_dir: Path | None = None) -> ScaleCatalogue:
    """The catalogue for a settings' `scales_dir`, loaded once per process."""
    return load_catalogue(extra_dir)
