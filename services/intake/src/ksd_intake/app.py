"""Intake: the door of the provinces and regencies/cities (INTERFACES.md, "Intake")."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ksd_common.auth import CallerDep, RegionScope, authenticate, found_in_scope
from ksd_common.problems import Problem
from ksd_common.service import Consumes, Publishes, ServiceSpec, build, serve
from ksd_contracts.language import Words, say
from ksd_contracts.topics import AGREEMENT_EVENTS, MAPPING_EVENTS, SUBMISSIONS
from ksd_intake import accounts, handlers, imports, openapi, store, workspace
from ksd_intake.domain import MAX_BATCH_BYTES, MAX_BODY_BYTES, check_idempotency_key

MAX_IMPORT_BYTES = 50 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE = imports.template()
router = APIRouter(prefix="/v1", tags=["submissions"])


async def _json_body(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The body as JSON: 413 past the size limit, 400 when it is not JSON."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise _too_large(limit)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise Problem(400, "malformed-json", say("JSON rusak", "Malformed JSON"),
                      say(f"Isi permintaan bukan JSON yang sah: {error}",
                          f"The body is not valid JSON: {error}")) from None


def _too_large(limit: int) -> Problem:
    return Problem(413, "too-large", say("Isi terlalu besar", "Body too large"),
                   say(f"Isi permintaan ini paling besar {limit} byte.",
                       f"This request's body is at most {limit} bytes."))


ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed JSON"}, 401: {"description": "No or unknown token"},
    403: {"description": "Not a party, or a reading role"}, 413: {"description": "Body too large"},
    422: {"description": "Invalid: each field and rule named, with a stable `code`"},
}


class SubmissionLinks(BaseModel):
    status: str = Field(description="The submission's status (`GET /v1/submissions/{id}`), as a whole URL.")


class Accepted(BaseModel):
    """The answer to an accepted submission (the same again for a repeated Idempotency-Key)."""

    id: UUID = Field(description="The submission's id.")
    status: Literal["accepted"]
    agreement_id: UUID | None = Field(description=(
        "The agreement the submission is about. For `agreement.propose` without an `agreement_id`, the id"
        " intake gives the new agreement: usable at once in the next steps' `agreement_id`. When the"
        " agreement service joins the report to the other party's agreement, this id stays valid for it"
        " (an alias) and `GET /v1/submissions/{id}` shows the id it was joined to. None for `region.*`."))
    links: SubmissionLinks


IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Idempotency-Key"}}
"""The header as FastAPI documented it when it was a `Header` parameter (the document is unchanged)."""


# The caller and the header are read in the endpoint rather than as FastAPI dependencies: solving
# them was ~10% of intake's event loop under single POSTs (bench/notes-intake.md), for the same checks.
@router.post("/submissions", status_code=202, response_model=Accepted,
             openapi_extra=openapi.body(openapi.SINGLE) | {"parameters": [IDEMPOTENCY_KEY]},
             responses={202: {"description": "Accepted; follow it at `links.status` (also in `Location`)"},
                        409: {"description": "Idempotency-Key reused"}, **ANSWERS})
async def post_submission(request: Request) -> JSONResponse:
    """Submit `{"type": "<submission type>", "data": {...}}`; answered at once, applied asynchronously."""
    caller = await authenticate(request)
    key = check_idempotency_key(request.headers.get("idempotency-key"))
    body = await _json_body(request)
    accepted = (await handlers.submit(request.app.state.pool, caller, key, body)).accepted()
    return JSONResponse(accepted, status_code=202, headers={"Location": accepted["links"]["status"]})


@router.post("/submissions/batch", openapi_extra=openapi.body(openapi.BATCH), responses={
    200: {"description": "One answer per submission, in the order sent: `{index, idempotency_key, status: 202,"
                         " result: {id, status}}` or `{index, idempotency_key, status: 4xx, problem: {...}}`"},
    **ANSWERS,
})
async def post_batch(request: Request, caller: CallerDep) -> JSONResponse:
    """Up to 500 submissions at once, for a node's own system (e.g. SIKERJA): each item is
    `{"idempotency_key", "type", "data"}` and is answered exactly as `POST /v1/submissions` would
    answer it alone (same statuses and error `code`s); the valid ones are recorded together."""
    requests = handlers.batch_requests(await _json_body(request, MAX_BATCH_BYTES))
    outcomes = await handlers.submit_many(request.app.state.pool, caller, requests)
    answers = handlers.batch_answer(requests, outcomes)
    accepted = sum(1 for a in answers if a["status"] == 202)
    return JSONResponse({"accepted": accepted, "refused": len(answers) - accepted, "results": answers})


@router.post("/imports", tags=["imports"], responses={
    200: {"description": "A per-row report: `{row, status: accepted, agreement_id, outcome?, submissions: [{type,"
                         " id, status, change, reasons?}]}` or `{row, status: refused, errors: [{column, code,"
                         " msg}]}`"},
    **ANSWERS,
})
async def post_import(
    request: Request, caller: CallerDep, file: UploadFile,
    wait: Annotated[int, Query(ge=0, le=120, description=(
        "Seconds to wait for the agreement service's decisions: each row then says what became of its"
        " steps (`outcome`: applied, rejected with the rules, or pending)."))] = 0,
) -> JSONResponse:
    """A register as CSV (UTF-8, `,` or `;`) or XLSX, with the headers of
    `GET /v1/imports/template.xlsx`. Each row becomes `agreement.propose`, plus `agreement.record_ksb`
    and `agreement.record_pks` when it has them, for one agreement; uploading it again changes
    nothing, and an edited row changes its agreement (README, "A row keeps its identity")."""
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        raise _too_large(MAX_IMPORT_BYTES)
    report = await handlers.import_register(request.app.state.pool, caller, file.file, file.filename or "")
    if wait:
        await handlers.decided(request.app.state.pool, report["report"], wait)
    return JSONResponse(report)


@router.get("/imports/template.xlsx", tags=["imports"], response_class=Response, responses={
    200: {"content": {XLSX: {}}, "description": "The register template, with a sheet explaining each column"}})
async def get_template() -> Response:
    """The register template (Indonesian headers, one example row)."""
    return Response(TEMPLATE, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="register-kerja-sama.xlsx"'})


# Only a UUID routes here (Starlette's `uuid` convertor): `GET /v1/submissions/batch` is then a
# method the batch does not take (405 with `Allow: POST`), not a submission id refused with 422.
@router.get("/submissions/{submission_id:uuid}")
async def get_submission(submission_id: UUID, request: Request, caller: CallerDep) -> dict[str, Any]:
    """A submission's status: accepted, then applied or rejected (with the rule in `reasons`); `held`
    in between when a service could not apply it yet (`reasons` says why; it is applied once fixed).
    A submission is its node's: another region's does not exist for the caller."""
    row = await store.submission(request.app.state.pool, submission_id)
    found = found_in_scope(caller, row, lambda r: [r["region"]] if r["region"] else [],
                           Words(f"pengajuan {submission_id}", f"submission {submission_id}"))
    known = await store.agreements_known(request.app.state.pool, [found["agreement_id"]])
    return handlers.answer(found, found["agreement_id"] in known)


@router.get("/submissions")
async def list_submissions(
    request: Request, scope: RegionScope,
    status: Literal["accepted", "held", "applied", "rejected"] | None = None,
    cursor: Annotated[UUID | None, Query(description="The last `id` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The submissions of the caller's region (or of `region`, when the caller may read it), newest
    first, each with its status and, when refused, its rules with what they mean and what to do
    (`pesan`, `tindakan`); `next_cursor` fetches the next page."""
    rows = await store.submissions_of(request.app.state.pool, scope, status, cursor, limit)
    known = await store.agreements_known(request.app.state.pool, [r["agreement_id"] for r in rows])
    items = [handlers.answer(r, r["agreement_id"] in known)
             | {"region": r["region"], "idempotency_key": r["idempotency_key"],
                "accepted_at": r["accepted_at"].isoformat(),
                "answered_at": r["answered_at"].isoformat() if r["answered_at"] else None}
             for r in rows]
    return {"items": items, "next_cursor": items[-1]["id"] if len(items) == limit else None}


SPEC = ServiceSpec(
    name="intake",
    description="Submissions of the provinces and regencies/cities: authenticated, validated, answered.",
    consumes=[Consumes(AGREEMENT_EVENTS, handlers.apply_answers,
                       "Answers to agreement submissions (applied, or rejected with the rule); the parties"
                       " of each agreement proposed."),
              Consumes(MAPPING_EVENTS, handlers.apply_answers,
                       "Answers to region declarations: applied, or rejected with the rule.")],
    publishes=[Publishes(SUBMISSIONS, "Every accepted submission, keyed by agreement id or region code.")],
    routers=[router, accounts.router, workspace.router],
    authenticates=True,
)
app = build(SPEC)
app.openapi = openapi.with_models(app)  # type: ignore[method-assign,unused-ignore]
# The workspace's pages; its API routes (workspace.router) come first.
app.mount(workspace.PREFIX, workspace.Pages(directory=workspace.PAGES, html=True), name="ruang-kerja")


def main() -> None:
    serve(app, "intake")
