"""Error answers as RFC 9457 problem+json: `type`, `title`, `status`, `detail`, and for
validation errors `errors: [{"loc": [...], "msg": "...", "code": "..."}]` naming each field.

The `code` is stable (pydantic's error type or our rule name), so machine clients can branch on it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ksd_common.audience import catalogue, reading
from ksd_common.db import unavailable
from ksd_contracts.language import PESAN as PESAN  # its home now (the envelope says its faults with it too)
from ksd_contracts.language import field_message as field_message
from ksd_contracts.language import language, say

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://ksd.kemendagri.go.id/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An answer other than success, raised anywhere in a request."""

    def __init__(self, status: int, kind: str, title: str, detail: str,
                 errors: Sequence[dict[str, Any]] | None = None, headers: dict[str, str] | None = None,
                 code: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors = list(errors) if errors is not None else None
        self.headers = headers
        self.code = code

    def body(self) -> dict[str, Any]:
        """The problem+json document (also one item's answer inside a batch)."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.kind, "title": self.title, "status": self.status, "detail": self.detail,
        }
        if self.code is not None:
            body["code"] = self.code
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    def response(self) -> JSONResponse:
        """The answer, declaring the language its texts were made in."""
        headers = {**(self.headers or {}), "Content-Language": language(), "Vary": "Accept-Language"}
        return JSONResponse(self.body(), status_code=self.status, media_type=MEDIA_TYPE, headers=headers)


def field_errors(
    error: ValidationError | RequestValidationError, prefix: Sequence[str | int] = ()
) -> list[dict[str, Any]]:
    """Each pydantic error as {loc, msg, code}, its message in the reader's language, without
    pydantic's internal noise; a rule whose values are listed in a catalogue links to it (`see`)."""
    return [_field_error(e, prefix) for e in error.errors()]


def _field_error(error: Any, prefix: Sequence[str | int]) -> dict[str, Any]:
    item = {"loc": [*prefix, *[p for p in error["loc"] if not str(p).startswith("function-")]],
            "msg": field_message(error), "code": error["type"]}
    if see := (error.get("ctx") or {}).get("see"):
        item["see"] = link = catalogue(see)
        item["msg"] += say(f" (lihat {link})", f" (see {link})")
    return item


def invalid(errors: list[dict[str, Any]]) -> Problem:
    fields = ", ".join(sorted({".".join(map(str, e["loc"])) for e in errors})) or say("permintaan", "the request")
    return Problem(422, "validation", say("Permintaan tidak valid", "Invalid request"),
                   say(f"Periksa {fields}: `errors` menyebut aturannya.", f"Check {fields}: `errors` names the rules."),
                   errors)


def not_found(detail: str) -> Problem:
    """404, the same for a resource that does not exist and for one outside the caller's scope."""
    return Problem(404, "not-found", say("Tidak ditemukan", "Not found"), detail)


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", say("Tidak diizinkan", "Forbidden"), detail)


RETRY_AFTER_SECONDS = 5


def database_unavailable(detail: str | None = None) -> Problem:
    """503 for a database that failed before anything was committed: resending is the remedy."""
    return Problem(503, "database-unavailable", say("Basis data sedang tidak tersedia", "The database is unavailable"),
                   detail or say("Tidak ada yang tercatat dari permintaan ini. Kirim ulang permintaan yang sama"
                                 " dengan Idempotency-Key yang sama setelah beberapa detik.",
                                 "Nothing of this request was recorded. Send the same request again with the same"
                                 " Idempotency-Key after a few seconds."),
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, code="database_unavailable")


def outcome_uncertain(detail: str | None = None) -> Problem:
    """503 for a database that failed while committing: the write may have happened. Resending with
    the same Idempotency-Key is safe either way (answered as the first request, or recorded now)."""
    return Problem(503, "outcome-uncertain", say("Hasil pencatatan belum pasti", "The outcome is uncertain"),
                   detail or say("Koneksi ke basis data terputus saat pencatatan: pengajuan mungkin sudah tercatat."
                                 " Kirim ulang permintaan yang sama dengan Idempotency-Key yang sama; pengajuan tidak"
                                 " akan tercatat dua kali.",
                                 "The connection to the database broke while recording: the submission may have"
                                 " been recorded. Send the same request again with the same Idempotency-Key; it"
                                 " will not be recorded twice."),
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, code="outcome_uncertain")


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Problem", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "code": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg", "code"],
            "properties": {"loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                           "msg": {"type": "string"}, "code": {"type": "string"},
                           "see": {"type": "string", "format": "uri"}}}},
    },
}
"""RFC 9457 problem+json, as `Problem.body` writes it."""

REFUSALS = {401: "Token tidak ada, tidak dikenal, atau sudah dicabut.",
            403: "Di luar cakupan wilayah atau peran token.",
            422: "Parameter atau isi permintaan tidak valid: `errors` menyebut tiap kolom dan aturannya.",
            503: "Basis data sedang tidak tersedia; tidak ada yang tercatat, kirim ulang."}
"""What any operation may answer besides its success: said once, for every operation of every
service, so the OpenAPI documents are true to the answers (schemathesis checks them)."""


def _declare_refusals(document: dict[str, Any]) -> None:
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            statuses = dict(REFUSALS)
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                statuses[404] = "Tidak ada dalam cakupan Anda (atau tidak ada sama sekali)."
            if "requestBody" in operation:
                statuses[400] = "Isi permintaan bukan JSON yang sah."
            for status, description in statuses.items():
                declared = responses.setdefault(str(status), {"description": description})
                declared["content"] = content  # FastAPI's 422 says application/json; ours is problem+json


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _declare_refusals(generate())
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(Problem)
    async def _problem(request: Request, problem: Problem) -> JSONResponse:
        return problem.response()

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return invalid(field_errors(error)).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        docs = f"{request.base_url}docs"  # this service's own reference, as a link that works
        kind, title, said = {
            404: ("not-found", say("Tidak ditemukan", "Not found"),
                  say(f"Alamat ini tidak ada (lihat {docs}).", f"There is nothing at this address (see {docs}).")),
            405: ("method-not-allowed", say("Metode tidak diizinkan", "Method not allowed"),
                  say("Metode ini tidak diterima di sini (lihat Allow).",
                      "This method is not taken here (see Allow).")),
        }.get(error.status_code, ("request-failed", say("Permintaan gagal", "Request failed"), str(error.detail)))
        # The headers too: a 405 names the methods that are allowed (RFC 9110 `Allow`), of every
        # route of the path (Starlette names only the first route's).
        headers = dict(error.headers) if error.headers else {}
        if error.status_code == 405:
            path = request.url.path
            allowed = {m for r in request.app.routes if isinstance(r, APIRoute) and r.path_regex.match(path)
                       for m in r.methods}
            if allowed:
                headers["Allow"] = ", ".join(sorted(allowed))
        return Problem(error.status_code, kind, title, said, headers=headers or None).response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Answered outside the other middleware (Starlette's outermost layer): the language again.
        with reading(request.headers.get("accept-language")):
            if unavailable(error):  # say, reading a token while PostgreSQL restarts
                log.warning("database unavailable in %s %s: %r", request.method, request.url.path, error)
                return database_unavailable(say(
                    "Basis data sedang tidak tersedia. Coba lagi setelah beberapa detik; kirim ulang pengajuan"
                    " dengan Idempotency-Key yang sama.",
                    "The database is unavailable. Try again after a few seconds; send a submission again with"
                    " the same Idempotency-Key.")).response()
            log.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=error)
            # Not "nothing was written": an error after a commit cannot know that (README, "Intake").
            return Problem(500, "internal", say("Kesalahan internal", "Internal error"), say(
                "Kesalahan telah dicatat. Permintaan dengan Idempotency-Key aman dikirim ulang dengan kunci yang"
                " sama: tidak akan tercatat dua kali.",
                "The error was logged. A request with an Idempotency-Key is safe to send again with the same key:"
                " it will not be recorded twice."), code="internal").response()
