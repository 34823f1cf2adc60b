"""The projection is a pure fold: redelivered events change nothing, corrections replace the data
of the step they supersede, and legal dates stay apart from recording times."""

from __future__ import annotations

from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import from_json, to_json
from reporting_history import build

from ksd_contracts.envelope import Envelope
from ksd_contracts.events import SUBMISSION_REJECTED
from ksd_contracts.lifecycle import legal_date
from ksd_reporting.domain import AgreementRecord, project
from ksd_reporting.store import json_text

HISTORY = build()


def _fold(events: list[Envelope]) -> AgreementRecord | None:
    record = None
    for event in events:
        record = project(record, event)
    return record


@settings(max_examples=60)
@given(name=st.sampled_from(sorted(HISTORY.agreements)), data=st.data())
def test_redelivering_any_earlier_event_changes_nothing(name: str, data: st.DataObject) -> None:
    events = HISTORY.agreements[name].events
    redelivered = list(events)
    for _ in range(data.draw(st.integers(0, 5))):
        at = data.draw(st.integers(1, len(redelivered)))
        again = data.draw(st.sampled_from(redelivered[:at]))
        redelivered.insert(at, again)
    assert _fold(redelivered) == _fold(events)


def test_a_correction_replaces_the_superseded_step_and_keeps_it_on_the_timeline() -> None:
    record = _fold(HISTORY.agreements["a4"].events)
    assert record is not None
    ksb = next(s for s in record["timeline"] if s["type"] == "ksb_signed")
    assert ksb["legal_date"] == "2024-05-01" and ksb["corrected_data"]["document"]["signed_on"] == "2024-04-20"
    assert record["ksb_on"] == "2024-04-20"


def test_events_of_no_agreement_on_the_register_are_ignored() -> None:
    assert project(None, HISTORY.agreements["a1"].events[1]) is None


def test_the_legal_date_is_the_signing_or_decision_date() -> None:
    assert legal_date({"document": {"signed_on": "2024-01-02"}, "start_on": "2024-02-01"}) == "2024-01-02"
    assert legal_date({"approved_on": "2024-03-04"}) == "2024-03-04"
    assert legal_date({"region": "65.71"}) is None


@given(name=st.sampled_from(sorted(HISTORY.agreements)))
def test_a_refused_submission_is_on_the_timeline_and_changes_nothing_else(name: str) -> None:
    events = HISTORY.agreements[name].events
    before = _fold(events)
    assert before is not None
    last = events[-1]
    refusal = Envelope(
        source="/services/agreement", type=SUBMISSION_REJECTED, subject=last.subject, correlationid="r" * 32,
        data={"submission_id": str(uuid4()), "submission_type": "agreement.record_ksb", "submitted_by": "65.71",
              "reasons": [{"rule": "ksb.without_tkksd", "detail": "no TKKSD review found the cooperation layak"}]},
    ).chained((last.sequence or 0) + 1, last.hash or "")
    after = _fold([*events, refusal])
    assert after is not None
    assert {k: v for k, v in after.items() if k not in ("timeline", "version")} == {
        k: v for k, v in before.items() if k not in ("timeline", "version")}
    assert after["timeline"][:-1] == before["timeline"] and after["version"] == refusal.sequence
    step = after["timeline"][-1]
    assert (step["type"], step["refused"], step["submitted_by"], step["legal_date"]) == (
        "submission_rejected", True, "65.71", None)
    assert step["reasons"][0]["rule"] == "ksb.without_tkksd"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=500)
@given(json_values)
def test_a_records_json_is_the_value_pydantic_core_writes(value: object) -> None:
    """orjson writes the records (3.5x faster): what PostgreSQL parses must be the same value as the
    writer before it gave, integers beyond 64 bits (orjson refuses them) included."""
    record = {"value": value}
    assert from_json(json_text(record)) == from_json(to_json(record))


@given(name=st.sampled_from(sorted(HISTORY.agreements)))
def test_a_compiled_records_json_is_the_same_text_as_before(name: str) -> None:
    record = _fold(HISTORY.agreements[name].events)
    assert record is not None
    assert json_text(record).encode() == to_json(record)
