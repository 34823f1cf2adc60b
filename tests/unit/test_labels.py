"""Every code the register keeps has words for a person: a new status, kind, funding source,
partner category or soft rule without them would reach the dashboard and the exports as a code."""

from __future__ import annotations

import json
from importlib import resources
from typing import get_args

from ksd_contracts import labels
from ksd_contracts.events import Status
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


def test_every_flag_a_service_raises_has_a_sentence() -> None:
    rules = json.loads(resources.files("ksd_agreement").joinpath("rules.json").read_text())
    soft = {name for name, rule in rules.items() if rule["severity"] == "soft"}
    raised = soft | {mapping.UNCLASSIFIABLE, mapping.WAJIB_WITHOUT_BORDER, mapping.OUTSIDE_MAPPING}
    assert raised == set(labels.FLAGS)
    assert all(sentence.endswith(".") and sentence[0].isupper() for sentence in labels.FLAGS.values())


def test_countries_are_named_in_bahasa_indonesia() -> None:
    assert [labels.country(c) for c in ("KR", "JP", "NL", "TL", "MY")] == [
        "Korea Selatan", "Jepang", "Belanda", "Timor-Leste", "Malaysia"]
    assert labels.country("XX") == "XX"


def test_every_timeline_step_is_named() -> None:
    from ksd_reporting.domain import FOLD
    assert set(FOLD) == set(labels.STEPS)
