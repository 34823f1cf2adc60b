"""The workspace's forms speak Bahasa Indonesia for every field: each submission type has its name,
each property of every schema intake validates with has a label and help (`ksd_contracts.forms`),
and each value a form offers has its words. A field added to a contract model without them fails
here, before a person meets an English name in the page."""

from __future__ import annotations

from typing import Any

from ksd_contracts import forms
from ksd_contracts.submissions import SUBMISSION_MODELS
from ksd_intake.openapi import COMPONENTS
from ksd_intake.workspace import FORMS


def _offered(schema: Any) -> set[str]:
    """Every enum value and constant anywhere in a schema."""
    if isinstance(schema, dict):
        found = {str(v) for v in schema.get("enum", [])} | ({str(schema["const"])} if "const" in schema else set())
        return found.union(*(_offered(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_offered(v) for v in schema))
    return set()


def test_every_submission_type_has_its_indonesian_name() -> None:
    assert set(forms.SUBMISSION_TYPES) == set(SUBMISSION_MODELS)
    assert set(FORMS["types"]) == set(SUBMISSION_MODELS)


def test_every_field_of_every_submission_has_a_label_and_help() -> None:
    missing = [f"{model}.{name}" for model, schema in COMPONENTS.items()
               for name in schema.get("properties", {}) if forms.field(model, name) is None]
    assert not missing, f"no Indonesian label/help in ksd_contracts.forms.FIELDS: {missing}"


def test_the_forms_show_the_indonesian_words_in_the_schema_itself() -> None:
    described = FORMS["components"]
    assert described["AgreementPropose"]["properties"]["title"]["title"] == "Judul"
    assert described["RegionParty"]["properties"]["code"]["description"].startswith("Kode Kemendagri")
    assert described["Signatory"]["properties"]["name"]["title"] == "Nama"
    # The rules stay the API's: only the words change.
    for model, schema in COMPONENTS.items():
        for name, prop in schema.get("properties", {}).items():
            worded = described[model]["properties"][name]
            assert {k: v for k, v in worded.items() if k not in ("title", "description")} == \
                {k: v for k, v in prop.items() if k not in ("title", "description")}


def test_every_value_a_form_offers_has_its_words() -> None:
    # The batch's item names submission types, not values of a form (the forms are of `data`).
    offered = _offered({name: schema for name, schema in COMPONENTS.items() if name != "BatchSubmission"})
    assert {"KSDD", "third_party", "kuasa", "apbd", "wanprestasi"} <= offered
    assert not offered - set(forms.CHOICES), sorted(offered - set(forms.CHOICES))
