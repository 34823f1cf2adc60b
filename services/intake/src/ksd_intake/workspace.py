"""The regions' workspace (Ruang Kerja) at `/ruang-kerja/`: its pages, and the backend that signs a
person in and stands between the page and the platform (a backend-for-frontend).

Why a backend: a token in the page's storage is readable by any script that runs there, so the
page holds no token at all. A person signs in with Keycloak's authorization-code flow with PKCE
(`ksd-workspace`, a public client); this backend exchanges the code, keeps the access and refresh
tokens in intake's database (`workspace_sessions`), and gives the browser only a random session
cookie (HttpOnly, SameSite=Strict, Secure over https). Every read and submission of the page goes
through `/ruang-kerja/api/{service}/v1/...`, which calls intake, reporting or mapping with the
person's own access token: each service checks role and region exactly as for any other caller,
and introspection (`ksd_common.oidc`) ends a revoked person's session within seconds. Signing out
ends Keycloak's session too.

A page of the workspace is a file under `ruang_kerja/halaman/`, its script tag in `index.html` and
its entry in the service worker's `sw.js` (README, "Ruang Kerja")."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import asyncpg
import httpx
import jwt
from fastapi import APIRouter, Cookie, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from ksd_common.auth import oidc_verifier
from ksd_common.credentials import Caller
from ksd_common.oidc import identity_provider_unavailable
from ksd_common.problems import Problem
from ksd_common.settings import settings
from ksd_contracts import forms, labels
from ksd_contracts.language import Words
from ksd_contracts.regions import region
from ksd_intake import openapi

PAGES = Path(__file__).parent / "ruang_kerja"
PREFIX = "/ruang-kerja"
SESSION_COOKIE = "ksd_sesi"
LOGIN_COOKIE = "ksd_masuk"
CLIENT_ID = "ksd-workspace"
LOGIN_SECONDS = 600
REFRESH_MARGIN = timedelta(seconds=30)
"""An access token this close to its expiry is refreshed before it is used."""
SERVICES = ("intake", "reporting", "mapping")
WRITES = {"intake": {"POST", "DELETE"}, "reporting": {"POST"}}
"""What the page may do besides reading: submit and manage accounts at intake, mark a reminder of
its inbox read at reporting."""
FORWARDED = ("content-type", "content-disposition", "retry-after", "x-correlation-id")

router = APIRouter(prefix=PREFIX, include_in_schema=False)


PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none';"
                                           " base-uri 'none'; form-action 'self'",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-cache"}


class Pages(StaticFiles):
    """The workspace's files, with what a page that holds a person's session needs: only its own
    scripts run (no inline or foreign script), no other site frames it, and a new version is
    asked for each time (the service worker keeps a copy for when the network is gone)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(PAGE_HEADERS)
        return response


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _secure(request: Request) -> bool:
    """Cookies are Secure when the person reached the workspace over https (directly or through a
    proxy that says so)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _callback(request: Request) -> str:
    return str(request.url_for("workspace_callback"))


def session_ended(detail: str = "Sesi Anda sudah berakhir; masuk lagi.") -> Problem:
    return Problem(401, "unauthenticated", "Sesi berakhir", detail, code="workspace.session_ended")


# --- sign-in and sign-out ---------------------------------------------------------------------------

@router.get("/masuk")
async def sign_in(request: Request) -> RedirectResponse:
    """Start the authorization-code flow with PKCE: the verifier stays here, the browser carries a
    pre-login cookie that binds the `state` to it (a login started elsewhere cannot be finished here)."""
    state, verifier, browser = (secrets.token_urlsafe(32) for _ in range(3))
    pool: asyncpg.Pool = request.app.state.pool
    await pool.execute("DELETE FROM workspace_logins WHERE created_at < now() - make_interval(secs => $1)",
                       float(LOGIN_SECONDS))
    await pool.execute("INSERT INTO workspace_logins (state_hash, browser_hash, verifier) VALUES ($1, $2, $3)",
                       _digest(state), _digest(browser), verifier)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode({"client_id": CLIENT_ID, "response_type": "code", "scope": "openid",
                       "redirect_uri": _callback(request), "state": state, "code_challenge": challenge,
                       "code_challenge_method": "S256", "ui_locales": "id"})
    answer = RedirectResponse(f"{settings().oidc_issuer}/protocol/openid-connect/auth?{query}", status_code=303)
    # Lax, not Strict: it must come back with Keycloak's redirect, a navigation from another site.
    answer.set_cookie(LOGIN_COOKIE, browser, max_age=LOGIN_SECONDS, path=f"{PREFIX}/kembali", httponly=True,
                      samesite="lax", secure=_secure(request))
    return answer


@router.get("/kembali", name="workspace_callback")
async def callback(
    request: Request, state: str = "", code: str = "", error: str = "",
    browser: Annotated[str, Cookie(alias=LOGIN_COOKIE)] = "",
) -> Response:
    """Keycloak sends the person back here with a code: exchanged for tokens with the verifier,
    checked like any caller's token, and kept in a new session."""
    pool: asyncpg.Pool = request.app.state.pool
    login = await pool.fetchrow(
        "DELETE FROM workspace_logins WHERE state_hash = $1 AND created_at > now() - make_interval(secs => $2)"
        " RETURNING browser_hash, verifier", _digest(state), float(LOGIN_SECONDS))
    if error or not code or login is None or not secrets.compare_digest(login["browser_hash"], _digest(browser)):
        return _page(request, "Masuk tidak selesai",
                     "Proses masuk tidak dapat diselesaikan (kedaluwarsa, dibatalkan, atau dimulai di peramban"
                     " lain).", status=400)
    tokens = await _token(request, {"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": _callback(request), "code_verifier": login["verifier"]})
    caller = await _checked(request, tokens["access_token"])
    session = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await pool.execute("DELETE FROM workspace_sessions WHERE expires_at < now()")
    await pool.execute(
        "INSERT INTO workspace_sessions (session_hash, actor, role, region, access_token, access_expires_at,"
        " refresh_token, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        _digest(session), caller.actor, caller.role, caller.region, tokens["access_token"],
        now + timedelta(seconds=tokens["expires_in"]), tokens["refresh_token"], _refresh_expiry(tokens, now))
    # A page of this site moves on to the workspace: the Strict cookie is then sent with it even
    # when Keycloak lives on another site (a redirect from there would not carry it).
    answer = _page(request, "Masuk berhasil", "Membuka Ruang Kerja…", refresh=f"{PREFIX}/")
    answer.set_cookie(SESSION_COOKIE, session, path=PREFIX, httponly=True, samesite="strict", secure=_secure(request))
    answer.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/kembali")
    return answer


@router.post("/keluar")
async def sign_out(request: Request, session: Annotated[str, Cookie(alias=SESSION_COOKIE)] = "") -> Response:
    """End the session here and at Keycloak (its refresh token is revoked with it)."""
    _same_origin(request)
    row = await request.app.state.pool.fetchrow(
        "DELETE FROM workspace_sessions WHERE session_hash = $1 RETURNING refresh_token", _digest(session))
    if row is not None:
        s = settings()
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                await client.post(f"{s.oidc_realm_url}/protocol/openid-connect/logout",
                                  data={"client_id": CLIENT_ID, "refresh_token": row["refresh_token"]})
        except httpx.HTTPError:
            pass  # the session here is gone; Keycloak's ends with its idle timeout
    answer = RedirectResponse(f"{PREFIX}/", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return answer


def _page(request: Request, title: str, text: str, *, refresh: str | None = None, status: int = 200) -> HTMLResponse:
    meta = f'<meta http-equiv="refresh" content="0;url={refresh}">' if refresh else ""
    link = "" if refresh else f'<p><a href="{PREFIX}/masuk">Masuk lagi</a></p>'
    return HTMLResponse(f'<!doctype html><html lang="id"><head><meta charset="utf-8">{meta}<title>{title}</title>'
                        f'</head><body><h1>{title}</h1><p>{text}</p>{link}</body></html>', status_code=status)


def _same_origin(request: Request) -> None:
    """A change is asked by the workspace's own page, never by another site's (beside SameSite)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise Problem(403, "forbidden", "Ditolak", "Permintaan ini tidak datang dari halaman Ruang Kerja.",
                      code="workspace.cross_site")


async def _token(request: Request, form: dict[str, str]) -> dict[str, Any]:
    """One grant at Keycloak's token endpoint for the workspace's client; None-free answer or a problem."""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(f"{settings().oidc_realm_url}/protocol/openid-connect/token",
                                         data={"client_id": CLIENT_ID, **form})
    except httpx.HTTPError as error:
        raise identity_provider_unavailable(
            error, Words("coba masuk lagi sebentar lagi", "try to sign in again shortly")) from None
    if response.status_code in (400, 401):  # a code used twice, a session ended: sign in again
        raise session_ended()
    if response.status_code != 200:
        raise identity_provider_unavailable(RuntimeError(str(response.status_code)),
                                            Words("coba lagi sebentar lagi", "try again shortly"))
    answer: dict[str, Any] = response.json()
    return answer


def _refresh_expiry(tokens: dict[str, Any], now: datetime) -> datetime:
    """The session lasts as long as its refresh token (Keycloak's idle and maximum session times)."""
    seconds = tokens.get("refresh_expires_in") or 1800
    return now + timedelta(seconds=seconds)


async def _checked(request: Request, access_token: str) -> Caller:
    """The person an access token stands for, checked as every service checks it; a machine's
    token never opens a workspace session."""
    caller = await oidc_verifier(request).caller(access_token)
    if not caller.actor.startswith("person:"):
        raise session_ended("Ruang Kerja hanya untuk orang yang masuk dengan akunnya.")
    return caller


# --- the session ---------------------------------------------------------------------------------

async def access_token(request: Request, session: str) -> str:
    """The session's access token, refreshed first when it is about to expire (one refresh at a
    time per session: Keycloak rotates refresh tokens, so a second use of the old one would fail)."""
    pool: asyncpg.Pool = request.app.state.pool
    key = _digest(session)
    row = await pool.fetchrow("SELECT access_token, access_expires_at FROM workspace_sessions"
                              " WHERE session_hash = $1 AND expires_at > now()", key)
    if row is None:
        raise session_ended()
    if row["access_expires_at"] - REFRESH_MARGIN > datetime.now(UTC):
        token: str = row["access_token"]
        return token
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT access_token, access_expires_at, refresh_token FROM workspace_sessions"
                                  " WHERE session_hash = $1 AND expires_at > now() FOR UPDATE", key)
        if row is None:
            raise session_ended()
        if row["access_expires_at"] - REFRESH_MARGIN > datetime.now(UTC):  # refreshed meanwhile
            token = row["access_token"]
            return token
        try:
            tokens = await _token(request, {"grant_type": "refresh_token", "refresh_token": row["refresh_token"]})
        except Problem as problem:
            if problem.status == 401:
                await conn.execute("DELETE FROM workspace_sessions WHERE session_hash = $1", key)
            raise
        now = datetime.now(UTC)
        await conn.execute(
            "UPDATE workspace_sessions SET access_token = $2, access_expires_at = $3, refresh_token = $4,"
            " expires_at = $5 WHERE session_hash = $1", key, tokens["access_token"],
            now + timedelta(seconds=tokens["expires_in"]), tokens["refresh_token"], _refresh_expiry(tokens, now))
        token = tokens["access_token"]
        return token


async def end(request: Request, session: str) -> None:
    await request.app.state.pool.execute("DELETE FROM workspace_sessions WHERE session_hash = $1", _digest(session))


SessionCookie = Annotated[str, Cookie(alias=SESSION_COOKIE)]


@router.get("/api/saya")
async def me(request: Request, session: SessionCookie = "") -> dict[str, Any]:
    """Who is signed in (checked at Keycloak now: a revoked account is refused here too), with the
    name of their region, for the page's header and menu."""
    token = await access_token(request, session)
    try:
        caller = await _checked(request, token)
    except Problem as problem:
        if problem.status == 401:
            await end(request, session)
            raise session_ended() from None
        raise
    claims = jwt.decode(token, options={"verify_signature": False})  # verified by _checked just now
    found = region(caller.region or "")
    return {"actor": caller.actor, "username": caller.actor.removeprefix("person:"),
            "name": claims.get("name") or claims.get("preferred_username"), "role": caller.role,
            "region": caller.region, "region_name": found.name if found else None,
            "submits": caller.submits}


@router.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "DELETE"])
async def forward(request: Request, service: str, path: str, session: SessionCookie = "") -> Response:
    """The page's call to a service's API, made with the person's own access token: the service
    decides what they may read or submit, as for any caller. A token the service refuses (a
    revoked account) ends the session."""
    if service not in SERVICES or not path.startswith("v1/"):
        raise Problem(404, "not-found", "Not found", f"Tidak ada {service}/{path} di Ruang Kerja.")
    if request.method != "GET":
        _same_origin(request)
        if request.method not in WRITES.get(service, set()):
            raise Problem(405, "method-not-allowed", "Metode tidak diizinkan",
                          f"Ruang Kerja hanya membaca {service}.", headers={"Allow": "GET"})
    token = await access_token(request, session)
    headers = {"Authorization": f"Bearer {token}"}
    for name in ("content-type", "idempotency-key", "accept", "x-correlation-id"):
        if name in request.headers:
            headers[name] = request.headers[name]
    client = _client(request, service)
    try:
        upstream = await client.request(request.method, f"/{path}", params=str(request.query_params),
                                        content=await request.body() if request.method != "GET" else None,
                                        headers=headers)
    except httpx.HTTPError as error:
        raise Problem(503, "service-unavailable", "Layanan tidak tersedia",
                      f"Layanan {service} tidak dapat dihubungi ({type(error).__name__}); coba lagi sebentar lagi.",
                      code="workspace.service_unavailable", headers={"Retry-After": "5"}) from None
    if upstream.status_code == 401:
        await end(request, session)
        raise session_ended()
    return Response(upstream.content, status_code=upstream.status_code,
                    headers={k: v for k, v in upstream.headers.items() if k.lower() in FORWARDED})


def _client(request: Request, service: str) -> httpx.AsyncClient:
    """One client per service for the process: intake is called in-process (its own app), the
    others at their addresses (`KSD_<SERVICE>_URL`, else this host at their ports)."""
    clients: dict[str, httpx.AsyncClient] = request.app.state.__dict__.setdefault("workspace_clients", {})
    if service not in clients:
        if service == "intake":
            clients[service] = httpx.AsyncClient(transport=httpx.ASGITransport(app=request.app),
                                                 base_url="http://intake", timeout=150)
        else:
            clients[service] = httpx.AsyncClient(base_url=settings().url_of(service), timeout=150)
    return clients[service]


@router.get("/api/formulir")
async def form_schemas() -> JSONResponse:
    """What the forms are generated from: intake's own JSON Schema of every submission type, with
    the Indonesian labels and help of `ksd_contracts.forms`, and the names of the codes. Public, as
    the OpenAPI document is: the page keeps it for when it is offline."""
    return JSONResponse(FORMS, headers={"Cache-Control": "no-cache"})


FORMS = {
    "types": {name: {"title": forms.SUBMISSION_TYPES.get(name, name), "schema": schema["properties"]["data"]}
              for name, schema in ((s["title"], s) for s in openapi.SINGLE["oneOf"])},
    "components": forms.described(openapi.COMPONENTS),
    "choices": forms.CHOICES,
    "rules": {rule: {"pesan": what, "tindakan": todo} for rule, (what, todo) in labels.RULES.items()},
    "statuses": {str(k): v for k, v in labels.STATUSES.items()},
    "verification": labels.VERIFICATION,
    "steps": labels.STEPS,
}
