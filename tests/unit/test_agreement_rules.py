"""Every lifecycle rule of the agreement domain, table-driven: the allowed path and each forbidden
one, with the rule it names (hard: a rejection; soft: a flag on the applied step)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from agreement_samples import KAB_KUPANG, KUPANG, MOJOKERTO, PARTNER, PROPOSALS, STEPS, Stream, doc

from ksd_agreement.domain import AgreementState, Decision, Match, due, fold, join_target, rules, upcast
from ksd_contracts import events as ev
from ksd_contracts import lifecycle
from ksd_contracts.events import AGREEMENT_EVENT_MODELS


def rejected_by(decision: Decision) -> list[str]:
    [(event_type, data)] = decision.events
    assert event_type == ev.SUBMISSION_REJECTED
    return [r["rule"] for r in data["reasons"]]


def flagged(decision: Decision) -> list[str]:
    assert not decision.rejected, decision.events
    return [f["rule"] for f in decision.events[0][1]["flags"]]


REVIEWED = ("agreement.record_tkksd_review",)
KSB = (*REVIEWED, "agreement.record_ksb")
RUNNING = (*KSB, "agreement.record_pks")
KUASA = {"name": "Ir. Kadis", "position": "Kepala Dinas PU", "party": KUPANG, "capacity": "kuasa",
         "power_of_attorney": "SK/180/2024"}
SEKDA = {"name": "Sekda", "position": "Sekretaris Daerah", "party": KUPANG, "capacity": "mitra"}

HARD: list[tuple[str, tuple[str, ...], str, dict[str, Any], str, str]] = [
    # (test id, path before, step, changes, agreement kind, the rule it breaks)
    ("offer response before an offer", REVIEWED, "agreement.record_offer_response", {}, "KSDD",
     "step.out_of_order"),
    ("a step after the end", (*RUNNING, "agreement.terminate"), "agreement.amend",
     {"document": doc(signed_on="2025-07-01")}, "KSDD", "agreement.closed"),
    ("KSB signed by a non-head", REVIEWED, "agreement.record_ksb", {"document": doc(KUASA, PARTNER)}, "KSDD",
     "ksb.signed_by_head"),
    ("PKS signed by an official without capacity", KSB, "agreement.record_pks",
     {"document": doc(SEKDA, PARTNER)}, "KSDD", "pks.signatory_authorised"),
    ("PKS needing DPRD before its approval", KSB, "agreement.record_pks", {"dprd_required": True}, "KSDD",
     "pks.dprd_before_effect"),
    ("foreign KSB before approvals", REVIEWED, "agreement.record_ksb", {}, "KSDPL",
     "foreign.approvals_before_signing"),
    ("amendment changing the kind", RUNNING, "agreement.amend", {"changes": {"kind": "KSDPK"}}, "KSDD",
     "amend.kind_and_parties_fixed"),
    ("extension after the end", RUNNING, "agreement.extend",
     {"document": doc(signed_on="2027-10-15")}, "KSDD", "extend.before_end"),
    ("report for a semester not begun", RUNNING, "agreement.report_progress", {"period": "2027-S1"}, "KSDD",
     "report.period_started"),
    ("PKS without KSB and without legal basis", REVIEWED, "agreement.record_pks", {}, "KSDPK", "pks.without_ksb"),
    ("central approval for a domestic kind", REVIEWED, "agreement.record_central_approval", {}, "KSDD",
     "step.out_of_order"),
    ("a dispute before any KSB", REVIEWED, "agreement.raise_dispute", {}, "KSDD", "step.out_of_order"),
    ("a settlement of no dispute", RUNNING, "agreement.settle_dispute", {"dispute_id": str(uuid4())}, "KSDD",
     "dispute.open"),
]


@pytest.mark.parametrize(("path", "step", "changes", "kind", "rule"),
                         [h[1:] for h in HARD], ids=[h[0] for h in HARD])
def test_a_hard_rule_rejects_naming_itself_and_the_allowed_path_applies(
        path: tuple[str, ...], step: str, changes: dict[str, Any], kind: str, rule: str) -> None:
    # pks.without_ksb is soft, but with no legal basis at all it rejects (DOMAIN.md's default).
    assert rules()[rule].severity == "hard" or rule == "pks.without_ksb"
    stream = Stream().through(*path, agreement_kind=kind)
    before = stream.state
    assert rule in rejected_by(stream.submit(step, **changes))
    assert stream.state == before


@pytest.mark.parametrize("kind", ["agreement.verify", "agreement.return"])
def test_only_the_province_of_a_party_regency_gives_a_verdict(kind: str) -> None:
    stream = Stream().through(*KSB)
    before = stream.state
    assert before is not None
    for region in (KUPANG, KAB_KUPANG, "35", MOJOKERTO):  # the parties themselves, another province, a stranger
        assert rejected_by(stream.submit(kind, region=region)) == ["verify.province_of_regency"]
    assert stream.state == before
    [(event_type, data)] = stream.submit(kind, region="53").events
    assert event_type == ev.VERIFICATION_EVENTS[kind] and data["submitted_by"] == "53"
    assert data["note"] == STEPS[kind]["note"]
    assert stream.state is not None and stream.state.status == before.status  # a verdict is no step of the lifecycle


def test_a_verdict_is_not_corrected_and_a_withdrawn_record_gets_none() -> None:
    stream = Stream().through()
    stream.submit("agreement.verify", region="53")
    verdict = stream.submitted["agreement.verify"]
    assert rejected_by(stream.submit("agreement.correct", supersedes=str(verdict), reason="salah",
                                     data={"note": "lain"})) == ["correct.known_submission"]
    stream.submit("agreement.withdraw")
    assert rejected_by(stream.submit("agreement.return", region="53")) == ["agreement.withdrawn"]


def test_a_ksb_after_declined_is_out_of_order() -> None:
    stream = Stream().through(*REVIEWED, "agreement.record_offer")
    stream.submit("agreement.record_offer_response", accepted=False)
    assert stream.state and stream.state.status == "declined"
    assert rejected_by(stream.submit("agreement.record_ksb")) == ["step.out_of_order"]


@pytest.mark.parametrize(("path", "step", "changes", "kind"), [
    (REVIEWED, "agreement.record_ksb", {}, "KSDD"),
    (KSB, "agreement.record_pks", {"document": doc(KUASA, PARTNER)}, "KSDD"),
    ((*KSB, "agreement.record_dprd_approval", ("agreement.record_dprd_approval", KAB_KUPANG)), "agreement.record_pks",
     {"dprd_required": True}, "KSDD"),
    ((*REVIEWED, "agreement.record_dprd_approval", "agreement.record_central_approval"),
     "agreement.record_central_approval",
     {"authority": "kemlu"}, "KSDPL"),
    (RUNNING, "agreement.amend", {"changes": {"kind": "KSDD", "end_on": "2028-09-30"}}, "KSDD"),
    (RUNNING, "agreement.extend", {}, "KSDD"),
    (RUNNING, "agreement.report_progress", {}, "KSDD"),
    (REVIEWED, "agreement.record_pks", {"legal_basis": "Perda 3/2020"}, "Sinergi"),
], ids=["ksb by head", "pks under kuasa", "pks after dprd", "foreign approvals", "amend keeps kind", "extend",
        "report", "sinergi NK+RK without KSB"])
def test_the_allowed_path_applies(path: tuple[str, ...], step: str, changes: dict[str, Any], kind: str) -> None:
    stream = Stream().through(*path, agreement_kind=kind)
    assert not stream.submit(step, **changes).rejected


def test_a_foreign_agreement_is_signed_after_dprd_and_central_approvals() -> None:
    stream = Stream().through(*REVIEWED, agreement_kind="KSDPL")
    assert rejected_by(stream.submit("agreement.record_ksb")) == ["foreign.approvals_before_signing"]
    stream.submit("agreement.record_dprd_approval")
    stream.submit("agreement.record_central_approval")
    assert "foreign.approvals_before_signing" in rejected_by(stream.submit("agreement.record_ksb"))
    stream.submit("agreement.record_central_approval", authority="kemlu")
    assert flagged(stream.submit("agreement.record_ksb")) == []
    assert not stream.submit("agreement.record_pks").rejected
    assert stream.state and stream.state.status == "running"


SOFT = [
    ("PKS without KSB, with legal basis", REVIEWED, "agreement.record_pks", {"legal_basis": "Perpres 38/2015"},
     "KSDPK", "pks.without_ksb"),
    ("KSB without TKKSD", (), "agreement.record_ksb", {}, "KSDD", "ksb.without_tkksd"),
    ("PKS over five years", KSB, "agreement.record_pks", {"end_on": "2030-10-01"}, "KSDD", "pks.over_max_years"),
    ("APBD funding without a plan", KSB, "agreement.record_pks",
     {"funding": [{"amount_idr": 10**9, "source": "apbd"}]}, "KSDD", "pks.no_plan_reference"),
]


@pytest.mark.parametrize(("path", "step", "changes", "kind", "rule"), [s[1:] for s in SOFT], ids=[s[0] for s in SOFT])
def test_a_soft_rule_applies_the_step_with_its_flag(
        path: tuple[str, ...], step: str, changes: dict[str, Any], kind: str, rule: str) -> None:
    assert rules()[rule].severity == "soft"
    stream = Stream().through(*path, agreement_kind=kind)
    assert flagged(stream.submit(step, **changes)) == [rule]
    assert stream.state and rule in [f["rule"] for f in stream.state.flags]


def test_a_funded_pks_with_its_plan_is_not_flagged() -> None:
    stream = Stream().through(*KSB)
    funding = [{"amount_idr": 10**9, "source": "apbd", "plan": "rkpd", "program": "1.03.02"}]
    assert flagged(stream.submit("agreement.record_pks", funding=funding)) == []


@pytest.mark.parametrize(("region", "rule"), [(MOJOKERTO, "agreement.not_a_party"), (None, "agreement.not_a_party")])
def test_only_a_party_region_submits_a_step(region: str | None, rule: str) -> None:
    stream = Stream().through()
    assert rejected_by(stream.submit("agreement.record_tkksd_review", region=region)) == [rule]
    assert not stream.submit("agreement.record_tkksd_review", region=KAB_KUPANG).rejected


def test_a_step_for_an_agreement_never_proposed_is_unknown() -> None:
    assert rejected_by(Stream().submit("agreement.record_ksb")) == ["agreement.unknown"]


def test_the_lifecycle_moves_through_its_statuses() -> None:
    stream = Stream()
    stream.submit("agreement.propose")
    statuses = []
    for step, region in (("agreement.record_tkksd_review", KUPANG), ("agreement.record_offer", KUPANG),
                         ("agreement.record_offer_response", KAB_KUPANG), ("agreement.record_ksb", KUPANG),
                         ("agreement.record_dprd_approval", KUPANG), ("agreement.record_dprd_approval", KAB_KUPANG),
                         ("agreement.record_pks", KUPANG), ("agreement.report_progress", KUPANG),
                         ("agreement.amend", KUPANG), ("agreement.terminate", KUPANG)):
        assert not stream.submit(step, region=region).rejected, step
        assert stream.state
        statuses.append(stream.state.status)
    # A KSDD's DPRD approval is complete when both regions' DPRDs approved.
    assert statuses == ["reviewed", "offered", "accepted", "ksb_signed", "ksb_signed", "dprd_approved", "running",
                        "running", "running", "ended"]
    assert stream.state and stream.state.ended == "kesepakatan_para_pihak"
    assert stream.state.title == "Sampah regional, diperluas" and list(stream.state.legal.reports) == ["2025-S1"]
    assert sorted(stream.state.legal.dprd) == [KAB_KUPANG, KUPANG]
    assert stream.state.legal.responses == {KAB_KUPANG: {"accepted": True, "on": "2024-08-10"}}


def test_tidak_layak_is_not_feasible() -> None:
    stream = Stream().through()
    stream.submit("agreement.record_tkksd_review", feasible=False)
    assert stream.state and stream.state.status == "not_feasible"
    assert rejected_by(stream.submit("agreement.record_offer")) == ["step.out_of_order"]


def test_the_other_side_reports_and_disagreements_are_flagged() -> None:
    stream = Stream().through()
    decision = stream.submit("agreement.propose", region=KAB_KUPANG, title="Sampah regional Kabupaten Kupang",
                             document_number="KAB/77/2024")
    [(event_type, data)] = decision.events
    assert event_type == ev.PARTY_REPORTED and data["region"] == KAB_KUPANG
    assert [(f["detail"], f["detail_en"]) for f in data["flags"]] == [
        ("title berbeda dari register", "title differs from the register")]
    assert stream.state and stream.state.reported_by == [KUPANG, KAB_KUPANG]
    assert stream.state.document_numbers == {KAB_KUPANG: ["KAB/77/2024"]}
    assert rejected_by(stream.submit("agreement.propose", region=KAB_KUPANG)) == ["agreement.already_reported"]
    assert rejected_by(stream.submit("agreement.propose", region=MOJOKERTO)) == ["agreement.not_a_party"]


@pytest.mark.parametrize(("path", "step"), [(KSB, "agreement.record_ksb"), (RUNNING, "agreement.record_pks")])
def test_each_side_records_its_own_copy_of_a_signed_document(path: tuple[str, ...], step: str) -> None:
    stream = Stream().through(*path)
    own = STEPS[step]["document"] | {"number": "KAB/180/2024"}
    [(event_type, data)] = stream.submit(step, region=KAB_KUPANG, document=own).events
    assert (event_type, data["submission_type"], data["flags"]) == (ev.PARTY_REPORTED, step, [])
    assert stream.state and stream.state.document_numbers[KAB_KUPANG] == ["KAB/180/2024"]
    copies = stream.state.legal.ksb if step == "agreement.record_ksb" else stream.state.legal.pks
    assert copies[KAB_KUPANG] == {"number": "KAB/180/2024", "signed_on": own["signed_on"], "capacity": None}
    assert sorted(copies) == sorted([KUPANG, KAB_KUPANG])
    assert rejected_by(stream.submit(step, region=KAB_KUPANG, document=own)) == ["step.out_of_order"]
    assert rejected_by(stream.submit(step)) == ["step.out_of_order"]


def test_a_copy_dated_otherwise_is_flagged() -> None:
    stream = Stream().through(*KSB)
    copy = STEPS["agreement.record_ksb"]["document"] | {"signed_on": "2024-08-25"}
    decision = stream.submit("agreement.record_ksb", region=KAB_KUPANG, document=copy)
    assert flagged(decision) == ["party.report_differs"]
    assert "2024-08-25" in decision.events[0][1]["flags"][0]["detail"]


def test_the_registry_number_is_by_kind_first_region_and_year() -> None:
    stream = Stream().through()
    assert stream.state and stream.state.registry_number == "KSDD/53.71/2024/"


def test_an_extension_opens_a_linked_child() -> None:
    stream = Stream().through(*RUNNING)
    [(extended, parent), (proposed, child)] = stream.submit("agreement.extend").events
    assert (extended, proposed) == (ev.EXTENDED, ev.AGREEMENT_PROPOSED)
    assert child["agreement_id"] == parent["new_agreement_id"] and child["parent_id"] == str(stream.agreement_id)
    assert child["kind"] == "KSDD" and child["registry_number"] == "KSDD/53.71/2027/"
    assert rejected_by(stream.submit("agreement.extend")) == ["step.out_of_order"]


def test_a_correction_supersedes_a_step_and_keeps_it() -> None:
    stream = Stream().through(*RUNNING)
    pks = stream.submitted["agreement.record_pks"]
    corrected = STEPS["agreement.record_pks"] | {"end_on": "2028-09-30"}
    decision = stream.submit("agreement.correct", supersedes=str(pks), reason="salah ketik", data=corrected)
    [(event_type, data)] = decision.events
    assert event_type == ev.CORRECTED and data["superseded_type"] == ev.PKS_SIGNED
    assert stream.state and stream.state.legal.end_on == "2028-09-30"
    assert [t for t, _ in stream.events].count(ev.PKS_SIGNED) == 1
    assert rejected_by(stream.submit("agreement.correct", supersedes=str(uuid4()), reason="x", data={})) == [
        "correct.known_submission"]
    assert rejected_by(stream.submit("agreement.correct", supersedes=str(pks), reason="x", data={"end_on": 1})) == [
        "correct.valid_data"]


def test_time_expires_a_running_agreement_and_marks_reports_overdue() -> None:
    stream = Stream().through(*RUNNING, "agreement.report_progress")
    assert stream.state
    owed = due(stream.state, date(2027, 10, 1))
    assert [(t, d.get("period")) for t, d in owed] == [
        (ev.REPORT_OVERDUE, "2024-S2"), (ev.REPORT_OVERDUE, "2025-S2"), (ev.REPORT_OVERDUE, "2026-S1"),
        (ev.REPORT_OVERDUE, "2026-S2"), (ev.REPORT_OVERDUE, "2027-S1"), (ev.EXPIRED, None)]
    for event_type, data in owed:
        AGREEMENT_EVENT_MODELS[event_type].model_validate(data)
    after = fold([*stream.events, *owed])
    assert after and after.status == "expired" and due(after, date(2027, 10, 1)) == []
    assert due(stream.state, date(2025, 1, 1)) == [(ev.REPORT_OVERDUE, {
        "agreement_id": str(stream.agreement_id), "flags": [], "period": "2024-S2", "due_on": "2025-01-01"})]


def test_a_pks_signed_ahead_of_its_start_runs_from_that_day() -> None:
    stream = Stream().through(*KSB)
    stream.submit("agreement.record_pks", start_on="2025-01-01")
    assert stream.state and stream.state.status == "pks_signed"
    assert due(stream.state, date(2024, 12, 31)) == []
    owed = due(stream.state, date(2025, 1, 1))
    assert owed == [(ev.STARTED, {"agreement_id": str(stream.agreement_id), "flags": [], "start_on": "2025-01-01"})]
    AGREEMENT_EVENT_MODELS[ev.STARTED].model_validate(owed[0][1])
    after = fold([*stream.events, *owed])
    assert after and after.status == "running" and due(after, date(2025, 1, 1)) == []


def test_an_extended_agreement_does_not_expire() -> None:
    stream = Stream().through(*RUNNING, "agreement.extend")
    assert stream.state and [t for t, _ in due(stream.state, date(2028, 1, 1)) if t == ev.EXPIRED] == []


def test_the_rule_book_names_every_rule_with_severity_and_source() -> None:
    for rule in rules().values():
        assert rule.severity in ("hard", "soft") and isinstance(rule.params, dict)
    defaults = [r.name for r in rules().values() if r.source is None]
    assert "foreign.approvals_before_signing" in defaults and "pks.without_ksb" in defaults


def test_v1_pks_history_replays_through_the_upcaster() -> None:
    """History written with `pks_signed.v1` reads as v2 (with `term_months`); the same history
    written as v2 folds to the same state."""
    stream = Stream().through(*RUNNING)
    assert ev.PKS_SIGNED in [t for t, _ in stream.events]
    as_v2 = [upcast(t, d) for t, d in stream.events]
    for event_type, data in as_v2:
        AGREEMENT_EVENT_MODELS[event_type].model_validate(data)
    assert ev.PKS_SIGNED_V2 in [t for t, _ in as_v2]
    v1, v2 = fold(stream.events), fold(as_v2)
    assert v1 is not None and v2 is not None
    assert v1 == v2
    assert v1.term_months == 35 and v1.status == "running"


def test_a_dispute_is_open_until_the_authority_pp_28_names_settles_it() -> None:
    """Kota Kupang and Kabupaten Kupang are in one province: the governor settles their dispute, not
    the minister; a dispute is settled once, and is open between its two dates."""
    stream = Stream().through(*RUNNING)
    raised = stream.submit("agreement.raise_dispute", region=KAB_KUPANG, dispute_id=None)
    [(_, data)] = raised.events
    dispute = data["dispute_id"]
    assert dispute == str(stream.submitted["agreement.raise_dispute"])  # no id given: the submission's
    assert stream.state is not None and stream.state.status == "running"  # a dispute is no stage
    assert rejected_by(stream.submit("agreement.settle_dispute", dispute_id=dispute, settled_by="menteri")) == [
        "dispute.settling_authority"]
    assert rejected_by(stream.submit("agreement.settle_dispute", dispute_id=dispute, settled_on="2025-01-10")) == [
        "dispute.open"]  # before it was raised
    assert not stream.submit("agreement.settle_dispute", dispute_id=dispute).rejected
    assert rejected_by(stream.submit("agreement.settle_dispute", dispute_id=dispute, settled_by="para_pihak")) == [
        "dispute.open"]  # settled already
    facts = stream.state.legal
    assert facts.disputes[dispute] | {"step": None} == {
        "by": KAB_KUPANG, "step": None, "raised_on": "2025-02-03", "subject": "Pembagian biaya operasional TPA",
        "settled_on": "2025-05-20", "settled_by": "gubernur"}
    days = ("2025-02-02", "2025-02-03", "2025-05-19", "2025-05-20")
    assert [lifecycle.open_disputes(facts, date.fromisoformat(d)) for d in days] == [[], [dispute], [dispute], []]


def test_across_provinces_the_minister_settles() -> None:
    stream = Stream()
    stream.submit("agreement.propose", parties=[{"type": "region", "code": KUPANG},
                                                {"type": "region", "code": MOJOKERTO}])
    for step in RUNNING:
        assert not stream.submit(step).rejected
    dispute = str(uuid4())
    assert not stream.submit("agreement.raise_dispute", dispute_id=dispute).rejected
    assert rejected_by(stream.submit("agreement.settle_dispute", dispute_id=dispute)) == ["dispute.settling_authority"]
    assert not stream.submit("agreement.settle_dispute", dispute_id=dispute, settled_by="menteri").rejected


def _proposed(initiated_on: str, number: str | None = None) -> AgreementState:
    """Kota Kupang's own report of a KSDD with Kabupaten Kupang, initiated that day."""
    stream = Stream()
    stream.submit("agreement.propose", initiated_on=initiated_on, **({"document_number": number} if number else {}))
    assert stream.state is not None
    return stream.state


def _partner_report(initiated_on: str, number: str | None = None) -> dict[str, Any]:
    return PROPOSALS["KSDD"] | {"initiated_on": initiated_on} | ({"document_number": number} if number else {})


def test_the_other_sides_report_joins_by_day_number_or_the_only_one_near() -> None:
    """Each side dates the initiation from its own papers: Kabupaten Kupang's report three days
    after Kota Kupang's is the same cooperation when it is the only one near; of two near ones, the
    one whose number it shares; of two near ones with nothing to tell them apart, neither (for
    review); one far off is another cooperation."""
    july, late_july = _proposed("2024-07-02", "KSB/7/2024"), _proposed("2024-07-20", "KSB/20/2024")
    assert join_target([july], KAB_KUPANG, _partner_report("2024-07-05")) == Match(july)
    assert join_target([july, late_july], KAB_KUPANG, _partner_report("2024-07-20")) == Match(late_july)
    assert join_target([july, late_july], KAB_KUPANG, _partner_report("2024-07-10", "KSB/7/2024")) == Match(july)
    assert join_target([july, late_july], KAB_KUPANG, _partner_report("2024-07-10")) == Match(
        None, (july.agreement_id, late_july.agreement_id))
    assert join_target([july], KAB_KUPANG, _partner_report("2024-12-01")) == Match()
    assert join_target([july], KUPANG, _partner_report("2024-07-02")) == Match()  # its own report: not again
