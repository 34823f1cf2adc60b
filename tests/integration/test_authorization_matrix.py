"""Who may read what, on every read endpoint the four services publish (INTERFACES.md, "Who may do
what"): a regency reads its own region, a province itself and its regencies/cities, the directorate
and auditors the nation.

The endpoints come from each running service's `GET /openapi.json`, so a new one is checked the day
it appears; one whose parameters the matrix cannot place fails the test until it is placed here.
Every role asks for a region and an agreement inside its scope and outside it: inside is answered,
an outside region is 403, an outside agreement (or submission) is the same 404 as one that does not
exist, and no answer carries an outside agreement's id or title.

Every role is asked three times, as each kind of caller: a platform token (`ksd admin token
create`), a person signed in to Keycloak, and a machine client of Keycloak on the
client-credentials grant. Revoked ones of each kind are asked too, and are refused everywhere.

The regions' workspace (`/ruang-kerja/`) is asked the same questions: a person signed in through
it (the authorization-code flow, its session cookie) reads every endpoint through its forwarder
(`/ruang-kerja/api/{service}/...`) and gets exactly what their own token gets; a bearer token of any
kind, no session, an unknown one, or a revoked person's, gets a 401 there and nothing else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from conftest import SERVICES, SESSION, WORKSPACE, Platform, ksd

from ksd_tools.admin import wait_until_known

UNKNOWN = str(UUID(int=0x6B7364))
"""An agreement or submission id that exists nowhere: its 404 is what an outside one must look like."""

OPERATIONS = {"/healthz", "/readyz", "/metrics", "/asyncapi.json"}
PUBLIC = {("intake", "/v1/imports/template.xlsx"), ("mapping", "/v1/urusan"), ("mapping", "/v1/regions"),
          ("mapping", "/v1/regions/lineage"), ("mapping", "/v1/regions/{code}")}
"""Reference data anyone may read without a token: the catalogue of regions and affairs, the template."""
NATION_ONLY = {("reporting", "/v1/digest")}
"""Read by the directorate and auditors only, whatever the region."""
AUDITOR_ONLY = {("reporting", f"/v1/audit/{path}") for path in (
    "agreements/{agreement_id}", "agreements/{agreement_id}/report.html", "regions/{code}",
    "regions/{code}/report.html", "nation", "nation/report.html")}
"""The audit report (every step, refused ones included, with who acted): auditors only, any region;
every other token is 403, even for its own region's agreement."""

ADMINISTRATORS_ONLY = {("intake", "/v1/accounts")}
"""Read by a region administrator only: their own region's operator accounts (test_identity.py
checks that another region's never show)."""

REGIONS = ("74.71", "74.02", "74", "53.71", "53")
"""Probes: Kota Kendari, Kabupaten Konawe (in Kendari's province), Sulawesi Tenggara, Kota Kupang, NTT."""
READS: dict[str, set[str]] = {
    "regency": {"74.71"},
    "province": {"74", "74.71", "74.02", "74.03"},
    "directorate": {*REGIONS, "74.03", "53.01"},
    "auditor": {*REGIONS, "74.03", "53.01"},
    "region_admin": {"74.71"},
}
"""What each role's token (regency 74.71, province 74, the two national ones) may read, of the
probes and of the agreements' parties."""
BOUND = {"regency": "74.71", "province": "74", "directorate": None, "auditor": None, "region_admin": "74.71"}
KINDS = ("platform", "person", "machine")
"""A platform token, a person of Keycloak, a machine client of Keycloak."""


@dataclass(frozen=True)
class Proposed:
    """One agreement proposed through intake: its parties, and who submitted it."""

    agreement_id: str
    submission_id: str
    title: str
    parties: tuple[str, str]
    submitter: str


@dataclass(frozen=True)
class Endpoint:
    service: str
    path: str
    region_query: bool

    @property
    def name(self) -> str:
        return f"{self.service} GET {self.path}"


async def _propose(client: httpx.AsyncClient, platform: Platform, parties: tuple[str, str], title: str) -> Proposed:
    token = await platform.token("regency", parties[0])
    agreement_id = str(uuid4())
    body = {"type": "agreement.propose", "data": {
        "agreement_id": agreement_id, "kind": "KSDD", "title": title, "urusan": ["2.11"],
        "initiated_on": "2024-07-02", "parties": [{"type": "region", "code": c} for c in parties]}}
    response = await client.post(f"{platform.url['intake']}/v1/submissions", json=body,
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid4())})
    assert response.status_code == 202, response.text
    return Proposed(agreement_id, response.json()["id"], title, parties, parties[0])


async def _until_visible(client: httpx.AsyncClient, url: str, token: str) -> None:
    """Until the directorate reads `url` (a fresh platform first reads the shared topics' history)."""
    deadline = asyncio.get_running_loop().time() + 300
    while (await client.get(url, headers={"Authorization": f"Bearer {token}"})).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, f"{url} never answered 200"
        await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
def agreements(platform: Platform) -> tuple[Proposed, ...]:
    """Kendari with Konawe, Konawe with Muna (the province's, not Kendari's), Kupang with Kabupaten
    Kupang (another province's), each seen by intake, mapping and reporting."""
    marker = uuid4().hex[:8]

    async def propose() -> tuple[Proposed, ...]:
        ministry = await platform.token("directorate")
        await wait_until_known(f"{platform.url['mapping']}/v1/agreements/{UNKNOWN}/mapping", ministry)
        async with httpx.AsyncClient(timeout=30) as client:
            proposed = (
                await _propose(client, platform, ("74.71", "74.02"), f"Sampah Kendari Konawe {marker}"),
                await _propose(client, platform, ("74.02", "74.03"), f"Sampah Konawe Muna {marker}"),
                await _propose(client, platform, ("53.71", "53.01"), f"Sampah Kupang {marker}"),
            )
            for p in proposed:
                await _until_visible(client, f"{platform.url['reporting']}/v1/agreements/{p.agreement_id}", ministry)
                await _until_visible(client, f"{platform.url['mapping']}/v1/agreements/{p.agreement_id}/mapping",
                                     ministry)
        return proposed

    return asyncio.run(propose())


@pytest.fixture(scope="module")
def endpoints(platform: Platform) -> list[Endpoint]:
    """Every GET of the four OpenAPI documents that answers a caller by token."""
    async def documents() -> dict[str, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30) as client:
            return {s: (await client.get(f"{platform.url[s]}/openapi.json")).json() for s in SERVICES}

    found = []
    for service, document in asyncio.run(documents()).items():
        for path, operations in document["paths"].items():
            if "get" not in operations or path in OPERATIONS or (service, path) in PUBLIC:
                continue
            names = {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
            found.append(Endpoint(service, path, "region" in names))
    return found


def _outside(role: str, agreements: tuple[Proposed, ...]) -> list[Proposed]:
    return [a for a in agreements if not READS[role] & set(a.parties)]


def _leaks(text: str, outside: list[Proposed]) -> list[str]:
    """What of the outside agreements an answer shows: their ids, their submissions, their titles."""
    return [s for a in outside for s in (a.agreement_id, a.submission_id, a.title) if s in text]


def _expected(role: str, endpoint: Endpoint,
              agreements: tuple[Proposed, ...]) -> list[tuple[str, dict[str, str], int]]:
    """(path, query, status) to ask of `endpoint` as `role`, for regions and ids placed later."""
    path = endpoint.path
    if (endpoint.service, path) in AUDITOR_ONLY and "{" not in path:  # the nation's
        return [(path, {}, 200 if role == "auditor" else 403)]
    if (endpoint.service, path) in AUDITOR_ONLY:
        probes = [*REGIONS] if "{code}" in path else [a.agreement_id for a in agreements]
        field = "{code}" if "{code}" in path else "{agreement_id}"
        return [(path.replace(field, p), {}, 200 if role == "auditor" else 403) for p in probes]
    if (endpoint.service, path) in NATION_ONLY:
        return [(path, {}, 200 if BOUND[role] is None else 403)]
    if (endpoint.service, path) in ADMINISTRATORS_ONLY:
        return [(path, {}, 200 if role == "region_admin" else 403)]
    if "{code}" in path:
        return [(path.replace("{code}", r), {}, 200 if r in READS[role] else 403) for r in REGIONS]
    if endpoint.region_query:
        return [(path, {}, 200), *[(path, {"region": r}, 200 if r in READS[role] else 403) for r in REGIONS]]
    if "{agreement_id}" in path or "{submission_id}" in path:
        return [(path, {}, 0)]  # per agreement: see _by_id
    raise AssertionError(f"{endpoint.name}: the matrix does not know how to scope it; place it here")


def _cookie(session: str | None) -> dict[str, str]:
    return {"Cookie": f"{SESSION}={session}"} if session else {}


def through_workspace(platform: Platform, service: str) -> str:
    """Where the workspace's page reads `service`'s API."""
    return f"{platform.url['intake']}{WORKSPACE}/api/{service}"


async def _asked(client: httpx.AsyncClient, base: dict[str, str], endpoints: list[Endpoint], role: str,
                 agreements: tuple[Proposed, ...]) -> list[str]:
    """Every endpoint asked as `role` for inside and outside regions and ids (at `base[service]`):
    what was answered that should not have been."""
    outside = _outside(role, agreements)
    wrong: list[str] = []
    for endpoint in endpoints:
        for path, query, status in _expected(role, endpoint, agreements):
            if status == 0:
                wrong += await _by_id(client, base[endpoint.service], endpoint, role, agreements)
                continue
            response = await client.get(f"{base[endpoint.service]}{path}", params=query)
            asked = f"{endpoint.service} GET {path} {query}"
            if response.status_code != status:
                wrong.append(f"{asked}: {response.status_code}, expected {status}: {response.text[:200]}")
            if leaked := _leaks(response.text, outside):
                wrong.append(f"{asked}: shows {leaked}")
    return wrong


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", list(READS))
async def test_each_role_reads_its_scope_and_nothing_outside(
    platform: Platform, agreements: tuple[Proposed, ...], endpoints: list[Endpoint], role: str, kind: str
) -> None:
    token, _ = await platform.bearer(kind, role, BOUND[role])
    await wait_until_known(f"{platform.url['mapping']}/v1/agreements/{UNKNOWN}/mapping", token)
    async with httpx.AsyncClient(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        wrong = await _asked(client, platform.url, endpoints, role, agreements)
        # A bearer token of any kind opens nothing through the workspace: it answers its session only.
        for endpoint in endpoints:
            response = await client.get(f"{through_workspace(platform, endpoint.service)}{endpoint.path}")
            if response.status_code != 401:
                wrong.append(f"workspace {endpoint.name} with a {kind} bearer token: {response.status_code}")
    if kind == "person":  # the same person through the workspace: exactly what their own token gets
        account = next(a for a in platform.keycloak.accounts if a.token == token)
        session = await platform.workspace_session(account)
        workspace = {s: through_workspace(platform, s) for s in SERVICES}
        async with httpx.AsyncClient(timeout=60, headers=_cookie(session)) as client:
            me = (await client.get(f"{platform.url['intake']}{WORKSPACE}/api/saya")).json()
            if (me["role"], me["region"]) != (role, BOUND[role]):
                wrong.append(f"workspace api/saya: {me}")
            wrong += [f"workspace: {w}" for w in await _asked(client, workspace, endpoints, role, agreements)]
            awaiting = await client.get(f"{workspace['reporting']}/v1/agreements",
                                        params={"awaiting_report_of": "53.01"})
            if awaiting.status_code != (200 if "53.01" in READS[role] else 403):
                wrong.append(f"workspace awaiting_report_of=53.01: {awaiting.status_code}")
    assert not wrong, f"{kind} {role} {BOUND[role]}:\n" + "\n".join(wrong)


async def _by_id(client: httpx.AsyncClient, base: str, endpoint: Endpoint, role: str,
                 agreements: tuple[Proposed, ...]) -> list[str]:
    """An agreement (or its submission) by id: inside it is answered; outside it is the same 404 as
    an id that exists nowhere, so the answer does not even say that it exists."""
    field = "{submission_id}" if "{submission_id}" in endpoint.path else "{agreement_id}"
    unknown = await client.get(base + endpoint.path.replace(field, UNKNOWN))
    wrong = [] if unknown.status_code == 404 else [f"{endpoint.name} of an unknown id: {unknown.status_code}"]
    outside = _outside(role, agreements)
    for a in agreements:
        # A submission belongs to the region that submitted it; an agreement to its parties.
        owners = {a.submitter} if field == "{submission_id}" else set(a.parties)
        the_id = a.submission_id if field == "{submission_id}" else a.agreement_id
        response = await client.get(base + endpoint.path.replace(field, the_id))
        asked = f"{endpoint.name} of {a.title} ({', '.join(a.parties)})"
        if not owners & READS[role]:
            if (response.status_code, response.json()) != (404, _as_for(unknown.json(), the_id)):
                wrong.append(f"{asked}: {response.status_code} {response.text[:200]}, expected the unknown id's 404")
        elif response.status_code != 200 or the_id not in response.text:
            wrong.append(f"{asked}: {response.status_code}, expected 200 with it: {response.text[:200]}")
        elif leaked := _leaks(response.text, outside):
            wrong.append(f"{asked}: shows {leaked}")
    return wrong


def _as_for(unknown: dict[str, Any], the_id: str) -> dict[str, Any]:
    """The unknown id's answer as it would read for `the_id`."""
    return {k: v.replace(UNKNOWN, the_id) if isinstance(v, str) else v for k, v in unknown.items()}


async def _revoked(platform: Platform, kind: str) -> tuple[str, str | None]:
    """A token of `kind` for Kendari's regency that worked and was revoked: the platform's by
    `ksd admin token revoke`, a person's by ending their sessions (their workspace session too,
    also returned), a machine's by disabling it."""
    token, actor = await platform.bearer(kind, "regency", "74.71")
    session = None
    if kind == "person":
        session = await platform.workspace_session(next(a for a in platform.keycloak.accounts if a.token == token))
    if kind == "platform":
        assert ksd("admin", "token", "revoke", actor.removeprefix("token:")).returncode == 0
    else:
        await platform.keycloak.revoke(next(a for a in platform.keycloak.accounts if a.token == token))
    probe = f"{platform.url['mapping']}/v1/agreements/{UNKNOWN}/mapping"
    async with httpx.AsyncClient(timeout=30) as client:
        deadline = asyncio.get_running_loop().time() + 30
        while (await client.get(probe, headers={"Authorization": f"Bearer {token}"})).status_code != 401:
            assert asyncio.get_running_loop().time() < deadline, f"a revoked {kind} token still answered"
            await asyncio.sleep(0.2)
        while session and (await client.get(f"{platform.url['intake']}{WORKSPACE}/api/saya",
                                             headers=_cookie(session))).status_code != 401:
            assert asyncio.get_running_loop().time() < deadline, "a revoked person's workspace session still answered"
            await asyncio.sleep(0.2)
    return token, session


@pytest.mark.parametrize("who", [None, "unknown", *(f"revoked {kind}" for kind in KINDS)])
async def test_every_read_needs_a_known_token(
    platform: Platform, agreements: tuple[Proposed, ...], endpoints: list[Endpoint], who: str | None
) -> None:
    session = None
    if who is None:
        headers = {}
    elif who == "unknown":
        headers, session = {"Authorization": "Bearer ksd_unknown-token"}, "unknown-session"
    else:
        token, session = await _revoked(platform, who.removeprefix("revoked "))
        headers = {"Authorization": f"Bearer {token}"}
    ids = {"{code}": "74.71", "{agreement_id}": agreements[0].agreement_id,
           "{submission_id}": agreements[0].submission_id}
    wrong = []
    async with httpx.AsyncClient(timeout=60, headers=headers) as client:
        for endpoint in endpoints:
            path = endpoint.path
            for field, value in ids.items():
                path = path.replace(field, value)
            for base, cookie in ((platform.url[endpoint.service], {}),
                                 (through_workspace(platform, endpoint.service), _cookie(session))):
                response = await client.get(f"{base}{path}", headers=cookie)
                if response.status_code != 401 or response.headers["content-type"] != "application/problem+json":
                    wrong.append(f"{base} {endpoint.name}: {response.status_code} {response.text[:200]}")
                elif _leaks(response.text, list(agreements)):
                    wrong.append(f"{base} {endpoint.name}: a 401 that shows an agreement")
    assert not wrong, "\n".join(wrong)
    assert {e.name for e in endpoints} >= {"mapping GET /v1/agreements/{agreement_id}/mapping",
                                           "mapping GET /v1/regions/{code}/partners",
                                           "reporting GET /v1/agreements/{agreement_id}",
                                           "intake GET /v1/submissions/{submission_id}"}
