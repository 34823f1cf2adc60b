"""One legal state: for any history of submissions (both sides' reports and copies, each region's
DPRD approval, partners' answers, disputes and their settlements, corrections, time passing), the
agreement service's state and reporting's compiled record of the same events agree on the facts per
party, the stage, the reports overdue and the disputes open on any date; and the dated lists
reporting keeps for SQL give the stage that `lifecycle.stage` gives."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pytest
from agreement_samples import KAB_KUPANG, KUPANG, MOJOKERTO, PROPOSALS, STEPS, Stream, chained, doc
from hypothesis import given, settings
from hypothesis import strategies as st

from ksd_agreement.domain import due, evolve
from ksd_contracts import lifecycle
from ksd_contracts.envelope import Envelope
from ksd_contracts.lifecycle import LegalFacts
from ksd_reporting.domain import AgreementRecord, Draft, Step, compile_record, extend, fold, project, settle, step_of

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))

CORRECTIONS: dict[str, list[dict[str, Any]]] = {
    "agreement.record_tkksd_review": [{"feasible": False}, {"reviewed_on": "2024-07-25"}],
    "agreement.record_offer_response": [{"accepted": False}],
    "agreement.record_ksb": [{"document": doc(signed_on="2024-09-03")}],
    "agreement.record_dprd_approval": [{"approved_on": "2024-09-22"}],
    "agreement.record_pks": [{"start_on": "2024-12-01"}, {"end_on": "2025-03-31"}, {"start_on": "2024-09-15"}],
    "agreement.report_progress": [{"reported_on": "2025-12-30"}],
    "agreement.raise_dispute": [{"raised_on": "2025-06-01"}, {"raised_on": "2024-12-01", "dispute_id": None}],
}
"""Corrected data for a step, merged over the step's own sample data: a tidak layak review, a
declined offer, a PKS whose start is moved after its signing, and so on."""

Submission = tuple[str, str, dict[str, Any]]
"""(submission type, region, changes to its sample data); for a correction, the step corrected."""

step: st.SearchStrategy[Submission] = st.sampled_from(sorted(STEPS)).flatmap(lambda kind: st.tuples(
    st.just(kind), st.sampled_from([KUPANG, KUPANG, KAB_KUPANG, MOJOKERTO]), st.just({})))
own_report: st.SearchStrategy[Submission] = st.tuples(st.just("agreement.propose"), st.just(KAB_KUPANG), st.just({}))
partner_copy: st.SearchStrategy[Submission] = st.sampled_from(["agreement.record_ksb", "agreement.record_pks"]).map(
    lambda kind: (kind, KAB_KUPANG, {"document": doc(number="KAB/9/2024", signed_on="2024-09-02")}))
correction: st.SearchStrategy[Submission] = st.sampled_from(sorted(CORRECTIONS)).flatmap(lambda kind: st.tuples(
    st.just("agreement.correct"), st.just(kind), st.sampled_from(CORRECTIONS[kind])))


def _compiled(events: list[Envelope], *, stored: bool = False) -> AgreementRecord | None:
    """The record after each event in turn; `stored`: read back as JSON after each, as the
    consumer reads it from PostgreSQL before the next batch."""
    record: AgreementRecord | None = None
    for event in events:
        record = project(record, event)
        if stored and record is not None:
            record = json.loads(json.dumps(record))
    return record


def _in_one_batch(events: list[Envelope]) -> AgreementRecord | None:
    """Every event folded onto one draft, its legal summary settled once, as a consumer's batch does."""
    draft = Draft(None)
    for event in events:
        draft = fold(draft, event)
    return settle(draft)


def _from_scratch(events: list[Envelope]) -> AgreementRecord:
    """The whole timeline folded at once, as the audit's bitemporal answer folds it."""
    timeline: list[Step] = []
    for event in events:
        timeline = extend(timeline, step_of(event))
    return compile_record(timeline, len(events))


def _stage_from_lists(record: AgreementRecord, day: date) -> str | None:
    """What the read model's `stage_on(stage_names, stage_dates, day)` answers."""
    known = [name for on, name in zip(record["stage_dates"], record["stage_names"], strict=True)
             if on <= day.isoformat()]
    return known[-1] if known else None


def _open_from_lists(record: AgreementRecord, day: date) -> int:
    """What the read model's `open_on(dispute_raised, dispute_settled, day)` counts."""
    return sum(1 for raised, settled in record["disputes"] if raised <= day.isoformat()
               and not (settled and settled <= day.isoformat()))


def _overdue_from_lists(record: AgreementRecord, day: date) -> list[str]:
    """What the read model's `overdue_on(report_due, report_sent, day)` counts."""
    return [p for p, due_on, sent in record["report_periods"] if due_on <= day.isoformat()
            and not (sent and sent <= day.isoformat())]


@settings(max_examples=200)
@given(kind=st.sampled_from(sorted(PROPOSALS)),
       submissions=st.lists(st.one_of(step, step, step, own_report, partner_copy, correction), max_size=16),
       days=st.lists(DAYS, min_size=1, max_size=6), ticks=st.lists(DAYS, max_size=3))
def test_the_agreement_service_and_reporting_agree_at_any_date(
        kind: str, submissions: list[Any], days: list[date], ticks: list[date]) -> None:
    stream = Stream()
    stream.submit("agreement.propose", agreement_kind=kind)
    for submission_type, region, changes in submissions:
        if submission_type == "agreement.correct":
            target = stream.submitted.get(region)  # for a correction, `region` names the step corrected
            if target is None:
                continue
            corrected = STEPS[region] | changes
            stream.submit("agreement.correct", supersedes=str(target), reason="salah ketik", data=corrected)
        else:
            stream.submit(submission_type, region=region, **changes)
    for day in sorted(ticks):  # the scheduler's record of time passing
        assert stream.state is not None
        for event_type, event_data in due(stream.state, day):
            stream.events.append((event_type, event_data))
            stream.state = evolve(stream.state, event_type, event_data)

    state = stream.state
    envelopes = chained(stream.events, str(stream.agreement_id))
    record = _compiled(envelopes)
    assert state is not None and record is not None
    # each event folded onto the record as it stands gives what the whole timeline folded from scratch gives
    assert record == _compiled(envelopes, stored=True) == _in_one_batch(envelopes) == _from_scratch(envelopes)
    facts = LegalFacts.from_json(record["facts"])
    assert facts == state.legal
    assert record["status"] == state.status
    assert record["reporters"] == state.reported_by and record["one_sided"] == state.legal.one_sided
    for day in days:
        assert _stage_from_lists(record, day) == lifecycle.stage(state.legal, day)
        assert _overdue_from_lists(record, day) == lifecycle.overdue_periods(state.legal, day)
        assert _open_from_lists(record, day) == len(lifecycle.open_disputes(state.legal, day))


def test_each_partys_acts_are_kept_apart() -> None:
    """Both regions' DPRD approvals, the partner's answer, and both sides' copies with their dates
    stand in the compiled record; the PKS that needs DPRD approval waits for both."""
    stream = Stream().through("agreement.record_tkksd_review", ("agreement.record_tkksd_review", KAB_KUPANG),
                              "agreement.record_offer", ("agreement.record_offer_response", KAB_KUPANG),
                              "agreement.record_ksb", "agreement.record_dprd_approval")
    waiting = stream.submit("agreement.record_pks", dprd_required=True)
    assert waiting.rejected and "53.01" in waiting.events[0][1]["reasons"][0]["detail"]
    stream.submit("agreement.record_dprd_approval", region=KAB_KUPANG, approved_on="2024-09-21",
                  decision_number="DPRD-KAB/3/2024")
    stream.submit("agreement.record_ksb", region=KAB_KUPANG, document=doc(number="KAB/5/2024", signed_on="2024-09-02"))
    assert not stream.submit("agreement.record_pks", dprd_required=True).rejected
    record = _compiled(chained(stream.events, str(stream.agreement_id)))
    assert record is not None
    facts = record["facts"]
    assert facts["dprd"] == {KUPANG: {"number": "DPRD/12/2024", "on": "2024-09-20"},
                             KAB_KUPANG: {"number": "DPRD-KAB/3/2024", "on": "2024-09-21"}}
    assert facts["responses"] == {KAB_KUPANG: {"accepted": True, "on": "2024-08-10"}}
    assert sorted(facts["reviews"]) == [KAB_KUPANG, KUPANG]
    assert facts["ksb"][KAB_KUPANG] == {"number": "KAB/5/2024", "signed_on": "2024-09-02", "capacity": None}
    assert facts["ksb"][KUPANG]["capacity"] == "kepala_daerah"
    copy = next(s for s in record["timeline"] if s["type"] == "party_reported")
    assert copy["legal_date"] == "2024-09-02"
    assert record["ksb_on"] == "2024-09-01" and record["status"] == "running"
    assert [lifecycle.stage(LegalFacts.from_json(facts), date.fromisoformat(d)) for d in
            ("2024-07-01", "2024-07-10", "2024-09-01", "2024-09-20", "2024-09-21", "2024-10-01", "2027-10-01")] == [
        None, "initiated", "ksb_signed", "ksb_signed", "dprd_approved", "running", "expired"]


def test_the_second_side_reports_after_taking_other_steps() -> None:
    """A partner region that answered the offer and approved in its DPRD has not reported the
    agreement: its own report is a party report, not `agreement.already_reported`."""
    stream = Stream().through("agreement.record_tkksd_review", "agreement.record_offer",
                              ("agreement.record_offer_response", KAB_KUPANG))
    decision = stream.submit("agreement.propose", region=KAB_KUPANG, document_number="KAB/77/2024")
    assert not decision.rejected
    assert stream.state is not None and stream.state.reported_by == [KUPANG, KAB_KUPANG]
    assert not stream.state.legal.one_sided


def test_a_partner_that_sent_its_copy_of_the_ksb_may_still_report_the_agreement() -> None:
    """The other side recorded its own KSB copy before its report of the agreement (a late
    reporter): the report is its party report, not `agreement.already_reported`; a second one is."""
    stream = Stream().through("agreement.record_tkksd_review", "agreement.record_ksb",
                              ("agreement.record_ksb", KAB_KUPANG))
    assert not stream.submit("agreement.propose", region=KAB_KUPANG, document_number="KAB/77/2024").rejected
    again = stream.submit("agreement.propose", region=KAB_KUPANG)
    assert again.rejected and again.events[0][1]["reasons"][0]["rule"] == "agreement.already_reported"


def test_a_withdrawn_record_stands_nowhere_and_takes_no_further_step() -> None:
    """The region that alone reported a record withdraws it: it has no stage on any day and owes no
    report, its history stays, and every later step is refused naming the withdrawal."""
    stream = Stream().through("agreement.record_tkksd_review", "agreement.record_ksb", "agreement.record_pks")
    assert not stream.submit("agreement.withdraw").rejected
    assert stream.state is not None
    facts = stream.state.legal
    assert facts.withdrawn == {"by": KUPANG, "reason": STEPS["agreement.withdraw"]["reason"]}
    assert stream.state.status == "withdrawn" and lifecycle.report_periods(facts) == []
    assert lifecycle.stage(facts, date(2026, 1, 1)) == "withdrawn" and lifecycle.stage(facts, date(2024, 1, 1)) is None
    refused = stream.submit("agreement.report_progress")
    assert refused.rejected and refused.events[0][1]["reasons"][0]["rule"] == "agreement.withdrawn"
    record = _compiled(chained(stream.events, str(stream.agreement_id)))
    assert record is not None and record["withdrawn"]
    assert [s["type"] for s in record["timeline"]][-2:] == ["withdrawn", "submission_rejected"], "the refusal shows"


def test_only_the_region_that_alone_reported_a_record_may_withdraw_it() -> None:
    stream = Stream().through()
    refused = stream.submit("agreement.withdraw", region=KAB_KUPANG)
    assert refused.rejected and refused.events[0][1]["reasons"][0]["rule"] == "withdraw.own_record"
    stream.submit("agreement.propose", region=KAB_KUPANG)
    refused = stream.submit("agreement.withdraw")
    assert refused.rejected and "53.01 reported it too" in refused.events[0][1]["reasons"][0]["detail_en"]


def test_a_revised_fact_is_what_dataclasses_replace_gives_and_leaves_the_original() -> None:
    facts = LegalFacts(kind="KSDD", regions=[KUPANG, KAB_KUPANG], initiated_on="2024-07-01", reporters=[KUPANG])
    changes: dict[str, Any] = {"reporters": [KUPANG, KAB_KUPANG], "offered_on": "2024-08-01"}
    revised = lifecycle.revised(facts, **changes)
    assert revised == dataclasses.replace(facts, **changes)
    assert (facts.reporters, facts.offered_on) == ([KUPANG], None)
    with pytest.raises(TypeError, match="no field offered"):
        lifecycle.revised(facts, offered="2024-08-01")


def test_the_facts_json_is_every_field_and_nothing_else_made_or_revised() -> None:
    facts = LegalFacts(kind="KSDD", regions=[KUPANG, KAB_KUPANG], initiated_on="2024-07-01")
    for made in (facts, lifecycle.revised(facts, reporters=[KUPANG], offered_on="2024-08-01")):
        assert made.to_json() == {f.name: getattr(made, f.name) for f in dataclasses.fields(made)}
        assert LegalFacts.from_json(made.to_json()) == made
