"""Mergeable aggregates: municipalities add up to a region, regions to the nation, by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from services.reporting.domain.compiled import canonical_json
from services.reporting.domain.merge import (
    MergeableAggregate,
    Moments,
    merge,
    merge_nation,
    merge_region,
)
from shared.errors import InvalidArgument

# AUDIT at intake in two municipalities of Västra Götaland (14) and one of Skåne (12):
GOTEBORG = [2, 4, 4]  # 1480
PARTILLE = [4, 5, 5, 7, 9]  # 1402
MALMO = [10, 20]  # 1280


def test_moments_of_a_list_by_hand() -> None:
    # 2, 4, 4, 4, 5, 5, 7, 9: n = 8, Σx = 40, Σx² = 4 + 3·16 + 2·25 + 49 + 81 = 232.
    m = Moments.of([*GOTEBORG, *PARTILLE])
    assert m == Moments(n=8, total=Fraction(40), sum_of_squares=Fraction(232))
    assert m.mean() == 5
    # s² = (232 − 40²/8) / 7 = (232 − 200) / 7 = 32/7.
    assert m.variance() == Fraction(32, 7)
    # √(32/7) = 2.13808993529…, six decimals: 2.138090.
    assert m.standard_deviation() == Fraction("2.138090")


def test_merged_sums_give_the_same_mean_and_sd_as_all_observations() -> None:
    goteborg, partille = Moments.of(GOTEBORG), Moments.of(PARTILLE)
    # Göteborg: n 3, Σ 10, Σ² 36. Partille: n 5, Σ 30, Σ² 16 + 50 + 49 + 81 = 196.
    assert goteborg == Moments(n=3, total=Fraction(10), sum_of_squares=Fraction(36))
    assert partille == Moments(n=5, total=Fraction(30), sum_of_squares=Fraction(196))
    merged = goteborg.merged(partille)
    assert merged == Moments(n=8, total=40, sum_of_squares=232)
    assert merged.mean() == 5
    # Not the mean of the means, (10/3 + 6) / 2 = 14/3.
    assert goteborg.mean() == Fraction(10, 3)
    assert partille.mean() == 6


def test_fewer_than_two_observations_have_no_variance() -> None:
    assert Moments().mean() is None
    assert Moments().variance() is None
    one = Moments.of([7])
    assert one.mean() == 7
    assert one.variance() is None
    assert one.standard_deviation() is None
    # Two equal values: s = 0.
    assert Moments.of([3, 3]).standard_deviation() == 0


def test_half_points_stay_exact() -> None:
    m = Moments.of([Fraction(1, 2), Fraction(3, 2)])
    assert m == Moments(n=2, total=2, sum_of_squares=Fraction(5, 2))
    # s² = (5/2 − 4/2) / 1 = 1/2; √0.5 = 0.70710678…
    assert m.variance() == Fraction(1, 2)
    assert m.standard_deviation() == Fraction("0.707107")


def test_impossible_moments_are_refused() -> None:
    with pytest.raises(ValidationError, match="no observations"):
        Moments(n=0, total=3, sum_of_squares=9)
    # Σx = 10 from 2 observations needs Σx² ≥ 50.
    with pytest.raises(ValidationError, match="sum of squares"):
        Moments(n=2, total=10, sum_of_squares=49)
    with pytest.raises(ValidationError):
        Moments(n=-1)


def aggregate(values: list[int], clients: int, rci: dict[str, int]) -> MergeableAggregate:
    return MergeableAggregate(
        counts={"clients": clients},
        moments={"audit.intake": Moments.of(values)},
        class_counts={"audit.rci": rci},
    )


def test_a_region_merges_its_municipalities() -> None:
    goteborg = aggregate(GOTEBORG, 12, {"improved": 5, "unchanged": 6, "deteriorated": 1})
    partille = aggregate(PARTILLE, 7, {"improved": 2, "recovered": 3, "unchanged": 2})
    region = merge_region("14", {"1480": goteborg, "1402": partille})
    assert region.counts == {"clients": 19}
    assert region.moments == {"audit.intake": Moments(n=8, total=40, sum_of_squares=232)}
    assert region.class_counts == {
        "audit.rci": {"improved": 7, "unchanged": 8, "deteriorated": 1, "recovered": 3}
    }


def test_the_nation_merges_regions_and_gets_what_all_municipalities_give() -> None:
    goteborg = aggregate(GOTEBORG, 12, {"improved": 5})
    partille = aggregate(PARTILLE, 7, {"improved": 2})
    malmo = aggregate(MALMO, 4, {"improved": 1, "recovered": 1})
    vastra_gotaland = merge_region("14", {"1480": goteborg, "1402": partille})
    skane = merge_region("12", {"1280": malmo})
    nation = merge_nation({"14": vastra_gotaland, "12": skane})
    # 2, 4, 4, 4, 5, 5, 7, 9, 10, 20: n 10, Σ 70, Σ² 232 + 100 + 400 = 732.
    assert nation.moments["audit.intake"] == Moments(n=10, total=70, sum_of_squares=732)
    assert nation.moments["audit.intake"].mean() == 7
    # s² = (732 − 4900/10) / 9 = 242/9; s = 5.18544973… → 5.185450.
    assert nation.moments["audit.intake"].variance() == Fraction(242, 9)
    assert nation.moments["audit.intake"].standard_deviation() == Fraction("5.185450")
    assert nation.counts == {"clients": 23}
    assert nation.class_counts == {"audit.rci": {"improved": 8, "recovered": 1}}
    assert nation == merge([goteborg, partille, malmo])


def test_merging_in_any_order_gives_the_same_bytes() -> None:
    a = aggregate(GOTEBORG, 12, {"improved": 5, "unchanged": 1})
    b = aggregate(PARTILLE, 7, {"recovered": 3})
    assert canonical_json(merge([a, b])) == canonical_json(merge([b, a]))
    assert a.merged(b) == merge([a, b])
    assert merge([]) == MergeableAggregate()


def test_an_aggregate_travels_as_json_and_back() -> None:
    region = merge_region("14", {"1480": aggregate(GOTEBORG, 12, {"improved": 5})})
    raw = canonical_json(region)
    assert raw == (
        b'{"class_counts":{"audit.rci":{"improved":5}},"counts":{"clients":12},'
        b'"moments":{"audit.intake":{"n":3,"sum_of_squares":"36","total":"10"}}}'
    )
    assert MergeableAggregate.model_validate_json(raw) == region


def test_a_municipality_of_another_region_is_refused() -> None:
    malmo = aggregate(MALMO, 4, {})
    with pytest.raises(ValueError, match="not in län 14: 1280"):
        merge_region("14", {"1480": aggregate(GOTEBORG, 1, {}), "1280": malmo})
    with pytest.raises(InvalidArgument):
        merge_region("99", {})
    with pytest.raises(InvalidArgument):
        merge_nation({"2": malmo})


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValidationError, match="clients"):
        MergeableAggregate(counts={"clients": -1})
    with pytest.raises(ValidationError, match=r"audit\.rci\.improved"):
        MergeableAggregate(class_counts={"audit.rci": {"improved": -2}})
