"""A goal's single-case series (A-B-C design, seed 003 step 3), and its statistics.

Points are a goal's ratings during the intervention: one per week, each in
phase A (before), B (during) or C (after). Per phase: mean and trend; between
the baseline A and each later phase: PND and NAP in the scale's improving
direction (shared.statistics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from shared.events.measurements import RatingSubmitted
from shared.scales import Scale
from shared.statistics import (
    non_overlap_of_all_pairs,
    percentage_of_non_overlapping_data,
    phase_mean,
    phase_slope,
)

PHASE_ORDER = ("A", "B", "C")


@dataclass(frozen=True)
class SeriesPoint:
    week: int
    phase: str
    value: int
    rated_on: date


@dataclass(frozen=True)
class PhaseSummary:
    phase: str
    n: int
    mean: float
    slope: float
    first_week: int
    last_week: int


@dataclass(frozen=True)
class PhaseComparison:
    """Non-overlap of a later phase with the baseline (A)."""

    baseline: str
    treatment: str
    pnd: float
    nap: float


@dataclass(frozen=True)
class SingleCaseSeries:
    goal_id: str
    goal_title: str
    scale: Scale
    points: tuple[SeriesPoint, ...]
    phases: tuple[PhaseSummary, ...]
    comparisons: tuple[PhaseComparison, ...]


def build_series(
    goal_id: str, goal_title: str, scale: Scale, ratings: Sequence[RatingSubmitted]
) -> SingleCaseSeries:
    points = tuple(
        sorted(
            (
                SeriesPoint(r.week or 0, r.phase or "", r.value, r.rated_on)
                for r in ratings
                if r.occasion == "during" and r.phase is not None
            ),
            key=lambda p: p.week,
        )
    )
    by_phase = {phase: [p for p in points if p.phase == phase] for phase in PHASE_ORDER}
    phases = tuple(
        PhaseSummary(
            phase=phase,
            n=len(found),
            mean=phase_mean([p.value for p in found]),
            slope=phase_slope([p.week for p in found], [p.value for p in found]),
            first_week=found[0].week,
            last_week=found[-1].week,
        )
        for phase, found in by_phase.items()
        if found
    )
    baseline = [p.value for p in by_phase["A"]]
    higher = not scale.lower_is_better
    comparisons = tuple(
        PhaseComparison(
            baseline="A",
            treatment=phase,
            pnd=percentage_of_non_overlapping_data(
                baseline, [p.value for p in by_phase[phase]], higher_is_better=higher
            ),
            nap=non_overlap_of_all_pairs(
                baseline, [p.value for p in by_phase[phase]], higher_is_better=higher
            ),
        )
        for phase in ("B", "C")
        if baseline and by_phase[phase]
    )
    return SingleCaseSeries(goal_id, goal_title, scale, points, phases, comparisons)
