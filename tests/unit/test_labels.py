"""Every code the register keeps has words for a person: a new status, kind, funding source,
partner category or soft rule without them would reach the dashboard and the exports as a code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import get_args

import pytest

from ksd_contracts import labels
from ksd_contracts.events import Status
from ksd_contracts.language import speaking
from ksd_contracts.submissions import ForeignParty, FundingSource, Kind, ThirdParty
from ksd_mapping import domain as mapping


def test_every_status_kind_and_funding_source_is_named() -> None:
    assert set(labels.STATUSES) == set(Status)
    assert set(labels.KINDS) == set(Kind)
    assert set(labels.FUNDING) == set(get_args(FundingSource))


def test_every_partner_category_is_named() -> None:
    categories = {*get_args(ThirdParty.model_fields["category"].annotation),
                  *get_args(ForeignParty.model_fields["category"].annotation)}
    assert categories <= set(labels.PARTNER_CATEGORIES)


def _agreement_flags() -> set[str]:
    """The agreement service's flags: the soft rules of its rule book."""
    rules = json.loads(resources.files("ksd_agreement").joinpath("rules.json").read_text())
    return {name for name, rule in rules.items() if rule["severity"] == "soft"}


def test_every_flag_a_service_raises_has_a_sentence() -> None:
    assert _agreement_flags() | set(mapping.FLAGS) == set(labels.FLAGS)
    assert all(sentence.endswith(".") and sentence[0].isupper() for sentence in labels.FLAGS.values())


def test_no_flag_is_raised_by_both_services() -> None:
    """Reporting's `flags_by_rule` adds the agreements flagged by the agreement service and those
    flagged by mapping, by rule name: a name in both would count an agreement twice on the
    dashboard."""
    agreement, mapped = _agreement_flags(), set(mapping.FLAGS)
    assert agreement and mapped, "both services raise flags"
    assert agreement.isdisjoint(mapped), f"raised by both services: {sorted(agreement & mapped)}"


def test_mapping_raises_only_the_flags_it_lists() -> None:
    with pytest.raises(ValueError, match="not one of mapping's flags"):
        mapping.flag("pks.without_ksb", "tanpa KSB", "without a KSB")


def test_countries_are_named_in_bahasa_indonesia() -> None:
    assert [labels.country(c) for c in ("KR", "JP", "NL", "TL", "MY")] == [
        "Korea Selatan", "Jepang", "Belanda", "Timor-Leste", "Malaysia"]
    assert labels.country("XX") == "XX"


def test_every_timeline_step_is_named() -> None:
    from ksd_reporting.domain import FOLD
    assert set(FOLD) == set(labels.STEPS)


def test_every_rule_says_what_it_means_and_what_to_do() -> None:
    rules = json.loads(resources.files("ksd_agreement").joinpath("rules.json").read_text())
    assert set(rules) <= set(labels.RULES)
    assert all(said.endswith(".") for pair in labels.RULES.values() for words in pair for said in words)
    refused = labels.explained({"rule": "ksb.signed_by_head", "detail": "Sekda tidak menandatangani sebagai"
                                " kepala_daerah", "detail_en": "Sekda did not sign as kepala_daerah"})
    assert refused == {"rule": "ksb.signed_by_head", "detail": "Sekda tidak menandatangani sebagai kepala_daerah",
                       "pesan": "KSB harus ditandatangani kepala daerah.",
                       "tindakan": "Periksa penandatangan KSB: jabatan kepala daerah (gubernur, bupati, wali kota)."}
    with speaking("en"):
        assert labels.explained(refused | {"detail_en": "Sekda did not sign as kepala_daerah"}) == {
            "rule": "ksb.signed_by_head", "detail": "Sekda did not sign as kepala_daerah",
            "pesan": "A KSB must be signed by the region's head.",
            "tindakan": "Check the KSB's signatories: the region's head (governor, regent, mayor)."}
        # an event of an earlier version stored one detail only: it is shown as it was written
        assert labels.explained({"rule": "no.such_rule", "detail": "x"}) == {"rule": "no.such_rule", "detail": "x"}
    assert labels.explained({"rule": "no.such_rule"}) == {"rule": "no.such_rule"}


def test_numbers_money_and_moments_are_written_the_indonesian_way() -> None:
    assert (labels.number(1_234_567), labels.number(12.5, 1), labels.number(0)) == ("1.234.567", "12,5", "0")
    assert (labels.rupiah(1_750_000_000), labels.rupiah(None)) == ("Rp 1.750.000.000", "Rp 0")
    assert labels.moment("2026-11-28T10:05:09Z") == "28 Nov 2026 17.05.09 WIB"
    assert labels.moment(datetime(2026, 12, 31, 18, 30, tzinfo=UTC), seconds=False) == "1 Jan 2027 01.30 WIB"
