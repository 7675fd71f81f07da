"""The statistics of client follow-up, as small pure functions.

Each function cites its formula and source. Measurements (the A-B-C chart,
a client's series) and reporting (RCI classes, mergeable means) use the same
functions, so a figure means the same thing wherever it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

#: |RCI| above this is a reliable change at the 5 % level (Jacobson & Truax 1991, p. 14).
RELIABLE_CHANGE_Z = 1.96


class ChangeClass(StrEnum):
    """A client's change on one measure between two occasions (intake and exit)."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


@dataclass(frozen=True)
class ChangeCriterion:
    """What counts as a real change on one scale.

    Either the scale's psychometrics (`norm_sd` and `reliability`, for the
    RCI) or, for a scale without them, a `minimal_important_change` in raw
    points. `clinical_threshold` is the first score of the clinical range on
    the worse side: with lower_is_better a score ≥ it is clinical, otherwise a
    score ≤ it is.
    """

    lower_is_better: bool
    norm_sd: float | None = None
    reliability: float | None = None
    minimal_important_change: float | None = None
    clinical_threshold: float | None = None

    def __post_init__(self) -> None:
        has_rci = self.norm_sd is not None and self.reliability is not None
        if not has_rci and self.minimal_important_change is None:
            raise ValueError("a change criterion needs norm_sd and reliability, or a MIC")


def standard_error_of_difference(norm_sd: float, reliability: float) -> float:
    """S_diff = √2 · SE, with SE = SD · √(1 − r) (Jacobson & Truax 1991, eq. 2–3).

    The spread of the difference between two scores of one person that
    measurement error alone would produce; SD is the scale's norm standard
    deviation and r its test–retest (or internal) reliability.
    """
    if norm_sd <= 0:
        raise ValueError("the norm SD must be positive")
    if not 0 <= reliability < 1:
        raise ValueError("the reliability must be in [0, 1)")
    return math.sqrt(2) * norm_sd * math.sqrt(1 - reliability)


def reliable_change_index(pre: float, post: float, norm_sd: float, reliability: float) -> float:
    """RCI = (post − pre) / S_diff (Jacobson & Truax 1991, eq. 1).

    Jacobson, N. S. & Truax, P. (1991). Clinical significance: a statistical
    approach to defining meaningful change in psychotherapy research. Journal
    of Consulting and Clinical Psychology, 59(1), 12–19. Positive means the
    score went up; whether that is better depends on the scale's direction.
    """
    return (post - pre) / standard_error_of_difference(norm_sd, reliability)


def is_clinical(score: float, criterion: ChangeCriterion) -> bool:
    """Whether `score` lies in the clinical range given by the criterion's threshold."""
    threshold = criterion.clinical_threshold
    if threshold is None:
        return False
    return score >= threshold if criterion.lower_is_better else score <= threshold


def classify_change(pre: float, post: float, criterion: ChangeCriterion) -> ChangeClass:
    """Improved, unchanged or deteriorated; recovered if improved across the cut-off.

    With psychometrics: reliable change when |RCI| > 1.96 (Jacobson & Truax
    1991). Without: a change of at least the minimal important change. The
    sign of the change and the scale's direction say whether it is an
    improvement. Recovered (J&T's "recovered" = reliably improved and passed
    the cut-off into the functional range): the pre score was clinical and
    the post score is not.
    """
    change = post - pre
    if criterion.norm_sd is not None and criterion.reliability is not None:
        index = reliable_change_index(pre, post, criterion.norm_sd, criterion.reliability)
        reliable = abs(index) > RELIABLE_CHANGE_Z
    else:
        assert criterion.minimal_important_change is not None
        reliable = abs(change) >= criterion.minimal_important_change
    if not reliable or change == 0:
        return ChangeClass.UNCHANGED
    better = change < 0 if criterion.lower_is_better else change > 0
    if not better:
        return ChangeClass.DETERIORATED
    if is_clinical(pre, criterion) and not is_clinical(post, criterion):
        return ChangeClass.RECOVERED
    return ChangeClass.IMPROVED


# --- single-case (A-B-C) series -------------------------------------------------


def phase_mean(values: Sequence[float]) -> float:
    """The arithmetic mean of one phase's points, Σy / n."""
    if not values:
        raise ValueError("a phase needs at least one point")
    return sum(values) / len(values)


def phase_slope(times: Sequence[float], values: Sequence[float]) -> float:
    """The phase's trend: the ordinary least-squares slope of value on time,

    b = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², in value units per week. A phase with one
    point (or all points in the same week) has no trend: 0.
    """
    if len(times) != len(values) or not values:
        raise ValueError("a slope needs as many times as values, at least one")
    mean_x, mean_y = phase_mean(times), phase_mean(values)
    spread = sum((x - mean_x) ** 2 for x in times)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(times, values, strict=True)) / spread


def percentage_of_non_overlapping_data(
    baseline: Sequence[float], treatment: Sequence[float], *, higher_is_better: bool
) -> float:
    """PND: the share (0–1) of treatment points beyond the most extreme baseline point.

    Beyond means in the improving direction: above the highest baseline point
    when higher is better, below the lowest when lower is better; a tie is not
    beyond. Scruggs, T. E., Mastropieri, M. A. & Casto, G. (1987). The
    quantitative synthesis of single-subject research. Remedial and Special
    Education, 8(2), 24–33.
    """
    if not baseline or not treatment:
        raise ValueError("PND needs baseline and treatment points")
    if higher_is_better:
        extreme = max(baseline)
        beyond = sum(1 for y in treatment if y > extreme)
    else:
        extreme = min(baseline)
        beyond = sum(1 for y in treatment if y < extreme)
    return beyond / len(treatment)


def non_overlap_of_all_pairs(
    baseline: Sequence[float], treatment: Sequence[float], *, higher_is_better: bool
) -> float:
    """NAP: over all nA · nB (baseline, treatment) pairs, the share where the
    treatment point is better, ties counting one half:

    NAP = (improving pairs + 0.5 · tied pairs) / (nA · nB).

    Parker, R. I. & Vannest, K. (2009). An improved effect size for
    single-case research: nonoverlap of all pairs. Behavior Therapy, 40(4),
    357–367.
    """
    if not baseline or not treatment:
        raise ValueError("NAP needs baseline and treatment points")
    improving = ties = 0
    for a in baseline:
        for b in treatment:
            if a == b:
                ties += 1
            elif (b > a) == higher_is_better:
                improving += 1
    return (improving + 0.5 * ties) / (len(baseline) * len(treatment))


# --- mergeable moments ----------------------------------------------------------


def mean_from_sums(n: int, total: float) -> float | None:
    """The mean from a count and a sum (None for no observations)."""
    return total / n if n else None


def sd_from_sums(n: int, total: float, total_of_squares: float) -> float | None:
    """The sample standard deviation from n, Σx and Σx² (None below two observations):

    s = √((Σx² − (Σx)²/n) / (n − 1)).

    Counts, sums and sums of squares add up over units, so a municipality's
    or a region's SD is computed from merged sums, never from averaged SDs.
    """
    if n < 2:
        return None
    variance = (total_of_squares - total * total / n) / (n - 1)
    return math.sqrt(max(variance, 0.0))
