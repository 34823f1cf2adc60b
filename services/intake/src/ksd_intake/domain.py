"""Intake's rules, without I/O: what a submission must be, and who may make it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError
from uuid6 import uuid7

from ksd_common.credentials import Caller
from ksd_common.problems import PESAN, Problem, field_errors, forbidden, invalid
from ksd_contracts.envelope import canonical_json
from ksd_contracts.language import say
from ksd_contracts.regions import verifies
from ksd_contracts.submissions import (
    AT_SUBMISSION,
    SUBMISSION_MODELS,
    VERIFICATION_SUBMISSIONS,
    AgreementPropose,
    Correct,
    Extend,
    RaiseDispute,
    control_characters_at,
)

MAX_BODY_BYTES = 256 * 1024
MAX_BATCH_ITEMS = 500
MAX_BATCH_BYTES = 8 * 1024 * 1024
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

    @property
    def region_code(self) -> str | None:
        """The declaring region of a `region.*` submission (its stream's key)."""
        return getattr(self.data, "region", None) if self.type.startswith("region.") else None

    def payload(self) -> dict[str, Any]:
        dumped: dict[str, Any] = self.data.model_dump(mode="json", exclude_none=True)
        return dumped

    def with_ids(self) -> Submission:
        """Ids intake assigns before the event: the new agreement of an extension, a new dispute.
        (A proposal's new agreement id travels in the event's `agreement_id`, not in its payload.)"""
        if isinstance(self.data, Extend) and self.data.new_agreement_id is None:
            return replace(self, data=self.data.model_copy(update={"new_agreement_id": uuid7()}))
        if isinstance(self.data, RaiseDispute) and self.data.dispute_id is None:
            return replace(self, data=self.data.model_copy(update={"dispute_id": uuid7()}))
        return self


@dataclass(frozen=True)
class Superseded:
    """What intake knows of a submission a correction supersedes."""

    type: str
    agreement_id: UUID | None


def request_hash(body: Any) -> str:
    """The fingerprint compared under one Idempotency-Key."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def parse(body: Any) -> Submission:
    """The submission in `body`, or a 422 naming each field and rule that failed."""
    if not isinstance(body, dict):
        raise invalid([{"loc": ["body"], "code": "object_type",
                        "msg": say("harus objek {\"type\": ..., \"data\": {...}}",
                                   "must be an object {\"type\": ..., \"data\": {...}}")}])
    unknown = sorted(set(body) - {"type", "data"})
    errors = [{"loc": ["body", k], "msg": PESAN["extra_forbidden"].said(), "code": "extra_forbidden"} for k in unknown]
    kind = body.get("type")
    kind = kind if isinstance(kind, str) else ""
    model = SUBMISSION_MODELS.get(kind)
    if model is None:
        errors.append({"loc": ["body", "type"], "code": "submission_type",
                       "msg": say(f"harus salah satu dari: {', '.join(SUBMISSION_MODELS)}",
                                  f"must be one of: {', '.join(SUBMISSION_MODELS)}")})
    if "data" not in body:
        errors.append({"loc": ["body", "data"], "msg": PESAN["missing"].said(), "code": "missing"})
    if errors or model is None:
        raise invalid(errors)
    return Submission(kind, _validated(model, body["data"], ("body", "data")), request_hash(body))


def _validated(model: type[BaseModel], data: Any, loc: tuple[str, ...]) -> BaseModel:
    try:
        return model.model_validate(data, context=AT_SUBMISSION)
    except ValidationError as error:
        raise invalid(field_errors(error, loc)) from None
    except RecursionError:  # absurdly deep nesting: a rule failed, not the service
        raise invalid([{"loc": list(loc), "msg": say("bersarang terlalu dalam", "nested too deeply"),
                        "code": "too_deep"}]) from None


def parties_needed(submission: Submission) -> UUID | None:
    """The agreement whose known parties `authorize` reads for this submission: none for a
    proposal (it names its parties itself) or a declaration, so intake asks PostgreSQL nothing
    for them."""
    if isinstance(submission.data, AgreementPropose) or submission.region_code is not None:
        return None
    return submission.agreement_id


def authorize(caller: Caller, submission: Submission, parties: Mapping[UUID, list[str]]) -> None:
    """A node declares only for its own region; it submits a step of an agreement only where its
    region is a party, and a verdict (verify, return) only as the province of a party regency/city.
    `parties` holds the agreements intake has seen proposed: one it has not seen yet passes here,
    and the agreement service rejects it by the same rule (`agreement.not_a_party`,
    `verify.province_of_regency`) when the node is not a party after all."""
    ensure_submits(caller)
    if submission.region_code is not None and submission.region_code != caller.region:
        raise forbidden(say(f"wilayah {caller.region} hanya menyatakan untuk dirinya sendiri, bukan untuk"
                            f" {submission.region_code}",
                            f"region {caller.region} may declare only for itself, not for {submission.region_code}"))
    if isinstance(submission.data, AgreementPropose):
        if caller.region not in submission.data.region_codes:
            raise forbidden(say(f"wilayah {caller.region} bukan pihak kerja sama ini",
                                f"region {caller.region} is not a party to this agreement"))
        return
    agreement = parties_needed(submission)
    known = parties.get(agreement) if agreement else None
    if submission.type in VERIFICATION_SUBMISSIONS:
        if caller.role != "province" or (known is not None and not verifies(caller.role, caller.region, known)):
            raise forbidden(say(f"hanya provinsi dari kabupaten/kota pihak kerja sama {submission.agreement_id} yang"
                                f" memverifikasi atau mengembalikannya ({caller.role} {caller.region} bukan)",
                                f"only the province of a party regency/city of agreement {submission.agreement_id}"
                                f" verifies or returns it ({caller.role} {caller.region} is not)"))
        return
    if known is not None and caller.region not in known:
        raise forbidden(say(f"wilayah {caller.region} bukan pihak kerja sama {submission.agreement_id}",
                            f"region {caller.region} is not a party to agreement {submission.agreement_id}"))


def ensure_submits(caller: Caller) -> None:
    """Only the regions' roles submit; the directorate and auditors read."""
    if not caller.submits:
        raise forbidden(say(f"peran {caller.role} membaca; peran ini tidak mengajukan",
                            f"the {caller.role} role reads; it does not submit"))


def check_correction(submission: Submission, superseded: Mapping[UUID, Superseded]) -> Submission:
    """A correction names an earlier submission of the same agreement, and its `data` is valid
    for that submission's type. Returns the correction with its data as validated."""
    correction = submission.data
    if not isinstance(correction, Correct):
        return submission
    earlier = superseded.get(correction.supersedes)
    loc = ["body", "data", "supersedes"]
    if earlier is None:
        raise invalid([{"loc": loc, "code": "supersedes_unknown",
                        "msg": say(f"tidak ada pengajuan {correction.supersedes} yang diterima di sini",
                                   f"no submission {correction.supersedes} was accepted here")}])
    if earlier.agreement_id != correction.agreement_id:
        raise invalid([{"loc": loc, "code": "supersedes_other_agreement",
                        "msg": say(f"pengajuan {correction.supersedes} milik kerja sama lain",
                                   f"submission {correction.supersedes} belongs to another agreement")}])
    corrected = _validated(SUBMISSION_MODELS[earlier.type], correction.data, ("body", "data", "data"))
    own = getattr(corrected, "agreement_id", None)
    if own is not None and own != correction.agreement_id:
        raise invalid([{"loc": ["body", "data", "data", "agreement_id"], "code": "supersedes_other_agreement",
                        "msg": say("data koreksi menyebut kerja sama lain",
                                   "the corrected data names another agreement")}])
    return submission


def check_idempotency_key(key: str | None) -> str:
    if not key or not key.strip():
        raise invalid([{"loc": ["header", "Idempotency-Key"], "msg": PESAN["missing"].said(), "code": "missing"}])
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise invalid([{"loc": ["header", "Idempotency-Key"], "code": "string_too_long",
                        "msg": PESAN["string_too_long"].said().format(max_length=IDEMPOTENCY_KEY_MAX)}])
    if control_characters_at(key) is not None:
        raise invalid([{"loc": ["header", "Idempotency-Key"], "code": "control_characters",
                        "msg": say("hanya karakter yang dapat dicetak", "printable characters only")}])
    return key.strip()


def idempotency_conflict(existing_id: UUID) -> Problem:
    return Problem(409, "idempotency-conflict", say("Idempotency-Key sudah dipakai", "Idempotency-Key used already"),
                   say(f"Kunci ini sudah dipakai untuk permintaan lain (pengajuan {existing_id}); pakai kunci baru.",
                       f"This key was used for another request (submission {existing_id}); use a new key."))
