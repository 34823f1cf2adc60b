"""Who may submit what: a node declares for its own region only, and submits steps only of
agreements its region is a party to (known from agreement.proposed events). 403 writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest
from conftest import Platform
from intake_examples import examples
from test_intake_submissions import post, written

REGION_TYPES = ["region.record_tkksd", "region.declare_potential", "region.declare_cooperable_affairs",
                "region.declare_neighbours"]


@pytest.mark.parametrize("type", REGION_TYPES)
@pytest.mark.parametrize(("role", "own", "other"), [
    ("regency", "64.72", "64.71"),   # another regency
    ("regency", "64.72", "64"),      # its own province
    ("province", "64", "64.72"),     # one of its own regencies: a province declares for itself only
])
async def test_a_node_declares_only_for_its_own_region(
    platform: Platform, role: str, own: str, other: str, type: str
) -> None:
    token = await _token(platform, role, own)
    data = examples(other, own, uuid4())[type].valid
    before = await written(platform)
    response = await post(platform, token, {"type": type, "data": data})
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await written(platform) == before


async def test_a_step_by_a_non_party_is_403_once_intake_knows_the_parties(platform: Platform) -> None:
    samarinda, balikpapan, bontang = [await _token(platform, "regency", c) for c in ("64.72", "64.71", "64.74")]
    proposal = examples("64.72", "64.71", uuid4())["agreement.propose"].valid
    accepted = (await post(platform, samarinda, {"type": "agreement.propose", "data": proposal})).json()
    agreement = await _applied_agreement(platform, samarinda, accepted["id"])
    step = examples("64.74", "64.71", agreement)["agreement.record_ksb"]
    await _until_known(platform, agreement)

    before = await written(platform)
    refused = await post(platform, bontang, {"type": step.type, "data": step.valid})
    assert refused.status_code == 403, refused.text
    assert "bukan pihak kerja sama" in refused.json()["detail"]
    assert await written(platform) == before
    assert (await post(platform, balikpapan, {"type": step.type, "data": step.valid})).status_code == 202


async def test_a_step_of_an_agreement_not_yet_known_is_accepted(platform: Platform) -> None:
    """The agreement service applies the same rule (`agreement.not_a_party`) when intake cannot."""
    bontang = await _token(platform, "regency", "64.74")
    step = examples("64.74", "64.71", uuid4())["agreement.record_ksb"]
    assert (await post(platform, bontang, {"type": step.type, "data": step.valid})).status_code == 202


TOKENS: dict[tuple[str, str], str] = {}


async def _token(platform: Platform, role: str, region: str) -> str:
    if (role, region) not in TOKENS:
        TOKENS[role, region] = await platform.token(role, region)
    return TOKENS[role, region]


async def _applied_agreement(platform: Platform, token: str, submission: str) -> Any:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            status = (await client.get(f"{platform.url['intake']}/v1/submissions/{submission}",
                                       headers={"Authorization": f"Bearer {token}"})).json()
            if status["status"] == "applied":
                return status["agreement_id"]
            await asyncio.sleep(0.1)
    raise AssertionError(f"submission {submission} not applied: {status}")


async def _until_known(platform: Platform, agreement: str) -> None:
    conn = await platform.database("intake")
    try:
        for _ in range(200):
            if await conn.fetchval("SELECT 1 FROM agreement_parties WHERE agreement_id = $1::uuid", agreement):
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise AssertionError(f"intake never saw agreement {agreement} proposed")
