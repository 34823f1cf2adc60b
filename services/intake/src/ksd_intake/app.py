"""Intake: the door of the provinces and regencies/cities (INTERFACES.md, "Intake")."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from ksd_common.auth import Caller, authenticate
from ksd_common.problems import Problem, forbidden
from ksd_common.service import Consumes, Publishes, ServiceSpec, build, serve
from ksd_contracts.topics import AGREEMENT_EVENTS, SUBMISSIONS
from ksd_intake import handlers, store
from ksd_intake.domain import MAX_BODY_BYTES, check_idempotency_key

CallerDep = Annotated[Caller, Depends(authenticate)]
router = APIRouter(prefix="/v1", tags=["submissions"])


async def _json_body(request: Request) -> Any:
    """The body as JSON: 413 past the size limit, 400 when it is not JSON."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise _too_large()
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Problem(400, "malformed-json", "Malformed JSON", f"The body is not JSON: {error}") from None


def _too_large() -> Problem:
    return Problem(413, "too-large", "Body too large", f"A submission is at most {MAX_BODY_BYTES} bytes.")


@router.post("/submissions", status_code=202, responses={
    202: {"description": "Accepted; follow it at GET /v1/submissions/{id}"},
    400: {"description": "Malformed JSON"}, 401: {"description": "No or unknown token"},
    403: {"description": "Not a party, or a reading role"}, 409: {"description": "Idempotency-Key reused"},
    413: {"description": "Body too large"}, 422: {"description": "Invalid: each field and rule named"},
})
async def post_submission(
    request: Request, caller: CallerDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Submit `{"type": "<submission type>", "data": {...}}`; answered at once, applied asynchronously."""
    key = check_idempotency_key(idempotency_key)
    body = await _json_body(request)
    accepted = await handlers.submit(request.app.state.pool, caller, key, body)
    return JSONResponse({"id": str(accepted.id), "status": accepted.status}, status_code=202)


@router.get("/submissions/{submission_id}")
async def get_submission(submission_id: UUID, request: Request, caller: CallerDep) -> dict[str, Any]:
    """A submission's status: accepted, then applied or rejected (with the rule in `reasons`)."""
    row = await store.submission(request.app.state.pool, submission_id)
    if row is None:
        raise Problem(404, "not-found", "Not found", f"No submission {submission_id}.")
    if row["region"] and not caller.may_read(row["region"]):
        raise forbidden(f"submission {submission_id} belongs to another region")
    return handlers.answer(row)


SPEC = ServiceSpec(
    name="intake",
    description="Submissions of the provinces and regencies/cities: authenticated, validated, answered.",
    consumes=[Consumes(AGREEMENT_EVENTS, handlers.apply_agreement_events,
                       "Answers to submissions: applied, or rejected with the rule.")],
    publishes=[Publishes(SUBMISSIONS, "Every accepted submission, keyed by agreement id.")],
    routers=[router],
    authenticates=True,
)
app = build(SPEC)


def main() -> None:
    serve(app, "intake")
