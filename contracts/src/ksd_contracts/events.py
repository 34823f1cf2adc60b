"""The events each service emits, by `type`, with the model of their `data`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ksd_contracts import submissions as s
from ksd_contracts.envelope import event_type


def submission_type(name: str) -> str:
    """The event type of a submission: `agreement.propose` -> `...submission.agreement_propose.v1`."""
    return event_type("submission", name.replace(".", "_"))


class Submitted(BaseModel):
    """`data` of a submission event on `ksd.intake.submissions`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    submission_id: UUID
    submission_type: str
    role: str
    region: str | None
    agreement_id: UUID | None = None
    payload: dict[str, Any] = Field(description="The submission's validated `data`.")
    actor: str | None = Field(default=None, max_length=300, description=(
        "Who acted for the region: `person:<username>` or `machine:<client id>` (Keycloak), or"
        " `token:<first 12 hex of its hash>` (a platform token). Absent from events recorded before"
        " it was kept."))

    def submitter(self) -> dict[str, str | None]:
        """How an event applying this submission names who submitted it: the region, and who acted
        for it when the submission recorded that (older ones did not)."""
        return {"submitted_by": self.region} | ({"acted_by": self.actor} if self.actor else {})


class SubmissionRejected(BaseModel):
    """`data` of `agreement.submission_rejected`: a lifecycle rule said no; the node sees why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    submission_id: UUID
    submission_type: str
    reasons: list[dict[str, str]] = Field(description="Each with `rule` and `detail`.")
    submitted_by: str | None = Field(default=None, description="The region whose submission was refused"
                                     " (absent from rejections recorded before it was added).")


class CredentialIssued(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    token_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: str
    region: str | None
    label: str | None = None


class CredentialRevoked(BaseModel):
    """`data` of `admin.credential_revoked`: the token with this hash stops working everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    token_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    reason: str | None = Field(default=None, description="`revoked`, or `rotated` when a new token replaced it.")


class Status(StrEnum):
    """Where an agreement stands. Amendments, evaluations and reports are steps on the timeline of a
    running agreement, not statuses of their own."""

    INITIATED = "initiated"
    REVIEWED = "reviewed"
    NOT_FEASIBLE = "not_feasible"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    KSB_SIGNED = "ksb_signed"
    DPRD_APPROVED = "dprd_approved"
    CENTRAL_APPROVED = "central_approved"
    PKS_SIGNED = "pks_signed"
    RUNNING = "running"
    ENDED = "ended"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Flag(BaseModel):
    """A soft rule that did not hold: the step is applied and the ministry sees the flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: str = Field(description="The named rule, e.g. `pks.without_ksb`.")
    detail: str = Field(description="How it did not hold, in Bahasa Indonesia (English in events of 2026-11 and"
                                    " before).")
    detail_en: str | None = Field(default=None, description="The same in English, for `Accept-Language: en`.")


class Lifecycle(BaseModel):
    """What every lifecycle event carries beside the step's own fields. Events of the scheduler
    (expiry, overdue reports) have no submission and no submitter."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    agreement_id: UUID
    submission_id: UUID | None = None
    submitted_by: str | None = Field(default=None, description="The region code of the node that submitted.")
    acted_by: str | None = Field(default=None, description="Who acted for it (`Submitted.actor`), when recorded.")
    flags: list[Flag] = Field(default_factory=list)


class AgreementProposed(Lifecycle, s.AgreementPropose):
    """The first report of an agreement; for an extension, `parent_id` is the agreement it extends."""

    agreement_id: UUID
    registry_number: str = Field(description="The national registry number, stable for the agreement's life.")
    parent_id: UUID | None = None


class PartyReported(Lifecycle):
    """Another party region reported an agreement already on the register (both sides submit);
    where its report disagrees with the register, `flags` say how."""

    region: str
    document_number: str | None = None
    signed_on: date | None = None
    """For its own copy of a signed KSB or PKS: the date that side's copy bears."""
    submission_type: str
    reported_as: UUID | None = None
    """The id this side's report came with, when it was joined to the register's agreement by its
    reconciliation key (kind, party regions, date of initiation); that side's later steps use it."""


class TkksdReviewed(Lifecycle, s.RecordTkksdReview):
    pass


class Offered(Lifecycle, s.RecordOffer):
    pass


class OfferResponded(Lifecycle, s.RecordOfferResponse):
    pass


class KsbSigned(Lifecycle, s.RecordKsb):
    pass


class DprdApproved(Lifecycle, s.RecordDprdApproval):
    pass


class CentralApproved(Lifecycle, s.RecordCentralApproval):
    pass


class PksSigned(Lifecycle, s.RecordPks):
    pass


def starts_on_signing(pks: dict[str, Any]) -> bool:
    """Whether a signed PKS (`pks_signed` data) starts by the day it is signed: the agreement runs
    from its signing; else from its start date, on the agreement scheduler's `started`."""
    return str(pks["start_on"]) <= str(pks["document"]["signed_on"])


class PksSignedV2(PksSigned):
    """`pks_signed.v2`: v1 plus `term_months`, the term in whole months from start to end, so that
    readers need not compute it. The agreement service reads v1 history by upcasting it to v2."""

    term_months: int = Field(ge=0, description="Whole months from start_on to end_on.")


class Amended(Lifecycle, s.Amend):
    pass


class Extended(Lifecycle, s.Extend):
    """On the parent: its successor is `new_agreement_id`, which starts with its own `proposed`."""

    new_agreement_id: UUID


class Terminated(Lifecycle, s.Terminate):
    pass


class ProgressReported(Lifecycle, s.ReportProgress):
    pass


class Withdrawn(Lifecycle, s.Withdraw):
    """The reporting region withdrew the record: it was never a cooperation on the register."""


class DisputeRaised(Lifecycle, s.RaiseDispute):
    """A party raised the dispute `dispute_id`."""

    dispute_id: UUID


class DisputeSettled(Lifecycle, s.SettleDispute):
    """The dispute `dispute_id` was settled."""


class Verified(Lifecycle, s.Verify):
    """The province (`submitted_by`) verified the record as it stood: every step before this one."""


class Returned(Lifecycle, s.ReturnForCorrection):
    """The province (`submitted_by`) returned the record to its regency for correction, with a note."""


class Corrected(Lifecycle):
    """Supersedes the event caused by submission `supersedes`; that event stays in the log."""

    supersedes: UUID
    superseded_type: str = Field(description="The event type superseded, e.g. `...agreement.ksb_signed.v1`.")
    reason: str
    data: dict[str, Any]


class Started(Lifecycle):
    """The scheduler saw the start date of a PKS signed ahead of it arrive: the agreement runs."""

    start_on: date


class Expired(Lifecycle):
    """The scheduler saw the end date pass with no extension."""

    end_on: date


class ReportOverdue(Lifecycle):
    """The scheduler saw a reporting period end without a progress report."""

    period: str
    due_on: date


AGREEMENT_PROPOSED = event_type("agreement", "proposed")
PARTY_REPORTED = event_type("agreement", "party_reported")
TKKSD_REVIEWED = event_type("agreement", "tkksd_reviewed")
OFFERED = event_type("agreement", "offered")
OFFER_RESPONDED = event_type("agreement", "offer_responded")
KSB_SIGNED = event_type("agreement", "ksb_signed")
DPRD_APPROVED = event_type("agreement", "dprd_approved")
CENTRAL_APPROVED = event_type("agreement", "central_approved")
PKS_SIGNED = event_type("agreement", "pks_signed")
PKS_SIGNED_V2 = event_type("agreement", "pks_signed", 2)
AMENDED = event_type("agreement", "amended")
EXTENDED = event_type("agreement", "extended")
TERMINATED = event_type("agreement", "terminated")
PROGRESS_REPORTED = event_type("agreement", "progress_reported")
CORRECTED = event_type("agreement", "corrected")
WITHDRAWN = event_type("agreement", "withdrawn")
DISPUTE_RAISED = event_type("agreement", "dispute_raised")
DISPUTE_SETTLED = event_type("agreement", "dispute_settled")
STARTED = event_type("agreement", "started")
EXPIRED = event_type("agreement", "expired")
REPORT_OVERDUE = event_type("agreement", "report_overdue")
VERIFIED = event_type("agreement", "verified")
RETURNED = event_type("agreement", "returned")
SUBMISSION_REJECTED = event_type("agreement", "submission_rejected")

# --- held submissions (ksd.agreement.events, ksd.mapping.events) ---------------------------------


class SubmissionHeld(BaseModel):
    """`data` of `submission.held`: the service could not apply a submission (its handler failed, or
    an earlier event of the same stream is held) and parked it to apply again once the cause is
    fixed (`ksd admin dlq redrive`). Not a verdict: `applied` or `rejected` follows, and wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    submission_id: UUID
    submission_type: str
    held_by: str = Field(description="The service that holds it, e.g. `agreement`.")
    error: str = Field(max_length=2000, description="Why, as the service logged it.")


SUBMISSION_HELD = event_type("submission", "held")
"""Emitted (through its outbox, keyed by the submission id) by the service that parked the
submission, on its own events topic; intake shows the submission as `held` until the answer comes."""

AGREEMENT_EVENT_MODELS: dict[str, type[BaseModel]] = {
    AGREEMENT_PROPOSED: AgreementProposed,
    PARTY_REPORTED: PartyReported,
    TKKSD_REVIEWED: TkksdReviewed,
    OFFERED: Offered,
    OFFER_RESPONDED: OfferResponded,
    KSB_SIGNED: KsbSigned,
    DPRD_APPROVED: DprdApproved,
    CENTRAL_APPROVED: CentralApproved,
    PKS_SIGNED: PksSigned,
    PKS_SIGNED_V2: PksSignedV2,
    AMENDED: Amended,
    EXTENDED: Extended,
    TERMINATED: Terminated,
    PROGRESS_REPORTED: ProgressReported,
    CORRECTED: Corrected,
    WITHDRAWN: Withdrawn,
    DISPUTE_RAISED: DisputeRaised,
    DISPUTE_SETTLED: DisputeSettled,
    STARTED: Started,
    EXPIRED: Expired,
    REPORT_OVERDUE: ReportOverdue,
    VERIFIED: Verified,
    RETURNED: Returned,
    SUBMISSION_REJECTED: SubmissionRejected,
    SUBMISSION_HELD: SubmissionHeld,
}
"""Every event type on `ksd.agreement.events` with the model of its `data` (`ksd audit verify`
checks each event against it)."""

STEP_EVENTS: dict[str, str] = {
    "agreement.record_tkksd_review": TKKSD_REVIEWED,
    "agreement.record_offer": OFFERED,
    "agreement.record_offer_response": OFFER_RESPONDED,
    "agreement.record_ksb": KSB_SIGNED,
    "agreement.record_dprd_approval": DPRD_APPROVED,
    "agreement.record_central_approval": CENTRAL_APPROVED,
    "agreement.record_pks": PKS_SIGNED,
    "agreement.amend": AMENDED,
    "agreement.extend": EXTENDED,
    "agreement.terminate": TERMINATED,
    "agreement.report_progress": PROGRESS_REPORTED,
    "agreement.correct": CORRECTED,
    "agreement.withdraw": WITHDRAWN,
    "agreement.raise_dispute": DISPUTE_RAISED,
    "agreement.settle_dispute": DISPUTE_SETTLED,
}
"""The event a valid step submission becomes (`agreement.propose` becomes `proposed` or `party_reported`)."""

VERIFICATION_EVENTS: dict[str, str] = {"agreement.verify": VERIFIED, "agreement.return": RETURNED}
"""The event a province's verdict becomes. Not in STEP_EVENTS: a verdict is no step of the
cooperation, so no correction supersedes it (a new verdict follows instead)."""
URUSAN_CLASSIFIED = event_type("mapping", "urusan_classified")
REGION_SUBMISSION_REJECTED = event_type("mapping", "submission_rejected")
"""A `region.*` submission that mapping could not apply: intake shows the rule to the node, as
for `SUBMISSION_REJECTED` on the agreement side."""
CREDENTIAL_ISSUED = event_type("admin", "credential_issued")
CREDENTIAL_REVOKED = event_type("admin", "credential_revoked")
HISTORY_VERIFIED = event_type("audit", "history_verified")
CHECKPOINT_RECORDED = event_type("audit", "day_checkpointed")


class DayCheckpoint(BaseModel):
    """`data` of a checkpoint: how many records one topic received on one UTC day, and their digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    topic: str = Field(description="The registry's topic name.")
    day: date
    events: int = Field(ge=0)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")


class HistoryVerified(BaseModel):
    """`data` of `audit.history_verified` on `ksd.audit.checkpoints`: what `ksd audit verify
    --checkpoints FILE --record` found, which the audit report shows (the event's `time` is when)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    clean: bool
    events: int = Field(ge=0, description="Events verified.")
    topics: list[str]
    checkpoint_file: str = Field(description="The name of the signed checkpoint file it rests on.")
    signed_at: str = Field(description="When that file was signed (RFC 3339).")
    last_day: str | None = Field(description="The last day that file covers (YYYY-MM-DD); None: it covers none.")
    first_difference: str | None = Field(description="The first rewritten day (topic on day), if any.")
    finding: str | None = Field(description="The first bad record, if any.")


# --- mapping (ksd.mapping.events) ---------------------------------------------------------------
# Region declarations are keyed by region code, classifications and flags by agreement id. Each
# event that applies a `region.*` submission carries it as `causationid`, so intake can answer it.


class RegionDeclaration(BaseModel):
    """What every declaration event carries beside the declaration itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    submission_id: UUID
    submitted_by: str | None = Field(default=None, description="The region code of the node that submitted.")
    acted_by: str | None = Field(default=None, description="Who acted for it (`Submitted.actor`), when recorded.")


class TkksdRecorded(RegionDeclaration, s.RegionRecordTkksd):
    """The region's TKKSD decree is on record: reporting counts the regions still without one."""


class PotentialsDeclared(RegionDeclaration, s.RegionDeclarePotential):
    """The region's potentials as now declared; they replace its earlier declaration."""


class AffairsDeclared(RegionDeclaration, s.RegionDeclareCooperableAffairs):
    """The affairs the region offers and needs, replacing its earlier declaration: the region has a
    mapping of cooperable affairs."""


class NeighboursDeclared(RegionDeclaration, s.RegionDeclareNeighbours):
    """The region's declared neighbours; `confirmed` are those that declared it too."""

    confirmed: list[str] = Field(default_factory=list, description="Neighbours whose borders are now confirmed.")


class BorderChanged(BaseModel):
    """`data` of `mapping.border_confirmed` (both regions declared each other) and
    `mapping.border_withdrawn` (one of them no longer declares the other)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    regions: list[str] = Field(min_length=2, max_length=2, description="The two region codes, in code order.")
    submission_id: UUID = Field(description="The declaration that confirmed or withdrew the border.")
    declared_on: date


class UrusanClassified(BaseModel):
    """`data` of `mapping.urusan_classified`: which affairs an agreement serves, and how mapping knows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    agreement_id: UUID
    urusan: list[str] = Field(min_length=1)
    method: str = Field(description="`submitted` (codes of the proposal) or `rules` (its title and objects).")
    matched: list[dict[str, str]] = Field(
        default_factory=list, description="For `rules`: each phrase found, with the urusan it names.")


class MappingFlagged(BaseModel):
    """`data` of `mapping.flagged`: a mapping rule did not hold; the ministry sees the flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    agreement_id: UUID | None = None
    region: str | None = None
    flags: list[Flag] = Field(min_length=1)


TKKSD_RECORDED = event_type("mapping", "tkksd_recorded")
POTENTIALS_DECLARED = event_type("mapping", "potentials_declared")
AFFAIRS_DECLARED = event_type("mapping", "affairs_declared")
NEIGHBOURS_DECLARED = event_type("mapping", "neighbours_declared")
BORDER_CONFIRMED = event_type("mapping", "border_confirmed")
BORDER_WITHDRAWN = event_type("mapping", "border_withdrawn")
MAPPING_FLAGGED = event_type("mapping", "flagged")

MAPPING_EVENT_MODELS: dict[str, type[BaseModel]] = {
    URUSAN_CLASSIFIED: UrusanClassified,
    REGION_SUBMISSION_REJECTED: SubmissionRejected,
    TKKSD_RECORDED: TkksdRecorded,
    POTENTIALS_DECLARED: PotentialsDeclared,
    AFFAIRS_DECLARED: AffairsDeclared,
    NEIGHBOURS_DECLARED: NeighboursDeclared,
    BORDER_CONFIRMED: BorderChanged,
    BORDER_WITHDRAWN: BorderChanged,
    MAPPING_FLAGGED: MappingFlagged,
    SUBMISSION_HELD: SubmissionHeld,
}
"""Every event type on `ksd.mapping.events` with the model of its `data`."""

DECLARATION_EVENTS: dict[str, str] = {
    "region.record_tkksd": TKKSD_RECORDED,
    "region.declare_potential": POTENTIALS_DECLARED,
    "region.declare_cooperable_affairs": AFFAIRS_DECLARED,
    "region.declare_neighbours": NEIGHBOURS_DECLARED,
}
"""The event a `region.*` submission becomes once mapping has applied it."""


SUBMISSION_EVENT_MODELS: dict[str, type[BaseModel]] = {submission_type(name): Submitted for name in s.SUBMISSION_MODELS}
"""Every event type on `ksd.intake.submissions` (one per submission type) with the model of its `data`."""

CREDENTIAL_EVENT_MODELS: dict[str, type[BaseModel]] = {
    CREDENTIAL_ISSUED: CredentialIssued, CREDENTIAL_REVOKED: CredentialRevoked}
"""Every event type on `ksd.admin.credentials` with the model of its `data`."""

AUDIT_EVENT_MODELS: dict[str, type[BaseModel]] = {CHECKPOINT_RECORDED: DayCheckpoint, HISTORY_VERIFIED: HistoryVerified}
"""Every event type on `ksd.audit.checkpoints` (written by `ksd audit`) with the model of its `data`."""
