"""Who is calling: a bearer token, either Keycloak's (a person signed in, or a region's system on
the client-credentials grant; checked by `ksd_common.oidc`) or the platform's own, issued by
`ksd admin token create` and known by its SHA-256 only.

Platform tokens are announced (and revoked) on `ksd.admin.credentials`; each HTTP service keeps its
own copy of the hashes (no service reads another's tables). No token: 401; a role or region that may
not: 403. The pure part (roles, `Caller`, hashing) is `ksd_common.credentials`; this module is the
HTTP dependency, the consumer of the credentials topic, and the read scope.

What a caller may read is decided here, once, for every read endpoint of every service: a region
it names (`RegionInPath`, `RegionScope`) is 403 outside its scope, and so is an answer about the
whole nation (`NationReader`); a resource it asks for by id (`found_in_scope`) is the same 404 as
one that does not exist, so its existence is not leaked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar, cast

import asyncpg
from fastapi import Depends, Path, Query, Request

from ksd_common.audience import catalogue
from ksd_common.credentials import ROLES, Caller, Role, token_actor, token_hash
from ksd_common.oidc import OidcVerifier, looks_like_jwt
from ksd_common.problems import Problem, forbidden, invalid, not_found
from ksd_common.settings import settings
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import CREDENTIAL_ISSUED, CREDENTIAL_REVOKED, CredentialIssued, CredentialRevoked
from ksd_contracts.language import Words, say
from ksd_contracts.regions import region, regions

TOKEN_CACHE_SECONDS = 5.0
"""How long a platform token, once found, is answered without reading `credentials` again (one
PostgreSQL round trip and a pool release fewer per request). A revocation this process consumes
drops the token at once (`apply_credentials`), so the revocation bound stays the consumer's lag;
a replica whose sibling consumed the revocation (one consumer group) stops answering to it within
these seconds."""
TOKEN_CACHE_MAX = 10_000
known_tokens: dict[str, tuple[float, str, str | None]] = {}
"""Token hash -> (valid until, by time.monotonic(); role; region)."""


async def apply_credentials(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Consumer of ksd.admin.credentials: keep the hashes this service answers to, and stop
    answering to a revoked one (the topic has one partition: a revocation follows its issue)."""
    for event in events:
        if event.type == CREDENTIAL_ISSUED:
            issued = CredentialIssued.model_validate(event.data)
            await conn.execute(
                "INSERT INTO credentials (token_hash, role, region, label, issued_at) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (token_hash) DO NOTHING",
                issued.token_hash, issued.role, issued.region, issued.label, event.time,
            )
        elif event.type == CREDENTIAL_REVOKED:
            revoked = CredentialRevoked.model_validate(event.data)
            known_tokens.pop(revoked.token_hash, None)
            await conn.execute(
                "UPDATE credentials SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
                revoked.token_hash, event.time,
            )


async def authenticate(request: Request) -> Caller:
    """The caller of this request, or a 401 problem."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthenticated", say("Perlu token", "Authentication required"),
                      say("Kirim Authorization: Bearer <token> (dari Keycloak, atau diterbitkan `ksd admin token"
                          " create`).",
                          "Send Authorization: Bearer <token> (from Keycloak, or issued by `ksd admin token create`)."),
                      headers={"WWW-Authenticate": "Bearer"})
    if looks_like_jwt(token.strip()):
        return await oidc_verifier(request).caller(token.strip())
    hashed = token_hash(token.strip())
    known = known_tokens.get(hashed)
    if known is None or known[0] < time.monotonic():
        pool: asyncpg.Pool = request.app.state.pool
        row = await pool.fetchrow(
            "SELECT role, region FROM credentials WHERE token_hash = $1 AND revoked_at IS NULL", hashed)
        if row is None:
            raise Problem(401, "unauthenticated", say("Token tidak dikenal", "Unknown token"),
                          say("Token ini tidak dikenal atau sudah dicabut.", "The token is unknown or revoked."),
                          headers={"WWW-Authenticate": "Bearer"})
        known = known_tokens[hashed] = (time.monotonic() + TOKEN_CACHE_SECONDS, row["role"], row["region"])
        if len(known_tokens) > TOKEN_CACHE_MAX:
            known_tokens.pop(next(iter(known_tokens)))
    _, role, region = known
    if role not in ROLES:  # a role this version does not know reads and submits nothing
        raise forbidden(say(f"token {role} tidak dapat memakai layanan ini",
                            f"a {role} token may not call this service"))
    return Caller(cast(Role, role), region, token_actor(hashed))


def oidc_verifier(request: Request) -> OidcVerifier:
    """The service's one verifier of Keycloak's tokens (its key and introspection caches), made on
    the first such token; the service closes it when it stops."""
    verifier: OidcVerifier | None = getattr(request.app.state, "oidc", None)
    if verifier is None:
        verifier = request.app.state.oidc = OidcVerifier(settings())
    return verifier


CallerDep = Annotated[Caller, Depends(authenticate)]
REGION_CODE = r"^[0-9]{2}(\.[0-9]{2})?$"


def region_code(description: str, codes: Callable[[], Iterable[str]] = lambda: regions()) -> dict[str, Any]:
    """The schema of a region-code parameter: its pattern, and the codes of the catalogue as its
    enum, so the OpenAPI document says which values are answered (`known_region` refuses the rest)."""
    return {"pattern": REGION_CODE, "description": description, "json_schema_extra": {"enum": sorted(codes())}}
T = TypeVar("T")


def known_region(code: str, loc: tuple[str, str]) -> str:
    """A region code (at `loc`) that names a region of Kemendagri's catalogue, else 422."""
    if region(code) is None:
        link = catalogue("regions")
        raise invalid([{"loc": list(loc), "code": "region.unknown", "see": link,
                        "msg": say(f"{code} bukan kode wilayah Kemendagri (lihat {link})",
                                   f"{code} is no region code of Kemendagri (see {link})")}])
    return code


def readable_region(caller: Caller, code: str, loc: tuple[str, str]) -> str:
    """A region the caller names (at `loc`, e.g. ("path", "code")): 422 when it is no region code,
    403 when its role may not read it. The catalogue of regions is public, so neither says more
    than `GET /v1/regions` does."""
    if not caller.may_read(known_region(code, loc)):
        raise forbidden(say(f"token {caller.role} wilayah {caller.region} tidak dapat membaca wilayah {code}",
                            f"a {caller.role} token of region {caller.region} cannot read region {code}"))
    return code


async def region_in_path(
    caller: CallerDep, code: Annotated[str, Path(**region_code("Region code, NN or NN.NN."))]
) -> str:
    """The `{code}` of a route, once the caller may read it."""
    return readable_region(caller, code, ("path", "code"))


async def region_scope(
    caller: CallerDep,
    region: Annotated[str | None, Query(**region_code("Region code, NN or NN.NN."))] = None,
) -> str | None:
    """What a report covers: the `region` asked for, once the caller may read it, else the caller's
    own region (None: the nation, for the directorate and auditors)."""
    return caller.region if region is None else readable_region(caller, region, ("query", "region"))


def in_scope_sql(column: str, placeholder: str, scope: str) -> str:
    """`ksd_contracts.regions.in_scope` in SQL: holds when a row's region `column` lies in `scope` (a
    code, as `region_scope` gives it; `placeholder` its parameter, `$2`): a regency's or city's own
    code, or a province's own code and its regencies' and cities' (test_intake_submissions.py holds
    the two to each other). A province's names `left(column, 2)`, so that an index on it (intake's
    submissions, reporting's reminders) gives its rows newest first in order; `column = $2 OR column
    LIKE $2 || '.%'` alone could use none, and each page sorted all of them."""
    if len(scope) == 2:
        return (f"left({column}, 2) = {placeholder}"
                f" AND ({column} = {placeholder} OR {column} LIKE {placeholder} || '.%')")
    return f"{column} = {placeholder}"


async def nation_reader(caller: CallerDep) -> Caller:
    """A caller who reads the whole nation (the directorate, auditors), for an answer that covers
    every region at once."""
    if caller.region is not None:
        raise forbidden(say(f"token {caller.role} wilayah {caller.region} membaca wilayahnya sendiri, bukan data"
                            " nasional",
                            f"a {caller.role} token of region {caller.region} reads its own region, not the"
                            " nation's data"))
    return caller


async def auditor(caller: CallerDep) -> Caller:
    """An auditor (BPK, an inspectorate, a court): the audit report shows every step of a record,
    refused ones included, with who acted; the regions and the directorate read their records
    through the other endpoints."""
    if caller.role != "auditor":
        raise forbidden(say(f"laporan audit hanya untuk token auditor, bukan token {caller.role}",
                            f"the audit report is for auditor tokens only, not a {caller.role} token"))
    return caller


RegionInPath = Annotated[str, Depends(region_in_path)]
RegionScope = Annotated[str | None, Depends(region_scope)]
NationReader = Annotated[Caller, Depends(nation_reader)]
Auditor = Annotated[Caller, Depends(auditor)]


def found_in_scope(caller: Caller, found: T | None, regions: Callable[[T], Iterable[str]], what: Words) -> T:
    """`found` (looked up by an id) when the caller may read one of its `regions`; otherwise the
    404 an unknown id gets, word for word, so an answer never tells that it exists elsewhere."""
    if found is None or not caller.may_read_any(regions(found)):
        raise not_found(say(f"Tidak ada {what.id} dalam cakupan Anda.", f"There is no {what.en} in your scope."))
    return found
