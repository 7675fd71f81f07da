"""Mergeable aggregates: unit → municipality → region → nation is addition.

A read model keeps, per figure, only additive statistics: counts, the number
of observations with their sum and sum of squares (`Moments`), and counts per
class. Adding those across municipalities gives the region's, and across
regions the nation's, exactly as if the figures had been computed from all
the observations at once, and without any individual's data leaving its
municipality (ARCHITECTURE.md, "Mergeable aggregates"). Means and standard
deviations are computed from the merged sums, never averaged.

Everything is exact: sums are Fractions, so a merge in any order gives the
same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.reporting import Aggregate, MomentSums
from shared.municipalities import region_of, validate_region_code

#: Decimals kept in a standard deviation (the one figure that is irrational).
SD_PLACES: Final = 6


class Moments(BaseModel):
    """n observations summarised by Σx and Σx²: enough for mean and variance, and additive."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(default=0, ge=0)
    total: Fraction = Fraction(0)
    sum_of_squares: Fraction = Fraction(0)

    @model_validator(mode="after")
    def _consistent(self) -> Moments:
        if self.n == 0 and (self.total != 0 or self.sum_of_squares != 0):
            raise ValueError("no observations cannot have a non-zero sum")
        # Cauchy–Schwarz: (Σx)² ≤ n·Σx², so the variance is never negative.
        if self.total * self.total > self.n * self.sum_of_squares:
            raise ValueError("sum of squares too small for the sum: (Σx)² > n·Σx²")
        return self

    @classmethod
    def of(cls, values: Iterable[int | Fraction]) -> Moments:
        items = [Fraction(v) for v in values]
        return cls(
            n=len(items),
            total=sum(items, Fraction(0)),
            sum_of_squares=sum((v * v for v in items), Fraction(0)),
        )

    def merged(self, other: Moments) -> Moments:
        return Moments(
            n=self.n + other.n,
            total=self.total + other.total,
            sum_of_squares=self.sum_of_squares + other.sum_of_squares,
        )

    def mean(self) -> Fraction | None:
        """x̄ = Σx / n; None for no observations."""
        return self.total / self.n if self.n else None

    def variance(self) -> Fraction | None:
        """The sample variance from the merged sums, exactly:

            s² = (Σx² − (Σx)² / n) / (n − 1)

        the usual unbiased estimator, rewritten so it needs only n, Σx and Σx²
        (Σ(x − x̄)² = Σx² − (Σx)²/n). None for fewer than two observations.
        """
        if self.n < 2:
            return None
        return (self.sum_of_squares - self.total * self.total / self.n) / (self.n - 1)

    def standard_deviation(self) -> Fraction | None:
        """s = √s², rounded half-even to SD_PLACES decimals (the square root is
        computed in decimal arithmetic with ample precision, so the result is
        the same on every machine). None for fewer than two observations."""
        variance = self.variance()
        if variance is None:
            return None
        context = Context(prec=40)
        root = context.sqrt(
            context.divide(Decimal(variance.numerator), Decimal(variance.denominator))
        )
        return Fraction(root.quantize(Decimal(1).scaleb(-SD_PLACES), rounding=ROUND_HALF_EVEN))


class MergeableAggregate(BaseModel):
    """A scope's figures as additive statistics, keyed by figure name.

    `counts` are plain counts ("clients", "sessions.held_on_time"),
    `moments` observations of a measure ("audit.intake"), `class_counts`
    counts per class ("audit.rci" → {"improved": 12, …}). Keys are chosen by
    the projections; a merge adds what has the same key.
    """

    model_config = ConfigDict(frozen=True)

    counts: dict[str, int] = Field(default_factory=dict)
    moments: dict[str, Moments] = Field(default_factory=dict)
    class_counts: dict[str, dict[str, int]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _non_negative(self) -> MergeableAggregate:
        negative = [k for k, v in self.counts.items() if v < 0] + [
            f"{k}.{c}"
            for k, classes in self.class_counts.items()
            for c, v in classes.items()
            if v < 0
        ]
        if negative:
            raise ValueError(f"counts cannot be negative: {', '.join(sorted(negative))}")
        return self

    def merged(self, other: MergeableAggregate) -> MergeableAggregate:
        return merge([self, other])


def merge(aggregates: Iterable[MergeableAggregate]) -> MergeableAggregate:
    """The sum of several scopes' aggregates, key by key (empty for none)."""
    counts: dict[str, int] = {}
    moments: dict[str, Moments] = {}
    classes: dict[str, dict[str, int]] = {}
    for aggregate in aggregates:
        for key, count in aggregate.counts.items():
            counts[key] = counts.get(key, 0) + count
        for key, m in aggregate.moments.items():
            moments[key] = moments[key].merged(m) if key in moments else m
        for key, per_class in aggregate.class_counts.items():
            merged = classes.setdefault(key, {})
            for name, count in per_class.items():
                merged[name] = merged.get(name, 0) + count
    return MergeableAggregate(counts=counts, moments=moments, class_counts=classes)


def merge_region(
    region: str, municipalities: Mapping[str, MergeableAggregate]
) -> MergeableAggregate:
    """A region's aggregate from its member municipalities' (keyed by municipality code).

    Refuses a municipality of another län, so a misrouted figure never lands
    in the wrong region. A mapping cannot hold a municipality twice, so none
    is counted twice.
    """
    validate_region_code(region, "region")
    strangers = sorted(code for code in municipalities if region_of(code) != region)
    if strangers:
        raise ValueError(f"not in län {region}: {', '.join(strangers)}")
    return merge(municipalities[code] for code in sorted(municipalities))


def merge_nation(regions: Mapping[str, MergeableAggregate]) -> MergeableAggregate:
    """The nation's aggregate from the regions' (keyed by län code)."""
    for code in regions:
        validate_region_code(code, "region")
    return merge(regions[code] for code in sorted(regions))


# --- the event form -------------------------------------------------------------


def to_event(aggregate: MergeableAggregate) -> Aggregate:
    """The aggregate as `ReportCompiled` carries it: sums as exact "n/d" strings, keys sorted."""
    return Aggregate(
        counts={key: aggregate.counts[key] for key in sorted(aggregate.counts)},
        moments={
            key: MomentSums(n=m.n, total=str(m.total), sum_of_squares=str(m.sum_of_squares))
            for key, m in sorted(aggregate.moments.items())
        },
        class_counts={
            key: {name: classes[name] for name in sorted(classes)}
            for key, classes in sorted(aggregate.class_counts.items())
        },
    )


def from_event(aggregate: Aggregate) -> MergeableAggregate:
    """The aggregate of a `ReportCompiled` event, exactly as it was compiled.

    ValueError for a sum that is not an exact rational ("7", "-3/2"): a float's
    text ("1.5") is refused too, so nothing inexact enters a merge.
    """
    return MergeableAggregate(
        counts=dict(aggregate.counts),
        moments={
            key: Moments(
                n=m.n,
                total=_exact(m.total, f"{key}.total"),
                sum_of_squares=_exact(m.sum_of_squares, f"{key}.sum_of_squares"),
            )
            for key, m in aggregate.moments.items()
        },
        class_counts={key: dict(classes) for key, classes in aggregate.class_counts.items()},
    )


_RATIONAL: Final = re.compile(r"-?[0-9]+(/[0-9]+)?")


def _exact(text: str, what: str) -> Fraction:
    if not _RATIONAL.fullmatch(text):
        raise ValueError(f'{what}: {text!r} is not an exact rational ("n" or "n/d")')
    _, _, denominator = text.partition("/")
    if denominator and int(denominator) == 0:
        raise ValueError(f"{what}: {text!r} divides by zero")
    value = Fraction(text)
    if str(value) != text:
        raise ValueError(f"{what}: {text!r} is not in lowest terms")
    return value
