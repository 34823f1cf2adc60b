"""Classification of agreements by urusan from their titles, by rules kept as data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksd_contracts.events import AgreementProposed
from ksd_contracts.urusan import urusan
from ksd_mapping import domain
from ksd_mapping.classification import classify_text, normalize, rules

TITLES = json.loads((Path(__file__).parent / "test_mapping_titles.json").read_text())["titles"]


def test_the_title_set_is_large_and_covers_every_urusan() -> None:
    assert len(TITLES) >= 50
    assert {u for t in TITLES for u in t["urusan"]} == set(urusan())
    assert any(not t["urusan"] for t in TITLES)


@pytest.mark.parametrize("case", TITLES, ids=lambda c: c["title"][:40])
def test_a_realistic_title_is_classified_as_a_reader_would(case: dict[str, list[str] | str]) -> None:
    codes, matched = classify_text(str(case["title"]), [])
    assert codes == sorted(case["urusan"])
    assert {m["urusan"] for m in matched} == set(codes)


def test_every_rule_names_a_catalogued_urusan_and_every_urusan_has_rules() -> None:
    assert set(rules().values()) == set(urusan())
    assert all(p == normalize(p) and p for p in rules())


def test_the_examples_of_the_issue() -> None:
    assert classify_text("Pengelolaan sampah", [])[0] == ["2.11"]
    assert classify_text("Penyediaan air minum", [])[0] == ["1.03"]
    assert classify_text("Promosi pariwisata", [])[0] == ["3.26"]


def test_a_phrase_inside_a_longer_one_does_not_count() -> None:
    assert classify_text("Kesehatan hewan", [])[0] == ["3.27"]
    assert classify_text("Pelabuhan perikanan", [])[0] == ["3.25"]
    assert classify_text("Perjalanan dinas", [])[0] == []  # "jalan" is a whole word only


def test_objects_count_as_much_as_the_title() -> None:
    assert classify_text("Kerja sama antar daerah", ["pengelolaan TPA regional", "angkutan sampah"])[0] == [
        "2.11", "2.15"]


def _proposed(title: str, urusan_codes: list[str]) -> domain.Proposal:
    """A proposal as the agreement service publishes it, read as mapping reads it."""
    event = AgreementProposed(
        agreement_id=uuid4(), registry_number="KSD-1", kind="KSDD", mandatory=False, title=title,
        parties=[{"type": "region", "code": "53.71"}, {"type": "region", "code": "53.01"}],
        urusan=urusan_codes, initiated_on=date(2024, 7, 2))
    return domain.Proposal.model_validate(event.model_dump(mode="json"))


def test_submitted_codes_win_over_the_title() -> None:
    result = domain.classify(_proposed("Pengelolaan sampah regional", ["1.03"]))
    assert result is not None and result["urusan"] == ["1.03"] and result["method"] == "submitted"


def test_an_unclassifiable_agreement_is_not_guessed() -> None:
    proposed = _proposed("Peningkatan kapasitas aparatur", [])
    assert domain.classify(proposed) is None
    assert domain.unclassifiable_flag(proposed).rule == "classification.unclassifiable"


@given(case=st.sampled_from(TITLES), upper=st.booleans(), punctuation=st.sampled_from(["", ".", " - ", ", "]))
def test_case_and_punctuation_do_not_change_the_classification(
    case: dict[str, list[str] | str], upper: bool, punctuation: str
) -> None:
    title = str(case["title"])
    varied = (title.upper() if upper else title.lower()).replace(" ", f"{punctuation} " if punctuation else " ", 1)
    assert classify_text(varied, [])[0] == classify_text(title, [])[0]


@given(case=st.sampled_from(TITLES), noise=st.sampled_from(["Kabupaten Kupang", "Tahun 2024", "antar daerah",
                                                             "Nomor 12/PKS/2023", "Provinsi Nusa Tenggara Timur"]))
def test_places_and_numbers_add_no_urusan(case: dict[str, list[str] | str], noise: str) -> None:
    assert classify_text(f"{case['title']} {noise}", [])[0] == sorted(case["urusan"])
