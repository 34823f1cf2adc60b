"""The events each service emits, by `type`, with the model of their `data`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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


class SubmissionRejected(BaseModel):
    """`data` of `agreement.submission_rejected`: a lifecycle rule said no; the node sees why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    submission_id: UUID
    submission_type: str
    reasons: list[dict[str, str]] = Field(description="Each with `rule` and `detail`.")


class CredentialIssued(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    token_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: str
    region: str | None
    label: str | None = None


AGREEMENT_PROPOSED = event_type("agreement", "proposed")
SUBMISSION_REJECTED = event_type("agreement", "submission_rejected")
URUSAN_CLASSIFIED = event_type("mapping", "urusan_classified")
CREDENTIAL_ISSUED = event_type("admin", "credential_issued")
