"""The catalogue of support parts: the regional base as data, and a municipality's own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.sessions.domain.catalogue import MunicipalCatalogue
from services.sessions.domain.checks import NOT_FOR_CLIENTS
from shared.errors import FailedPrecondition, InvalidArgument
from shared.support_parts import REGIONAL, SupportPart, base_catalogue

NOW = datetime(2025, 5, 1, tzinfo=UTC)


def test_the_base_holds_the_support_s_parts_with_both_names_and_a_version() -> None:
    parts = {part.code: part for part in base_catalogue()}
    assert len(parts) == len(base_catalogue()) == 14
    # The two parts seed 000 names.
    assert parts["flyttningsforbud"].name_sv.startswith("Flyttningsförbud")
    assert parts["utreseforbud"].name_sv.startswith("Utreseförbud")
    assert parts["utreseforbud"].lvu == "31 a §, 31 d §"
    assert parts["miljo"].lvu == "2 §" and parts["beteende"].lvu == "3 §"
    for part in parts.values():
        assert part.name_sv and part.name_en and part.version == 1 and part.origin == REGIONAL


def test_a_municipality_adds_a_part_of_its_own_beside_the_base() -> None:
    catalogue = MunicipalCatalogue("1480")
    for new in catalogue.decide_add(
        code="barnahus", name_sv=" Samråd i barnahus ", name_en="Barnahus", by="u", now=NOW
    ):
        catalogue.apply(new.payload)
    assert catalogue.get("barnahus") == SupportPart(
        code="barnahus", name_sv="Samråd i barnahus", name_en="Barnahus", version=1, origin="1480"
    )
    assert [p.code for p in catalogue.parts()][-1] == "barnahus"
    assert len(catalogue.parts()) == 15
    # Another municipality's catalogue does not have it.
    assert MunicipalCatalogue("1402").get("barnahus") is None


def test_a_code_already_in_the_catalogue_is_refused() -> None:
    with pytest.raises(FailedPrecondition) as refused:
        MunicipalCatalogue("1480").decide_add(
            code="utreseforbud", name_sv="x", name_en="x", by="u", now=NOW
        )
    assert refused.value.field == "code"


@pytest.mark.parametrize(
    ("code", "name_sv", "field"),
    [("Barnahus", "Barnahus", "code"), ("b", "Barnahus", "code"), ("barnahus", "", "name_sv")],
)
def test_a_bad_code_or_name_is_refused_naming_the_field(
    code: str, name_sv: str, field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        MunicipalCatalogue("1480").decide_add(
            code=code, name_sv=name_sv, name_en="x", by="u", now=NOW
        )
    assert refused.value.field == field


def test_an_identity_number_in_a_name_is_refused_saying_clients_do_not_belong() -> None:
    with pytest.raises(InvalidArgument) as refused:
        MunicipalCatalogue("1480").decide_add(
            code="egen", name_sv="Ärendet 19121212-1212", name_en="x", by="u", now=NOW
        )
    assert refused.value.field == "name_sv"
    assert refused.value.reason == NOT_FOR_CLIENTS
    assert "client names" in NOT_FOR_CLIENTS and "klientuppgifter" in NOT_FOR_CLIENTS
