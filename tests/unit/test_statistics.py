"""The follow-up statistics against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from shared.statistics import (
    ChangeClass,
    ChangeCriterion,
    classify_change,
    mean_from_sums,
    non_overlap_of_all_pairs,
    percentage_of_non_overlapping_data,
    phase_mean,
    phase_slope,
    reliable_change_index,
    sd_from_sums,
    standard_error_of_difference,
)

# A scale like AUDIT: lower is better, clinical from 8, SD 5 and r 0.84, so
# S_diff = √2 · 5 · √0.16 = √2 · 5 · 0.4 = 2√2 ≈ 2.828 and a reliable change
# needs |post − pre| > 1.96 · 2√2 ≈ 5.54 points.
AUDIT_LIKE = ChangeCriterion(
    lower_is_better=True, norm_sd=5.0, reliability=0.84, clinical_threshold=8
)
# A life-situation sum: higher is better, no psychometrics, a MIC of 3 points.
LIFE_LIKE = ChangeCriterion(lower_is_better=False, minimal_important_change=3)


def test_standard_error_of_difference_is_root_two_sd_root_one_minus_r() -> None:
    assert standard_error_of_difference(5.0, 0.84) == pytest.approx(2 * math.sqrt(2), rel=1e-12)


def test_rci_divides_the_change_by_the_standard_error_of_difference() -> None:
    # (12 − 20) / 2√2 = −8 / 2.828… = −2√2
    assert reliable_change_index(20, 12, 5.0, 0.84) == pytest.approx(-2 * math.sqrt(2), rel=1e-12)
    assert reliable_change_index(7, 7, 5.0, 0.84) == 0


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (20, 12, ChangeClass.IMPROVED),  # −8 points: RCI −2.83, still clinical (≥ 8)
        (10, 4, ChangeClass.RECOVERED),  # −6: RCI −2.12, from clinical 10 to 4 (< 8)
        (13, 7, ChangeClass.RECOVERED),  # −6 and across the cut-off
        (10, 5, ChangeClass.UNCHANGED),  # −5: RCI −1.77, not reliable
        (4, 10, ChangeClass.DETERIORATED),  # +6: RCI +2.12, worse on a lower-is-better scale
        (6, 0, ChangeClass.IMPROVED),  # −6 but never clinical: improved, not recovered
    ],
)
def test_rci_classes_on_a_lower_is_better_scale(pre: int, post: int, expected: ChangeClass) -> None:
    assert classify_change(pre, post, AUDIT_LIKE) is expected


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (12, 15, ChangeClass.IMPROVED),  # +3 = the MIC
        (12, 14, ChangeClass.UNCHANGED),  # +2 < MIC
        (20, 17, ChangeClass.DETERIORATED),  # −3 on a higher-is-better scale
        (20, 20, ChangeClass.UNCHANGED),
    ],
)
def test_minimal_important_change_without_psychometrics(
    pre: int, post: int, expected: ChangeClass
) -> None:
    assert classify_change(pre, post, LIFE_LIKE) is expected


def test_recovery_on_a_higher_is_better_scale_crosses_up_from_the_threshold() -> None:
    # Clinical at or below 10; SD 4, r 0.75: S_diff = √2 · 4 · 0.5 = 2√2, reliable beyond 5.54.
    criterion = ChangeCriterion(
        lower_is_better=False, norm_sd=4.0, reliability=0.75, clinical_threshold=10
    )
    assert classify_change(8, 14, criterion) is ChangeClass.RECOVERED
    assert classify_change(2, 8, criterion) is ChangeClass.IMPROVED


def test_a_criterion_needs_psychometrics_or_a_mic() -> None:
    with pytest.raises(ValueError):
        ChangeCriterion(lower_is_better=True, norm_sd=5.0)


def test_phase_mean_and_slope() -> None:
    assert phase_mean([2, 3, 2]) == 7 / 3
    # weeks 1, 2, 3 with values 2, 4, 6: two more per week.
    assert phase_slope([1, 2, 3], [2, 4, 6]) == 2
    # weeks 10, 11, 12, 13 with 3, 1, 4, 4: x̄ = 11.5, ȳ = 3,
    # Σ(x−x̄)(y−ȳ) = (−1.5)(0) + (−0.5)(−2) + (0.5)(1) + (1.5)(1) = 3, Σ(x−x̄)² = 5.
    assert phase_slope([10, 11, 12, 13], [3, 1, 4, 4]) == pytest.approx(3 / 5, rel=1e-12)
    assert phase_slope([14], [5]) == 0


def test_pnd_counts_treatment_points_beyond_the_best_baseline_point() -> None:
    baseline, treatment = [2, 3, 2], [4, 3, 5, 6]
    # Higher is better: beyond 3 are 4, 5 and 6 (the tie at 3 is not): 3 of 4.
    assert percentage_of_non_overlapping_data(baseline, treatment, higher_is_better=True) == 3 / 4
    # Lower is better: below the lowest baseline point 2: none.
    assert percentage_of_non_overlapping_data(baseline, treatment, higher_is_better=False) == 0


def test_nap_counts_improving_pairs_and_half_the_ties() -> None:
    baseline, treatment = [2, 3, 2], [4, 3, 5, 6]
    # 12 pairs: each 2 is below all four (8); 3 is below 4, 5, 6 (3) and ties 3 (0.5).
    assert non_overlap_of_all_pairs(baseline, treatment, higher_is_better=True) == 11.5 / 12
    # Lower is better: no improving pair, one tie.
    assert non_overlap_of_all_pairs(baseline, treatment, higher_is_better=False) == 0.5 / 12


def test_moments_from_sums_give_the_mean_and_sample_sd() -> None:
    values = [2, 4, 4, 4, 5, 5, 7, 9]
    n, total, squares = len(values), sum(values), sum(v * v for v in values)
    assert (n, total, squares) == (8, 40, 232)
    assert mean_from_sums(n, total) == 5
    # (232 − 40²/8) / 7 = 32 / 7
    assert sd_from_sums(n, total, squares) == pytest.approx(math.sqrt(32 / 7), rel=1e-12)
    assert sd_from_sums(1, 5, 25) is None
    assert mean_from_sums(0, 0) is None
