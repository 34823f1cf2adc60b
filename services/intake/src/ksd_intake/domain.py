"""Intake's rules, without I/O: what a submission must be, and who may make it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from ksd_common.auth import Caller
from ksd_common.problems import field_errors, forbidden, invalid
from ksd_contracts.envelope import canonical_json
from ksd_contracts.submissions import AT_SUBMISSION, SUBMISSION_MODELS, AgreementPropose

MAX_BODY_BYTES = 256 * 1024
IDEMPOTENCY_KEY_MAX = 200


@dataclass(frozen=True)
class Submission:
    """A valid submission: its type, its validated data, and the stream it belongs to."""

    type: str
    data: BaseModel
    request_hash: str

    @property
    def agreement_id(self) -> UUID | None:
        return getattr(self.data, "agreement_id", None)

    def payload(self) -> dict[str, Any]:
        dumped: dict[str, Any] = self.data.model_dump(mode="json", exclude_none=True)
        return dumped


def request_hash(body: Any) -> str:
    """The fingerprint compared under one Idempotency-Key."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def parse(body: Any) -> Submission:
    """The submission in `body`, or a 422 naming each field and rule that failed."""
    if not isinstance(body, dict):
        raise invalid([{"loc": ["body"], "msg": "must be an object {\"type\": ..., \"data\": {...}}",
                        "code": "object_type"}])
    unknown = sorted(set(body) - {"type", "data"})
    errors = [{"loc": ["body", k], "msg": "unknown field", "code": "extra_forbidden"} for k in unknown]
    kind = body.get("type")
    kind = kind if isinstance(kind, str) else ""
    model = SUBMISSION_MODELS.get(kind)
    if model is None:
        errors.append({"loc": ["body", "type"], "code": "submission_type",
                       "msg": f"must be one of {', '.join(SUBMISSION_MODELS)}"})
    if "data" not in body:
        errors.append({"loc": ["body", "data"], "msg": "Field required", "code": "missing"})
    if errors or model is None:
        raise invalid(errors)
    try:
        data = model.model_validate(body["data"], context=AT_SUBMISSION)
    except ValidationError as error:
        raise invalid(field_errors(error, ("body", "data"))) from None
    return Submission(kind, data, request_hash(body))


def authorize(caller: Caller, submission: Submission) -> None:
    """A regency submits only where its region is a party; a province only for itself."""
    if not caller.submits:
        raise forbidden(f"the {caller.role} role reads; it does not submit")
    if isinstance(submission.data, AgreementPropose) and caller.region not in submission.data.region_codes:
        raise forbidden(f"region {caller.region} is not a party to this agreement")


def check_idempotency_key(key: str | None) -> str:
    if not key or not key.strip():
        raise invalid([{"loc": ["header", "Idempotency-Key"], "msg": "Field required", "code": "missing"}])
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise invalid([{"loc": ["header", "Idempotency-Key"], "code": "string_too_long",
                        "msg": f"at most {IDEMPOTENCY_KEY_MAX} characters"}])
    return key.strip()
