"""Intake's handlers: a node's submission, and the agreement service's answer to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from ksd_common import outbox
from ksd_common.auth import Caller
from ksd_common.consumer import consuming
from ksd_common.problems import Problem
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import SUBMISSION_REJECTED, SubmissionRejected, Submitted, submission_type
from ksd_contracts.topics import SUBMISSIONS
from ksd_intake import store
from ksd_intake.domain import Submission, authorize, parse

SERVICE = "intake"


@dataclass(frozen=True)
class Accepted:
    id: UUID
    status: str


async def submit(pool: asyncpg.Pool, caller: Caller, key: str, body: Any) -> Accepted:
    """Validate, authorize, and record the submission with its event in one transaction.

    The same key with the same body answers the first submission again, with no second effect;
    the same key with another body is a 409.
    """
    submission = parse(body)
    authorize(caller, submission)
    submission_id = uuid7()
    agreement_id = submission.agreement_id or uuid7()
    async with pool.acquire() as conn, conn.transaction():
        created = await store.insert_submission(
            conn, id=submission_id, node=caller.node, key=key, request_hash=submission.request_hash,
            type=submission.type, role=caller.role, region=caller.region, subject=str(agreement_id),
            agreement_id=agreement_id,
        )
        if not created:
            return _repeat(await store.submission_by_key(conn, caller.node, key), submission)
        await outbox.append(conn, SUBMISSIONS, [_event(caller, submission, submission_id, agreement_id)])
    return Accepted(submission_id, "accepted")


def _repeat(existing: asyncpg.Record | None, submission: Submission) -> Accepted:
    assert existing is not None
    if existing["request_hash"] != submission.request_hash:
        raise Problem(409, "idempotency-conflict", "Idempotency-Key reused",
                      f"This key was used for another request (submission {existing['id']}); use a new key.")
    return Accepted(existing["id"], existing["status"])


def _event(caller: Caller, submission: Submission, submission_id: UUID, agreement_id: UUID) -> Envelope:
    data = Submitted(
        submission_id=submission_id, submission_type=submission.type, role=caller.role, region=caller.region,
        agreement_id=agreement_id, payload=submission.payload(),
    )
    return outbox.new_event(
        id=submission_id, source=f"/nodes/{caller.region}", type=submission_type(submission.type),
        subject=str(agreement_id), data=data.model_dump(mode="json"),
    )


async def apply_agreement_events(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Keep each submission's status: an agreement event caused by it means `applied`, a
    `submission_rejected` event means `rejected` with the rule."""
    answers: list[store.Answer] = []
    for event in events:
        if not event.causationid:
            continue
        with consuming(SERVICE, event):
            subject = _uuid(event.subject)
            if event.type == SUBMISSION_REJECTED:
                rejected = SubmissionRejected.model_validate(event.data)
                answers.append((rejected.submission_id, "rejected", rejected.reasons, subject))
            else:
                answers.append((UUID(event.causationid), "applied", [], subject))
    await store.record_answers(conn, answers)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def answer(row: asyncpg.Record) -> dict[str, Any]:
    reasons = row["reasons"] if not isinstance(row["reasons"], str) else json.loads(row["reasons"])
    return {
        "id": str(row["id"]), "type": row["type"], "status": row["status"], "reasons": reasons,
        "agreement_id": str(row["agreement_id"]) if row["agreement_id"] else None,
    }
