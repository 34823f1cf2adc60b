"""Who may do what (INTERFACES.md): 401 without a known token, 403 for the wrong role or region,
and nothing written in either case."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest
from conftest import Platform

PROPOSAL = {
    "type": "agreement.propose",
    "data": {"kind": "KSDD", "title": "Pengelolaan sampah regional Kota Kendari dan Kabupaten Konawe",
             "parties": [{"type": "region", "code": "74.71"}, {"type": "region", "code": "74.02"}],
             "urusan": ["2.11"], "initiated_on": "2022-05-10"},
}


async def _written(platform: Platform) -> tuple[int, int]:
    conn = await platform.database("intake")
    try:
        return (await conn.fetchval("SELECT count(*) FROM submissions"),
                await conn.fetchval("SELECT sequence FROM chain_heads ORDER BY sequence DESC LIMIT 1") or 0)
    finally:
        await conn.close()


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic abc", "Bearer ksd_unknown-token"])
async def test_no_known_token_is_401_and_writes_nothing(platform: Platform, authorization: str | None) -> None:
    before = await _written(platform)
    headers = {"Idempotency-Key": str(uuid4())} | ({"Authorization": authorization} if authorization else {})
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{platform.url['intake']}/v1/submissions", json=PROPOSAL, headers=headers)
        summary = await client.get(f"{platform.url['reporting']}/v1/summary", headers=headers)
    assert response.status_code == 401 and summary.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401 and response.json()["title"]
    assert await _written(platform) == before


@pytest.mark.parametrize(("role", "region"), [("directorate", None), ("auditor", None), ("regency", "53.71"),
                                              ("province", "74")])
async def test_a_reader_or_a_non_party_is_403_and_writes_nothing(
    platform: Platform, role: str, region: str | None
) -> None:
    token = await platform.token(role, region)
    before = await _written(platform)
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{platform.url['intake']}/v1/submissions", json=PROPOSAL,
                                     headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid4())})
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("/forbidden")
    assert await _written(platform) == before


async def test_a_node_reads_its_own_scope_only(platform: Platform) -> None:
    province = await platform.token("province", "74")
    regency = await platform.token("regency", "74.71")
    async with httpx.AsyncClient() as client:
        async def summary(token: str, region: str | None = None) -> httpx.Response:
            return await client.get(f"{platform.url['reporting']}/v1/summary",
                                    params={"region": region} if region else {},
                                    headers={"Authorization": f"Bearer {token}"})

        assert (await summary(province)).json()["region"] == "74"
        assert (await summary(province, "74.71")).status_code == 200
        assert (await summary(province, "53")).status_code == 403
        assert (await summary(province, "53.71")).status_code == 403
        assert (await summary(regency)).json()["region"] == "74.71"
        assert (await summary(regency, "74")).status_code == 403
        assert (await summary(regency, "74.02")).status_code == 403
