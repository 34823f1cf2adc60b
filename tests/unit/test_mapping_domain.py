"""Mapping's rules without I/O: declarations, borders, the wajib check and partner ranking."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from ksd_contracts.events import (
    BORDER_CONFIRMED,
    BORDER_WITHDRAWN,
    MAPPING_EVENT_MODELS,
    NEIGHBOURS_DECLARED,
    URUSAN_CLASSIFIED,
    Submitted,
)
from ksd_mapping import domain

NTT = ["53.01", "53.02", "53.03", "53.71"]


def _declaration(kind: str, region: str, payload: dict[str, Any], by: str | None = None) -> domain.Declaration:
    submitted = Submitted(submission_id=uuid4(), submission_type=kind, role="regency", region=by or region,
                          payload={"region": region, "declared_on": "2025-01-10", **payload})
    read = domain.read_declaration(submitted)
    assert isinstance(read, domain.Declaration), read
    return read


def _rules(reasons: list[domain.Reason]) -> list[str]:
    return [r["rule"] for r in reasons]


@given(st.lists(st.tuples(st.sampled_from(NTT), st.lists(st.sampled_from(NTT), max_size=4)), max_size=12))
def test_a_border_is_confirmed_exactly_when_both_regions_declare_it(declarations: list[tuple[str, list[str]]]) -> None:
    borders = domain.Borders()
    latest: dict[str, set[str]] = {}
    for code, neighbours in declarations:
        others = [n for n in neighbours if n != code]
        was = {n for n in NTT if borders.confirmed(code, n)}
        confirmed, withdrawn = borders.declare(code, others)
        latest[code] = set(others)
        now = {n for n in NTT if borders.confirmed(code, n)}
        assert set(confirmed) == now - was and set(withdrawn) == was - now
    for a in NTT:
        for b in NTT:
            assert borders.confirmed(a, b) == (b in latest.get(a, set()) and a in latest.get(b, set()))


def test_neighbours_declared_by_both_sides_confirm_the_border_once() -> None:
    borders = domain.Borders()
    first = domain.apply(_declaration("region.declare_neighbours", "53.71", {"neighbours": ["53.01"]}), borders)
    assert [t for t, _ in first.events] == [NEIGHBOURS_DECLARED] and first.events[0][1]["confirmed"] == []
    second = domain.apply(_declaration("region.declare_neighbours", "53.01", {"neighbours": ["53.71", "53.02"]}),
                          borders)
    assert [t for t, _ in second.events] == [NEIGHBOURS_DECLARED, BORDER_CONFIRMED]
    assert second.events[1][1]["regions"] == ["53.01", "53.71"]
    again = domain.apply(_declaration("region.declare_neighbours", "53.01", {"neighbours": ["53.02"]}), borders)
    assert [t for t, _ in again.events] == [NEIGHBOURS_DECLARED, BORDER_WITHDRAWN]


def test_a_region_declares_only_for_itself_and_never_back_in_time() -> None:
    other = _declaration("region.declare_cooperable_affairs", "53.71", {"offers": ["2.11"]}, by="53.01")
    assert _rules(domain.check(other, None)) == ["region.not_own"]
    own = _declaration("region.declare_cooperable_affairs", "53.71", {"offers": ["2.11"]})
    assert domain.check(own, date(2025, 1, 10)) == []
    assert _rules(domain.check(own, date(2025, 2, 1))) == ["declaration.outdated"]


def test_a_tkksd_decree_needs_its_chair_and_a_date_not_after_the_declaration() -> None:
    decree = _declaration("region.record_tkksd", "64.02", {
        "decree_number": "139/SK-BUP/HK/2024", "decree_date": "2025-03-01",
        "members": [{"name": "Sunggono", "position": "Sekretaris Daerah", "role": "anggota"}]})
    assert _rules(domain.check(decree, None)) == ["tkksd.decree_after_declaration", "tkksd.without_chair"]


def test_borders_join_regions_of_one_level() -> None:
    mixed = _declaration("region.declare_neighbours", "53.71", {"neighbours": ["53.01", "52"]})
    assert _rules(domain.check(mixed, None)) == ["neighbours.different_level"]
    provinces = _declaration("region.declare_neighbours", "53", {"neighbours": ["52"]})
    assert domain.check(provinces, None) == []


def test_an_invalid_payload_is_answered_with_the_field() -> None:
    submitted = Submitted(submission_id=uuid4(), submission_type="region.declare_neighbours", role="regency",
                          region="53.71", payload={"region": "53.71", "declared_on": "2025-01-10", "neighbours": []})
    reasons = domain.read_declaration(submitted)
    assert isinstance(reasons, list) and _rules(reasons) == ["payload.invalid"] and "neighbours" in reasons[0]["detail"]


def test_a_wajib_ksdd_needs_confirmed_borders_or_a_province_and_its_region() -> None:
    borders = domain.Borders({("53.71", "53.01")})
    flag = domain.wajib_flag(["53.71", "53.01"], borders)
    assert flag is not None and flag.rule == "ksdd.wajib_without_confirmed_border" and "53.01" in flag.detail
    borders.declare("53.01", ["53.71"])
    assert domain.wajib_flag(["53.71", "53.01"], borders) is None
    assert domain.wajib_flag(["53", "53.02"], domain.Borders()) is None
    chain = domain.wajib_flag(["53.71", "53.01", "53.03"], borders)
    assert chain is not None and chain.detail.startswith("KSDD wajib: 53.03")
    assert chain.detail_en is not None and chain.detail_en.startswith("wajib KSDD: 53.03")


def test_a_party_that_mapped_its_affairs_is_flagged_for_an_affair_outside_them() -> None:
    flags = domain.outside_mapping_flags(["3.26"], {"53.71": {"2.11"}, "53.01": set(), "53.02": {"3.26"}})
    assert [f.rule for f in flags] == ["urusan.outside_mapping"] and flags[0].detail.startswith("53.71")


CANDIDATES = st.builds(
    domain.Candidate,
    code=st.sampled_from(["53.01", "53.02", "53.03", "53", "52.71", "35.76", "64.02", "91"]),
    offers=st.frozensets(st.sampled_from(["2.11", "1.03", "3.26"]), min_size=1),
    potentials=st.dictionaries(st.sampled_from(["2.11", "1.03", "3.26"]), st.integers(0, 5)),
    neighbour=st.booleans(),
)


@given(st.lists(CANDIDATES, max_size=8, unique_by=lambda c: c.code), st.sets(st.sampled_from(["2.11", "1.03"]),
                                                                          min_size=1))
def test_neighbours_rank_first_the_same_province_next_then_by_what_they_offer(
    candidates: list[domain.Candidate], wanted: set[str]
) -> None:
    me = domain.region_of("53.71")
    ranked = domain.rank(me, sorted(wanted), candidates)
    assert {r.region.code for r in ranked} == {c.code for c in candidates if c.offers & wanted}
    tiers = [r.tier for r in ranked]
    assert tiers == sorted(tiers)
    for r in ranked:
        c = next(c for c in candidates if c.code == r.region.code)
        shown = domain.suggestion(me, r, domain.NOTHING_SHARED)
        assert shown["tier"] == ("confirmed neighbour" if c.neighbour else
                                 "same province" if r.region.province_code == "53" else "elsewhere")
        assert shown["urusan"] == sorted(wanted & c.offers) and shown["reasons"]
    for a, b in pairwise(ranked):
        if a.tier == b.tier:
            assert (len(a.matched), a.potentials) >= (len(b.matched), b.potentials)


def test_every_event_mapping_emits_reads_as_its_contract_model() -> None:
    borders = domain.Borders({("53.01", "53.71")})
    declarations = [
        _declaration("region.record_tkksd", "53.71", {
            "decree_number": "12/2024", "decree_date": "2024-01-05",
            "members": [{"name": "Fahrensy Funay", "position": "Sekretaris Daerah", "role": "ketua"}]}),
        _declaration("region.declare_potential", "53.71", {"potentials": [
            {"urusan": "3.26", "title": "Pantai Lasiana", "description": "Wisata pantai"}]}),
        _declaration("region.declare_cooperable_affairs", "53.71", {"offers": ["3.26"], "needs": ["2.11"]}),
        _declaration("region.declare_neighbours", "53.71", {"neighbours": ["53.01"]}),
    ]
    emitted = [event for d in declarations for event in domain.apply(d, borders).events]
    assert BORDER_CONFIRMED in [t for t, _ in emitted]
    for event_type, data in emitted:
        MAPPING_EVENT_MODELS[event_type].model_validate(data)
    MAPPING_EVENT_MODELS[URUSAN_CLASSIFIED].model_validate(
        {"agreement_id": str(uuid4()), "urusan": ["2.11"], "method": "rules",
         "matched": [{"phrase": "sampah", "urusan": "2.11"}]})
