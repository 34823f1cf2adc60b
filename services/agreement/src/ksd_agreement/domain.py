"""The lifecycle of one cooperation: pure rules and state, no I/O.

State is the fold of an agreement's events (`evolve` one at a time); `decide` turns a submission
into the events it causes, or into a rejection naming the rule. The live service and
`ksd audit replay` call these same functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ksd_contracts.events import AGREEMENT_PROPOSED, SUBMISSION_REJECTED, Submitted
from ksd_contracts.submissions import AgreementPropose


@dataclass(frozen=True)
class AgreementState:
    """What the register says of one agreement."""

    agreement_id: str
    status: str
    kind: str
    title: str
    parties: list[dict[str, Any]] = field(default_factory=list)
    urusan: list[str] = field(default_factory=list)
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AgreementState:
        return cls(**data)


@dataclass(frozen=True)
class Reason:
    rule: str
    detail: str


@dataclass(frozen=True)
class Decision:
    """Events to append (type, data), or the reasons a submission is rejected."""

    events: list[tuple[str, dict[str, Any]]]

    @classmethod
    def reject(cls, submitted: Submitted, *reasons: Reason) -> Decision:
        data = {"submission_id": str(submitted.submission_id), "submission_type": submitted.submission_type,
                "reasons": [{"rule": r.rule, "detail": r.detail} for r in reasons]}
        return cls([(SUBMISSION_REJECTED, data)])


def evolve(state: AgreementState | None, event_type: str, data: dict[str, Any]) -> AgreementState | None:
    """The state after one event (its version is the stream's business: see `fold`).
    A rejection changes nothing."""
    if event_type == AGREEMENT_PROPOSED:
        return AgreementState(
            agreement_id=data["agreement_id"], status="initiated", kind=data["kind"], title=data["title"],
            parties=data["parties"], urusan=data["urusan"],
        )
    return state


def fold(events: Iterable[tuple[str, dict[str, Any]]]) -> AgreementState | None:
    """The state after a whole stream, with its version: the number of events."""
    state: AgreementState | None = None
    version = 0
    for version, (event_type, data) in enumerate(events, start=1):  # noqa: B007
        state = evolve(state, event_type, data)
    return replace(state, version=version) if state else None


def decide(state: AgreementState | None, submitted: Submitted) -> Decision:
    """What a submission does to an agreement, under the rules of PP 28/2018."""
    if submitted.submission_type == "agreement.propose":
        proposal = AgreementPropose.model_validate(submitted.payload)
        if state is not None:
            return Decision.reject(submitted, Reason(
                "agreement.already_proposed", f"agreement {state.agreement_id} was proposed already"))
        data = proposal.model_dump(mode="json", exclude_none=True) | {
            "agreement_id": str(submitted.agreement_id), "submission_id": str(submitted.submission_id),
            "submitted_by": submitted.region,
        }
        return Decision([(AGREEMENT_PROPOSED, data)])
    raise ValueError(f"unknown submission type {submitted.submission_type!r}")
