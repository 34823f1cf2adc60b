"""Accounts for people, credentials for machines: Keycloak's tokens beside the platform's own.

A person signed in to the realm `ksd` and a region's system on the client-credentials grant submit
like a platform token does, and the submission, and the lifecycle event applying it, record who
acted. Revoking any of them (ending a
person's sessions, disabling a client, `ksd admin token revoke`) stops the token on every service
within the seconds the README states; `ksd admin token list` and `rotate` manage platform tokens.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from uuid import UUID, uuid4

import httpx
import pytest
from conftest import KEYCLOAK, Platform, TopicTail, header, ksd

from ksd_common.settings import Settings
from ksd_contracts.topics import AGREEMENT_EVENTS, SUBMISSIONS
from ksd_tools.admin import wait_until_known

REVOCATION_SECONDS = Settings().oidc_recheck_seconds + 3
"""The README's promise: a revoked token is refused everywhere within the introspection answer's
reuse (5 s) and a moment to ask again; a platform token's revocation travels the credentials topic
in well under that."""


def _propose(parties: tuple[str, str]) -> dict[str, object]:
    return {"type": "agreement.propose", "data": {
        "agreement_id": str(uuid4()), "kind": "KSDD", "title": f"Pengelolaan sampah {uuid4().hex[:6]}",
        "urusan": ["2.11"], "initiated_on": "2024-07-02", "parties": [{"type": "region", "code": c} for c in parties]}}


@pytest.mark.parametrize("kind", ["person", "machine", "platform"])
async def test_a_submission_records_who_acted(
    platform: Platform, tail: Callable[[str], Awaitable[TopicTail]], kind: str
) -> None:
    submissions, lifecycle = await tail(SUBMISSIONS.name), await tail(AGREEMENT_EVENTS.name)
    token, actor = await platform.bearer(kind, "regency", "74.71")
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        response = await client.post(f"{platform.url['intake']}/v1/submissions", json=_propose(("74.71", "74.02")),
                                     headers={"Idempotency-Key": str(uuid4())})
        assert response.status_code == 202, response.text
        submission_id = response.json()["id"]
        shown = (await client.get(f"{platform.url['intake']}/v1/submissions/{submission_id}")).json()
    assert shown["actor"] == actor
    [record] = await submissions.wait_for(lambda r: header(r, "ce_id") == submission_id)
    data = json.loads(record.value)
    assert (data["actor"], data["role"], data["region"]) == (actor, "regency", "74.71")
    [proposed] = await lifecycle.wait_for(lambda r: header(r, "ce_causationid") == submission_id)
    applied = json.loads(proposed.value)
    assert (applied["submitted_by"], applied["acted_by"]) == ("74.71", actor)


def _probes(platform: Platform) -> list[str]:
    """A read of intake, mapping and reporting each: 401 only for a token the service refuses."""
    return [f"{platform.url['intake']}/v1/submissions/{UUID(int=0)}", f"{platform.url['reporting']}/v1/summary",
            f"{platform.url['mapping']}/v1/agreements/{UUID(int=0)}/mapping"]


async def _refused_everywhere(platform: Platform, token: str) -> float:
    """Seconds until intake, mapping and reporting all answer 401 to `token`."""
    probes = _probes(platform)
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        while probes:
            if (await client.get(probes[-1])).status_code == 401:
                probes.pop()
                continue
            assert loop.time() - start < 60, f"still answered after 60 s: {probes}"
            await asyncio.sleep(0.1)
    return loop.time() - start


@pytest.mark.parametrize("kind", ["person", "machine", "platform"])
async def test_a_revoked_token_stops_working_everywhere_within_seconds(platform: Platform, kind: str) -> None:
    token, actor = await platform.bearer(kind, "regency", "74.71")
    for probe in _probes(platform):  # known everywhere (and a Keycloak token's answer cached) before
        await wait_until_known(probe, token)
    if kind == "platform":
        revoked = ksd("admin", "token", "revoke", actor.removeprefix("token:"))
        assert revoked.returncode == 0, revoked.stderr
        assert "dicabut" in revoked.stdout
    else:
        await platform.keycloak.revoke(next(a for a in platform.keycloak.accounts if a.token == token))
    assert await _refused_everywhere(platform, token) <= REVOCATION_SECONDS
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        refused = await client.get(f"{platform.url['reporting']}/v1/summary")
    assert refused.status_code == 401
    if kind != "platform":
        assert refused.json()["code"] == "auth.token_revoked"


async def test_platform_tokens_are_listed_rotated_and_revoked(platform: Platform) -> None:
    token, actor = await platform.bearer("platform", "province", "74")
    prefix = actor.removeprefix("token:")
    listed = ksd("admin", "token", "list")
    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if line.startswith(prefix)]
    assert "province" in line and " 74 " in line and "berlaku" in line
    rotated = ksd("admin", "token", "rotate", prefix)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert new.startswith("ksd_") and new != token
    await wait_until_known(f"{platform.url['reporting']}/v1/summary", new)
    await _refused_everywhere(platform, token)
    everything = ksd("admin", "token", "list", "--all").stdout
    assert any(line.startswith(prefix) and "dicabut" in line for line in everything.splitlines())
    assert not any(line.startswith(prefix) for line in ksd("admin", "token", "list").stdout.splitlines())
    again = ksd("admin", "token", "revoke", prefix)  # what is revoked once is not found in force again
    assert again.returncode != 0 and f"0 token berlaku dengan hash berawalan {prefix}" in again.stderr
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(f"{platform.url['reporting']}/v1/summary", params={"region": "74"},
                                  headers={"Authorization": f"Bearer {new}"})
    assert answer.status_code == 200  # the same role and region as the token it replaced


async def test_a_token_of_another_realm_or_with_no_role_of_ours_is_refused(platform: Platform) -> None:
    await platform.keycloak.ready()
    async with httpx.AsyncClient(timeout=30) as client:
        master = (await client.post(f"{KEYCLOAK}/realms/master/protocol/openid-connect/token", data={
            "grant_type": "password", "client_id": "admin-cli", "username": platform.keycloak.admin,
            "password": platform.keycloak.password})).json()["access_token"]
        answer = await client.get(f"{platform.url['reporting']}/v1/summary",
                                  headers={"Authorization": f"Bearer {master}"})
        assert answer.status_code == 401 and answer.json()["code"] in ("auth.token_key", "auth.token_issuer")
        misbound = await platform.keycloak.person("regency", "74")  # a province's code on a regency account
        answer = await client.get(f"{platform.url['reporting']}/v1/summary",
                                  headers={"Authorization": f"Bearer {misbound.token}"})
        assert answer.status_code == 403 and "74" in answer.json()["detail"]


async def test_a_region_administrator_manages_only_their_own_regions_operators(platform: Platform) -> None:
    admin = await platform.keycloak.person("region_admin", "74.71")
    neighbour = await platform.keycloak.person("region_admin", "74.02")
    operator = await platform.keycloak.person("regency", "74.71")
    accounts = f"{platform.url['intake']}/v1/accounts"
    username, password = f"operator-{uuid4().hex[:10]}", uuid4().hex

    def as_(account_token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {account_token}"}

    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(accounts, headers=as_(operator.token))).status_code == 403
        created = await client.post(accounts, headers=as_(admin.token), json={
            "username": username, "first_name": "Wa Ode", "last_name": "Nurhaya",
            "email": f"{username}@kendarikota.go.id", "password": password, "temporary": False})
        assert created.status_code == 201, created.text
        await platform.keycloak.find(username)
        made = created.json()
        assert (made["role"], made["region"], made["enabled"]) == ("regency", "74.71", True)

        async def listed_by(account: str) -> set[str]:
            return {a["username"] for a in (await client.get(accounts, headers=as_(account))).json()}

        assert username in await listed_by(admin.token)
        assert username not in await listed_by(neighbour.token)
        assert (await client.delete(f"{accounts}/{username}", headers=as_(neighbour.token))).status_code == 404
        assert (await client.post(accounts, headers=as_(admin.token), json={
            "username": username, "first_name": "Lagi", "email": f"lagi-{username}@kendarikota.go.id",
            "password": password})).json()["code"] == "account.username_taken"

        # The new operator signs in and submits for Kota Kendari; the submission names them.
        token = await platform.keycloak.sign_in(username, password)
        proposed = await client.post(f"{platform.url['intake']}/v1/submissions", json=_propose(("74.71", "74.02")),
                                     headers=as_(token) | {"Idempotency-Key": str(uuid4())})
        assert proposed.status_code == 202, proposed.text
        shown = await client.get(f"{platform.url['intake']}/v1/submissions/{proposed.json()['id']}", headers=as_(token))
        assert shown.json()["actor"] == f"person:{username}"

        for probe in _probes(platform):
            await wait_until_known(probe, token)
        assert (await client.delete(f"{accounts}/{username}", headers=as_(admin.token))).status_code == 204
        assert await _refused_everywhere(platform, token) <= REVOCATION_SECONDS
        listed = {a["username"]: a for a in (await client.get(accounts, headers=as_(admin.token))).json()}
        assert listed[username]["enabled"] is False
    with pytest.raises(httpx.HTTPStatusError):
        await platform.keycloak.sign_in(username, password)
