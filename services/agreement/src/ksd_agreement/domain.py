"""The lifecycle of one cooperation: pure rules and state, no I/O.

State is the fold of an agreement's events (`evolve` one at a time); `decide` turns a submission
into the events it causes, or into a rejection naming the rule. The live service and
`ksd audit replay` call these same functions. Which rules are hard (reject) or soft (apply and
flag), and their parameters, come from `rules.json` (DOMAIN.md; "default" readings have no source).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pydantic import ValidationError

from ksd_common.problems import field_message
from ksd_contracts import events as ev
from ksd_contracts import lifecycle
from ksd_contracts.events import Status, Submitted
from ksd_contracts.language import ENGLISH, Words, speaking
from ksd_contracts.lifecycle import LegalFacts, revised
from ksd_contracts.regions import verifies
from ksd_contracts.submissions import SUBMISSION_MODELS, AgreementPropose, Document

Event = tuple[str, dict[str, Any]]

ALWAYS_HARD = frozenset({"agreement.unknown", "correct.known_submission", "correct.valid_data"})
"""Rules that cannot be soft: there is nothing to apply the step to."""


@dataclass(frozen=True)
class Rule:
    """One named rule as configured: hard rejects, soft applies the step with a flag."""

    name: str
    severity: str
    params: dict[str, Any]
    source: str | None


@cache
def rules() -> dict[str, Rule]:
    """The rule book, loaded once from rules.json."""
    raw = json.loads(resources.files("ksd_agreement").joinpath("rules.json").read_text())
    book = {name: Rule(name, r["severity"], r["params"], r["source"]) for name, r in raw.items()}
    for rule in book.values():
        if rule.severity not in ("hard", "soft") or (rule.name in ALWAYS_HARD and rule.severity != "hard"):
            raise ValueError(f"rules.json: {rule.name} cannot be {rule.severity!r}")
    return book


def param(rule: str, name: str) -> Any:
    return rules()[rule].params[name]


@dataclass(frozen=True)
class Reason:
    """A rule a step broke, and how: `detail` in Bahasa Indonesia, `detail_en` in English (both
    travel in the event, so intake answers in the reader's language)."""

    rule: str
    detail: str
    detail_en: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "detail": self.detail, "detail_en": self.detail_en}


@dataclass(frozen=True)
class AgreementState:
    """What the register says of one agreement."""

    agreement_id: str
    status: str
    kind: str
    title: str
    registry_number: str
    initiated_on: str
    parties: list[dict[str, Any]] = field(default_factory=list)
    urusan: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    mandatory: bool | None = None
    parent_id: str | None = None
    facts: LegalFacts | None = None
    """The legal acts per party (`ksd_contracts.lifecycle`): the stage is derived from them."""
    clock: str = ""
    """The latest day the history speaks from (`lifecycle.clock_date`); `status` is the stage then."""
    document_numbers: dict[str, list[str]] = field(default_factory=dict)
    term_months: int | None = None
    funding: list[dict[str, Any]] = field(default_factory=list)
    ended: str | None = None
    overdue_periods: list[str] = field(default_factory=list)
    """Semesters the scheduler has recorded as overdue (`report_overdue` emitted once each)."""
    flags: list[dict[str, str]] = field(default_factory=list)
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        """The state as stored, with the version of the fold that wrote it."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return data | {"facts": self.legal.to_json(), "fold_version": lifecycle.FOLD_VERSION}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AgreementState:
        fields = {k: v for k, v in data.items() if k != "fold_version"}
        return cls(**fields | {"facts": LegalFacts.from_json(data["facts"])})

    @property
    def legal(self) -> LegalFacts:
        assert self.facts is not None, "an agreement's state always has its facts"
        return self.facts

    @property
    def region_codes(self) -> list[str]:
        return [p["code"] for p in self.parties if p["type"] == "region"]

    @property
    def reported_by(self) -> list[str]:
        return self.legal.reporters

    def stage_on(self, day: date) -> str:
        """The stage on `day` (`lifecycle.stage`); initiated for a day before the initiation."""
        return lifecycle.stage(self.legal, day) or Status.INITIATED


@dataclass(frozen=True)
class Decision:
    """Events to append (type, data), or the reasons a submission is rejected. Each event's
    subject is its `data["agreement_id"]` (an extension also opens its child's stream)."""

    events: list[Event]

    @classmethod
    def reject(cls, submitted: Submitted, *reasons: Reason) -> Decision:
        data = {"submission_id": str(submitted.submission_id), "submission_type": submitted.submission_type,
                "reasons": [r.to_json() for r in reasons], "submitted_by": submitted.region}
        return cls([(ev.SUBMISSION_REJECTED, data)])

    @property
    def rejected(self) -> bool:
        return len(self.events) == 1 and self.events[0][0] == ev.SUBMISSION_REJECTED


# --- the registry number -------------------------------------------------------------------------


def registry_prefix(kind: str, parties: list[dict[str, Any]], initiated_on: str) -> str:
    """`<kind>/<first region code>/<year>/`: the handler appends a 6-digit sequence from its table."""
    first = next(p["code"] for p in parties if p["type"] == "region")
    return f"{kind}/{first}/{initiated_on[:4]}/"


def numbered(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:06d}"


# --- evolve: the state after one event -----------------------------------------------------------


def term_months(start_on: str, end_on: str) -> int:
    start, end = date.fromisoformat(start_on), date.fromisoformat(end_on)
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def upcast(event_type: str, data: dict[str, Any]) -> Event:
    """An event as the current version reads it: `pks_signed.v1` becomes v2 with its term in months.
    Old history stays as it was written; only the reading changes."""
    if event_type == ev.PKS_SIGNED:
        return ev.PKS_SIGNED_V2, data | {"term_months": term_months(data["start_on"], data["end_on"])}
    return event_type, data


def _document_number(data: dict[str, Any]) -> str | None:
    return (data.get("document") or {}).get("number") or data.get("document_number") or data.get("decision_number")


_AMENDABLE = ("title", "objects", "urusan", "funding")
"""The terms an amendment changes here; its new end date is a legal fact (`lifecycle`)."""


def _record(state: AgreementState, event_type: str, data: dict[str, Any]) -> AgreementState:
    """The facts a step records, apart from the status it moves to: a correction re-records them."""
    event_type, data = upcast(event_type, data)
    match event_type:
        case ev.PKS_SIGNED_V2:
            return revised(state, term_months=data["term_months"], funding=data.get("funding", []),
                           objects=data.get("objects") or state.objects)
        case ev.AMENDED:
            changes = {k: v for k, v in data["changes"].items() if k in _AMENDABLE}
            return revised(state, **changes)
        case ev.TERMINATED:
            return revised(state, ended=data["reason"])
        case ev.REPORT_OVERDUE:
            return revised(state, overdue_periods=sorted({*state.overdue_periods, data["period"]}))
        case ev.AGREEMENT_PROPOSED:
            return revised(state, title=data["title"], urusan=data.get("urusan", state.urusan),
                           objects=data.get("objects", state.objects))
    return state


def _proposed(data: dict[str, Any]) -> AgreementState:
    return AgreementState(
        agreement_id=data["agreement_id"], status=Status.INITIATED, kind=data["kind"], title=data["title"],
        registry_number=data["registry_number"], initiated_on=data["initiated_on"], parties=data["parties"],
        urusan=data.get("urusan", []), objects=data.get("objects", []), mandatory=data.get("mandatory"),
        parent_id=data.get("parent_id"),
    )


def _side(state: AgreementState, event_type: str, data: dict[str, Any]) -> AgreementState:
    """Each side's own document numbers and the flags (what a correction supersedes is in the facts:
    `LegalFacts.steps`)."""
    region = data.get("region") or data.get("submitted_by")
    number = _document_number(data)
    numbers = dict(state.document_numbers)
    if region and number:
        numbers[region] = [*numbers.get(region, []), number]
    return revised(state, document_numbers=numbers, flags=[*state.flags, *data.get("flags", [])])


def _legal(state: AgreementState, event_type: str, data: dict[str, Any]) -> AgreementState:
    """The legal facts and the clock after the event, and the stage they give on the clock."""
    facts = lifecycle.record(state.facts, event_type, data)
    assert facts is not None
    day = lifecycle.clock_date(event_type, data)
    clock = max(state.clock, day) if day else state.clock
    status = lifecycle.stage(facts, date.fromisoformat(clock)) if clock else None
    return revised(state, facts=facts, clock=clock, status=status or Status.INITIATED)


def evolve(state: AgreementState | None, event_type: str, data: dict[str, Any]) -> AgreementState | None:
    """The state after one event (its version is the stream's business: see `fold`).
    A rejection changes nothing; a correction re-records the superseded step's facts."""
    if event_type == ev.SUBMISSION_REJECTED:
        return state
    if event_type == ev.AGREEMENT_PROPOSED:
        state = _proposed(data)
    assert state is not None, f"{event_type} before the agreement was proposed"
    state = _legal(_side(state, event_type, data), *upcast(event_type, data))
    if event_type == ev.CORRECTED:
        return _record(state, data["superseded_type"], data["data"])
    return _record(state, event_type, data)


def fold(events: Iterable[Event]) -> AgreementState | None:
    """The state after a whole stream, with its version: the number of events."""
    state: AgreementState | None = None
    version = 0
    for version, (event_type, data) in enumerate(events, start=1):  # noqa: B007
        state = evolve(state, event_type, data)
    return revised(state, version=version) if state else None


# --- decide: what a submission does --------------------------------------------------------------

Check = Callable[[AgreementState, Any, date], list[Reason]]

_ALLOWED_FROM: dict[str, set[str]] = {
    "agreement.record_tkksd_review": {Status.INITIATED, Status.NOT_FEASIBLE, Status.REVIEWED},
    "agreement.record_offer": {Status.INITIATED, Status.REVIEWED},
    "agreement.record_offer_response": {Status.OFFERED, Status.ACCEPTED, Status.DECLINED},
    "agreement.record_ksb": {Status.INITIATED, Status.REVIEWED, Status.ACCEPTED, Status.DPRD_APPROVED,
                             Status.CENTRAL_APPROVED},
    "agreement.record_dprd_approval": {Status.INITIATED, Status.REVIEWED, Status.ACCEPTED, Status.KSB_SIGNED,
                                       Status.CENTRAL_APPROVED},
    "agreement.record_central_approval": {Status.INITIATED, Status.REVIEWED, Status.ACCEPTED, Status.KSB_SIGNED,
                                          Status.DPRD_APPROVED, Status.CENTRAL_APPROVED},
    "agreement.record_pks": {Status.INITIATED, Status.REVIEWED, Status.ACCEPTED, Status.KSB_SIGNED,
                             Status.DPRD_APPROVED, Status.CENTRAL_APPROVED},
    "agreement.amend": {Status.PKS_SIGNED, Status.RUNNING},
    "agreement.extend": {Status.PKS_SIGNED, Status.RUNNING},
    "agreement.report_progress": {Status.PKS_SIGNED, Status.RUNNING, Status.ENDED, Status.EXPIRED},
    "agreement.raise_dispute": {Status.KSB_SIGNED, Status.DPRD_APPROVED, Status.CENTRAL_APPROVED, Status.PKS_SIGNED,
                                Status.RUNNING, Status.ENDED, Status.EXPIRED},
}
"""The stages each step may follow (on the step's legal date); terminate and correct may follow any
open stage. A second region's review, a second partner's answer and a second region's DPRD approval
follow the first one's; each party acts once (`_acted_already`)."""

_STILL_OPEN = ("agreement.report_progress", "agreement.correct", "agreement.withdraw", "agreement.raise_dispute",
               "agreement.settle_dispute")
"""Steps that may still come after the end: a late report, a correction, the withdrawal of the
record, and a dispute over what the ended cooperation left (and its settlement)."""


def _head_signed(doc: Document, state: AgreementState, *, kuasa: bool) -> list[str]:
    """Region signatories not signing as region head (or, where `kuasa`, under a surat kuasa)."""
    codes = set(state.region_codes)
    return [s.name for s in doc.signatories if s.party in codes
            and not (s.capacity == "kepala_daerah" or (kuasa and s.capacity == "kuasa" and s.power_of_attorney))]


def _dprd_missing(state: AgreementState) -> list[str]:
    """The party regions whose DPRD has not approved."""
    return [r for r in state.region_codes if r not in state.legal.dprd]


def _foreign_gate(state: AgreementState) -> list[Reason]:
    if state.kind not in lifecycle.FOREIGN_KINDS:
        return []
    missing = [f"dprd {r}" for r in _dprd_missing(state)] + [
        a for a in lifecycle.CENTRAL_AUTHORITIES if a not in state.legal.central]
    return [Reason("foreign.approvals_before_signing",
                   f"{state.kind} ditandatangani hanya setelah persetujuan DPRD dan pusat; belum ada:"
                   f" {', '.join(missing)}",
                   f"a {state.kind} is signed only after DPRD and central approval; missing: {', '.join(missing)}")
            ] if missing else []


def _check_ksb(state: AgreementState, step: Any, today: date) -> list[Reason]:
    reasons = [Reason("ksb.signed_by_head", f"{name} tidak menandatangani sebagai kepala_daerah",
                      f"{name} did not sign as kepala_daerah")
               for name in _head_signed(step.document, state, kuasa=False)]
    if not any(s.party in state.region_codes for s in step.document.signatories):
        reasons.append(Reason("ksb.signed_by_head", "tidak ada kepala daerah pihak yang menandatangani KSB",
                              "no region head of a party signed the KSB"))
    reviews = state.legal.reviews.values()
    if not reviews or not all(r["feasible"] for r in reviews):
        reasons.append(Reason("ksb.without_tkksd", "tidak ada kajian TKKSD yang menyatakan kerja sama ini layak",
                              "no TKKSD review found the cooperation layak"))
    return reasons + _foreign_gate(state)


def _years(start: date, end: date) -> float:
    return (end - start).days / 365.25


def _check_pks(state: AgreementState, step: Any, today: date) -> list[Reason]:
    reasons = [Reason("pks.signatory_authorised", f"{name} bukan kepala_daerah dan bukan kuasa dengan surat kuasa",
                      f"{name} is neither kepala_daerah nor kuasa with a surat kuasa")
               for name in _head_signed(step.document, state, kuasa=True)]
    if step.dprd_required and (missing := _dprd_missing(state)):
        reasons.append(Reason("pks.dprd_before_effect",
                              f"persetujuan DPRD diperlukan sebelum PKS berlaku; belum ada: {', '.join(missing)}",
                              f"DPRD approval is required before the PKS takes effect; missing: {', '.join(missing)}"))
    reasons += _foreign_gate(state)
    if not state.legal.ksb and state.kind in param("pks.without_ksb", "kinds"):
        if step.legal_basis or not param("pks.without_ksb", "needs_legal_basis"):
            reasons.append(Reason("pks.without_ksb", f"tanpa KSB sebelumnya; dasar hukum: {step.legal_basis}",
                                  f"no prior KSB; legal basis: {step.legal_basis}"))
        else:
            return [*reasons, Reason("pks.without_ksb", NO_LEGAL_BASIS.id, NO_LEGAL_BASIS.en)]
    max_years = param("pks.over_max_years", "max_years")
    if _years(step.start_on, step.end_on) > max_years and not step.legal_basis:
        reasons.append(Reason("pks.over_max_years", f"berjalan lebih dari {max_years} tahun tanpa dasar hukum khusus",
                              f"runs over {max_years} years without a special legal basis"))
    for f in step.funding:
        if f.source in param("pks.no_plan_reference", "sources") and not (f.plan and f.program):
            reasons.append(Reason("pks.no_plan_reference",
                                  f"pendanaan {f.source} tanpa rencana dan program RPJMD/RKPD",
                                  f"{f.source} funding with no RPJMD/RKPD plan and program"))
    return reasons


NO_LEGAL_BASIS = Words("PKS tanpa KSB sebelumnya memerlukan legal_basis",
                       "a PKS without a prior KSB needs a legal_basis")


def _hard_pks_without_ksb(reasons: list[Reason]) -> list[Reason]:
    """`pks.without_ksb` with no legal basis rejects even though the rule is soft (DOMAIN.md default)."""
    return [r for r in reasons if r.rule == "pks.without_ksb" and r.detail == NO_LEGAL_BASIS.id]


def _check_amend(state: AgreementState, step: Any, today: date) -> list[Reason]:
    changes = step.changes
    parties = [p.model_dump(mode="json") for p in changes.parties] if changes.parties is not None else None
    if (changes.kind is not None and changes.kind != state.kind) or (parties is not None and parties != state.parties):
        return [Reason("amend.kind_and_parties_fixed", "adendum tidak dapat mengubah jenis atau para pihak",
                       "an amendment cannot change the kind or the parties")]
    return []


def _check_extend(state: AgreementState, step: Any, today: date) -> list[Reason]:
    facts = state.legal
    if facts.successor_id:
        return [Reason("step.out_of_order", f"sudah diperpanjang oleh {facts.successor_id}",
                       f"already extended by {facts.successor_id}")]
    if facts.end_on and step.document.signed_on > date.fromisoformat(facts.end_on):
        return [Reason("extend.before_end",
                       f"ditandatangani {step.document.signed_on}, sesudah berakhir pada {facts.end_on}",
                       f"signed {step.document.signed_on} after the end on {facts.end_on}")]
    return []


def _check_report(state: AgreementState, step: Any, today: date) -> list[Reason]:
    if semester_start(step.period) > today:
        return [Reason("report.period_started", f"semester {step.period} belum dimulai",
                       f"the semester {step.period} has not begun")]
    return []


def _check_withdraw(state: AgreementState, step: Any, today: date) -> list[Reason]:
    others = [r for r in state.legal.reporters if r not in state.legal.proposers[:1]]
    if others:
        return [Reason("withdraw.own_record", f"{', '.join(others)} juga melaporkannya: catatan ini milik mereka juga",
                       f"{', '.join(others)} reported it too: it is theirs as well")]
    return []


def _check_settle(state: AgreementState, step: Any, today: date) -> list[Reason]:
    """A settlement names an open dispute of this agreement, is dated on or after it, and comes from
    the authority PP 28/2018 gives it: the parties themselves, the governor for regencies/cities of
    one province, the minister across provinces or where a province is a party."""
    dispute = state.legal.disputes.get(str(step.dispute_id))
    if dispute is None or dispute["settled_on"] is not None:
        if dispute:
            return [Reason("dispute.open", f"{step.dispute_id} sudah diselesaikan pada {dispute['settled_on']}",
                           f"{step.dispute_id} was settled on {dispute['settled_on']}")]
        return [Reason("dispute.open", f"{step.dispute_id} bukan sengketa kerja sama ini",
                       f"{step.dispute_id} is not a dispute of this agreement")]
    if step.settled_on.isoformat() < dispute["raised_on"]:
        return [Reason("dispute.open",
                       f"diselesaikan pada {step.settled_on}, sebelum diajukan pada {dispute['raised_on']}",
                       f"settled on {step.settled_on}, before it was raised on {dispute['raised_on']}")]
    provinces = {code[:2] for code in state.region_codes}
    governor = len(provinces) == 1 and all(len(code) == 5 for code in state.region_codes)
    if step.settled_by == ("menteri" if governor else "gubernur"):
        authority, parties = ("gubernur" if governor else "menteri"), ", ".join(state.region_codes)
        return [Reason("dispute.settling_authority",
                       f"sengketa antara {parties} diselesaikan oleh {authority}, bukan {step.settled_by}",
                       f"a dispute between {parties} is settled by the {authority}, not the {step.settled_by}")]
    return []


def _check_central(state: AgreementState, step: Any, today: date) -> list[Reason]:
    if state.kind not in lifecycle.FOREIGN_KINDS:
        return [Reason("step.out_of_order", f"{state.kind} tidak memiliki tahap persetujuan pusat",
                       f"a {state.kind} has no central approval step")]
    return []


def _acted_already(state: AgreementState, submitted: Submitted, step: Any) -> list[Reason]:
    """Each region reviews, and its DPRD approves, once (a region whose TKKSD found the cooperation
    tidak layak may review it again); each partner answers the offer once."""
    facts, region = state.legal, str(submitted.region)
    match submitted.submission_type:
        case "agreement.record_tkksd_review" if facts.reviews.get(region, {}).get("feasible"):
            return [Reason("step.out_of_order", f"TKKSD {region} sudah menyatakannya layak",
                           f"the TKKSD of {region} found it layak already")]
        case "agreement.record_dprd_approval" if region in facts.dprd:
            return [Reason("step.out_of_order", f"persetujuan DPRD {region} sudah tercatat",
                           f"the DPRD approval of {region} was recorded already")]
        case "agreement.record_offer_response" if str(step.party or region) in facts.responses:
            return [Reason("step.out_of_order", f"{step.party or region} sudah menjawab penawaran",
                           f"{step.party or region} answered the offer already")]
    return []


_CHECKS: dict[str, Check] = {
    "agreement.record_ksb": _check_ksb,
    "agreement.record_pks": _check_pks,
    "agreement.record_central_approval": _check_central,
    "agreement.amend": _check_amend,
    "agreement.extend": _check_extend,
    "agreement.report_progress": _check_report,
    "agreement.withdraw": _check_withdraw,
    "agreement.settle_dispute": _check_settle,
}


def semester_start(period: str) -> date:
    year, half = int(period[:4]), period[-1]
    return date(year, 1 if half == "1" else 7, 1)


def _lifecycle(state: AgreementState, submitted: Submitted, flags: list[Reason]) -> dict[str, Any]:
    return {"agreement_id": state.agreement_id, "submission_id": str(submitted.submission_id),
            **submitted.submitter(), "flags": [f.to_json() for f in flags]}


def _order(state: AgreementState, kind: str, step: dict[str, Any], today: date) -> list[Reason]:
    """Whether the step (as its event carries it) may follow the stage the agreement stood at on the
    step's own legal date (a back-filled step is judged by the day it was taken, not by the day it
    is recorded)."""
    day = lifecycle.legal_date(step)
    status = state.stage_on(min(date.fromisoformat(day), today) if day else today)
    if status in (Status.ENDED, Status.EXPIRED) and kind not in _STILL_OPEN:
        return [Reason("agreement.closed", f"status kerja sama ini {status}", f"the agreement is {status}")]
    allowed = _ALLOWED_FROM.get(kind)
    if allowed is not None and status not in allowed:
        return [Reason("step.out_of_order", f"{kind} tidak dapat mengikuti status {status}",
                       f"{kind} cannot follow status {status}")]
    return []


def _split(reasons: list[Reason]) -> tuple[list[Reason], list[Reason]]:
    """Hard reasons reject; soft ones are flags on the applied step."""
    hard = [r for r in reasons if rules()[r.rule].severity == "hard"] + _hard_pks_without_ksb(reasons)
    return hard, [r for r in reasons if r not in hard]


def _propose(state: AgreementState | None, submitted: Submitted) -> Decision:
    proposal = AgreementPropose.model_validate(submitted.payload)
    agreement_id = str(submitted.agreement_id)
    if state is None:
        data = proposal.model_dump(mode="json", exclude_none=True)
        data |= {"agreement_id": agreement_id, "submission_id": str(submitted.submission_id),
                 **submitted.submitter(), "flags": [],
                 "registry_number": registry_prefix(proposal.kind, data["parties"], data["initiated_on"])}
        return Decision([(ev.AGREEMENT_PROPOSED, data)])
    if submitted.region not in state.region_codes:
        return Decision.reject(submitted, _not_a_party(submitted))
    if state.legal.withdrawn:
        return Decision.reject(submitted, _withdrawn(state))
    if submitted.region in state.legal.proposers:
        return Decision.reject(submitted, Reason("agreement.already_reported",
                                                 f"{submitted.region} sudah melaporkannya",
                                                 f"{submitted.region} reported it"))
    flags = _differences(state, proposal)
    data = _lifecycle(state, submitted, flags) | {
        "region": submitted.region, "submission_type": submitted.submission_type,
    } | ({"document_number": proposal.document_number} if proposal.document_number else {})
    return Decision([(ev.PARTY_REPORTED, data)])


def reconciliation_key(proposal: dict[str, Any]) -> str | None:
    """What both sides' reports of one agreement share when they do not share an id: the kind and
    the party regions, read from a proposal as intake validated it (`join_target` then compares the
    dates and numbers). None when only one region is a party: no other side reports it."""
    regions = sorted(p["code"] for p in proposal["parties"] if p["type"] == "region")
    return f"{proposal['kind']}|{','.join(regions)}" if len(regions) > 1 else None


def waiting_for(state: AgreementState | None) -> list[str]:
    """The party regions whose own report an agreement still waits for: the only regions whose new
    report may join it (`join_target`). Nobody, for a proposal that was refused: there is nothing to join."""
    if state is None:
        return []
    return [r for r in state.region_codes if r not in state.reported_by]


@dataclass(frozen=True)
class Match:
    """What a new report of a key joins: `target`, or nothing; `ambiguous` names the agreements it
    may be, when more than one could and nothing tells them apart (for review, not a guess)."""

    target: AgreementState | None = None
    ambiguous: tuple[str, ...] = ()


def join_target(candidates: Iterable[AgreementState | None], region: str, proposal: dict[str, Any]) -> Match:
    """The agreement a region's new report joins, among those of its key that the region has not
    reported yet and whose affairs agree with the report's (one in common, or one side gave none, as
    an imported register without codes). Each side dates the initiation from its own papers and
    numbers its own copies, so the same cooperation is recognised by, in turn: the same date; a
    document number both sides wrote (the report's own number among the other's KSB/PKS numbers);
    the only one dated within the window (`reconciliation.ambiguous`'s `window_days`). Several in
    the window and nothing else: none is joined, and the new agreement is flagged with their ids for
    the province and the directorate to review. In registration order, so concurrent reports
    resolve the same way on any replay."""
    theirs = set(proposal.get("urusan") or [])
    open_ = [s for s in candidates if s is not None and not s.legal.withdrawn and region not in s.reported_by
             and (not theirs or not s.urusan or theirs & set(s.urusan))]
    day = date.fromisoformat(str(proposal["initiated_on"]))
    if same_day := [s for s in open_ if s.initiated_on == day.isoformat()]:
        return Match(same_day[0])
    number = proposal.get("document_number")
    if number and len(shared := [s for s in open_ if number in _numbers(s)]) == 1:
        return Match(shared[0])
    near = [s for s in open_ if near_in_time(s.initiated_on, day.isoformat())]
    if len(near) == 1:
        return Match(near[0])
    return Match(None, tuple(s.agreement_id for s in near))


def near_in_time(one: str, other: str) -> bool:
    """Whether two sides' initiation dates (ISO days) are close enough to be the same cooperation
    dated from each side's own papers: within `reconciliation.ambiguous`'s `window_days`."""
    days = abs((date.fromisoformat(one) - date.fromisoformat(other)).days)
    return days <= int(param("reconciliation.ambiguous", "window_days"))


def _numbers(state: AgreementState) -> set[str]:
    """Every number a side wrote for the agreement: its KSB and PKS copies, its own report's."""
    facts = state.legal
    return {c["number"] for c in (*facts.ksb.values(), *facts.pks.values()) if c.get("number")} | {
        n for numbers in state.document_numbers.values() for n in numbers}


def _differences(state: AgreementState, proposal: AgreementPropose) -> list[Reason]:
    """Where the other side's report disagrees with the register (soft, for the ministry)."""
    theirs = proposal.model_dump(mode="json")
    key = lambda p: json.dumps(p, sort_keys=True)  # noqa: E731
    differ = [name for name, same in (
        ("kind", theirs["kind"] == state.kind), ("title", theirs["title"] == state.title),
        ("parties", sorted(map(key, theirs["parties"])) == sorted(map(key, state.parties))),
    ) if not same]
    return [Reason("party.report_differs", f"{name} berbeda dari register", f"{name} differs from the register")
            for name in differ]


def _copies(state: AgreementState, kind: str) -> dict[str, dict[str, Any]]:
    """Each region's copy of the document a signing step records (none for other steps)."""
    return {"agreement.record_ksb": state.legal.ksb, "agreement.record_pks": state.legal.pks}.get(kind, {})


def _own_copy(state: AgreementState, submitted: Submitted, step: Any) -> Decision:
    """Another party records its own copy of a document already signed: its number joins the
    register, a date that differs from the register's is flagged, a second copy from the same
    side is out of order."""
    kind = submitted.submission_type
    copies = {r: c["signed_on"] for r, c in _copies(state, kind).items()}
    if submitted.region in copies:
        already = Reason("step.out_of_order", f"{submitted.region} sudah mencatat {kind} miliknya",
                         f"{submitted.region} recorded its {kind} already")
        return Decision.reject(submitted, already)
    signed_on = step.document.signed_on.isoformat()
    first = next(iter(copies.values()))
    flags = [Reason("party.report_differs", f"salinannya bertanggal {signed_on}, register {first}",
                    f"its copy is dated {signed_on}, the register's {first}")
             ] if signed_on != first else []
    data = _lifecycle(state, submitted, flags) | {
        "region": submitted.region, "submission_type": kind, "document_number": step.document.number,
        "signed_on": signed_on}
    return Decision([(ev.PARTY_REPORTED, data)])


def _extension(state: AgreementState, submitted: Submitted, data: dict[str, Any]) -> list[Event]:
    """The parent's `extended`, then the child's own `proposed`, linked by parent_id."""
    child = uuid5(NAMESPACE_URL, f"ksd:extension:{submitted.submission_id}")
    data = data | {"new_agreement_id": data.get("new_agreement_id") or str(child)}
    signed = data["document"]["signed_on"]
    proposed = {
        "agreement_id": data["new_agreement_id"], "submission_id": str(submitted.submission_id),
        **submitted.submitter(), "flags": [], "kind": state.kind, "title": state.title,
        "parties": state.parties, "urusan": state.urusan, "objects": state.objects, "initiated_on": signed,
        "parent_id": state.agreement_id, "registry_number": registry_prefix(state.kind, state.parties, signed),
    } | ({"mandatory": state.mandatory} if state.mandatory is not None else {})
    return [(ev.EXTENDED, data), (ev.AGREEMENT_PROPOSED, proposed)]


_SUBMISSION_OF_EVENT = {event: kind for kind, event in ev.STEP_EVENTS.items()} | {
    ev.AGREEMENT_PROPOSED: "agreement.propose"}


def _correct(state: AgreementState, submitted: Submitted, step: Any) -> Reason | dict[str, Any]:
    """The superseded step's type and the corrected data, checked as that step's submission."""
    superseded = state.legal.steps.get(str(step.supersedes), [None])[0]
    if superseded not in _SUBMISSION_OF_EVENT:  # unknown, a correction, or another side's own report
        return Reason("correct.known_submission", f"{step.supersedes} bukan langkah kerja sama ini",
                      f"{step.supersedes} is no step of this agreement")
    model = SUBMISSION_MODELS[_SUBMISSION_OF_EVENT[superseded]]
    try:
        own_id = {} if superseded == ev.AGREEMENT_PROPOSED else {"agreement_id": state.agreement_id}
        model.model_validate(step.data | own_id)
    except ValidationError as e:
        with speaking(ENGLISH):
            english = field_message(e.errors()[0])
        return Reason("correct.valid_data", field_message(e.errors()[0]), english)
    return {"superseded_type": superseded}


def _withdrawn(state: AgreementState) -> Reason:
    withdrawal = state.legal.withdrawn or {}
    by, reason = withdrawal.get("by"), withdrawal.get("reason")
    return Reason("agreement.withdrawn", f"{by} menarik catatan ini: {reason}", f"{by} withdrew the record: {reason}")


def _not_a_party(submitted: Submitted) -> Reason:
    return Reason("agreement.not_a_party", f"{submitted.region} bukan pihak", f"{submitted.region} is not a party")


def _verdict(state: AgreementState, submitted: Submitted) -> Decision:
    """A province's verification or return of a record: only the province of a party regency/city
    gives one (`verify.province_of_regency`), on a record still on the register, at any stage."""
    if not verifies(submitted.role, submitted.region, state.region_codes):
        parties = ", ".join(state.region_codes)
        return Decision.reject(submitted, Reason(
            "verify.province_of_regency",
            f"{submitted.region} ({submitted.role}) bukan provinsi dari kabupaten/kota pihak {parties}",
            f"{submitted.region} ({submitted.role}) is not the province of a party regency/city of {parties}"))
    if state.legal.withdrawn:
        return Decision.reject(submitted, _withdrawn(state))
    step = SUBMISSION_MODELS[submitted.submission_type].model_validate(submitted.payload)
    data = step.model_dump(mode="json", exclude_none=True) | _lifecycle(state, submitted, [])
    return Decision([(ev.VERIFICATION_EVENTS[submitted.submission_type], data)])


def decide(state: AgreementState | None, submitted: Submitted, today: date) -> Decision:
    """What a submission does to an agreement, under the rules of PP 28/2018."""
    kind = submitted.submission_type
    if kind == "agreement.propose":
        return _propose(state, submitted)
    if state is None:
        return Decision.reject(submitted, Reason("agreement.unknown", f"tidak ada kerja sama {submitted.agreement_id}",
                                                 f"no agreement {submitted.agreement_id}"))
    if kind in ev.VERIFICATION_EVENTS:
        return _verdict(state, submitted)
    if submitted.region not in state.region_codes:
        return Decision.reject(submitted, _not_a_party(submitted))
    if state.legal.withdrawn:
        return Decision.reject(submitted, _withdrawn(state))
    if kind == "agreement.withdraw" and state.legal.proposers[:1] != [submitted.region]:
        return Decision.reject(submitted, Reason("withdraw.own_record", f"{submitted.region} tidak mencatatnya",
                                                 f"{submitted.region} did not enter it"))
    step = SUBMISSION_MODELS[kind].model_validate(submitted.payload)
    if _copies(state, kind):
        return _own_copy(state, submitted, step)
    carried = step.model_dump(mode="json", exclude_none=True)
    reasons = _order(state, kind, carried, today) + _acted_already(state, submitted, step)
    hard, soft = _split(reasons + (_CHECKS[kind](state, step, today) if kind in _CHECKS else []))
    if hard:
        return Decision.reject(submitted, *hard)
    data = carried | _lifecycle(state, submitted, soft)
    if kind == "agreement.correct":
        found = _correct(state, submitted, step)
        if isinstance(found, Reason):
            return Decision.reject(submitted, found)
        data |= found
    if kind == "agreement.extend":
        return Decision(_extension(state, submitted, data))
    if kind == "agreement.raise_dispute":  # intake assigns the id; a submission without one keys it itself
        data.setdefault("dispute_id", str(submitted.submission_id))
    return Decision([(ev.STEP_EVENTS[kind], data)])


# --- time: what the scheduler owes an agreement ---------------------------------------------------


def due(state: AgreementState, today: date) -> list[Event]:
    """What the history owes an agreement today, as the record of when the platform saw time pass:
    `started` once a PKS signed ahead of its start reaches it, `report_overdue` for each semester
    whose report `lifecycle.overdue_periods` finds missing, and `expired` past its end with no
    extension. The stage does not wait for these (it is derived from the legal dates); the
    scheduler emits each once (its table keys them by agreement, what and period)."""
    facts = state.legal
    if (not facts.pks or facts.start_on is None or facts.end_on is None or facts.withdrawn
            or state.status == Status.ENDED):
        return []
    owed: list[Event] = []
    if state.status == Status.PKS_SIGNED and facts.start_on <= today.isoformat():
        owed.append((ev.STARTED, {"agreement_id": state.agreement_id, "flags": [], "start_on": facts.start_on}))
    arrears = {p: d for p, d, _ in lifecycle.report_periods(facts)}
    owed += [
        (ev.REPORT_OVERDUE, {"agreement_id": state.agreement_id, "flags": [], "period": period,
                             "due_on": arrears[period]})
        for period in lifecycle.overdue_periods(facts, today) if period not in state.overdue_periods
    ]
    if state.status != Status.EXPIRED and not facts.successor_id and facts.end_on < today.isoformat():
        owed.append((ev.EXPIRED, {"agreement_id": state.agreement_id, "flags": [], "end_on": facts.end_on}))
    return owed
