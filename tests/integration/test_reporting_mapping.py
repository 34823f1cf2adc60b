"""Mapping in the directorate's console (`GET /v1/mapping` of reporting): what Maluku Utara's governments
declare through intake reaches the console by the platform's own path (intake → mapping → reporting),
per region and per affair and province, within each caller's scope; and mapping's partner ranking,
which the console shows, may be read from the console's origin (CORS)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
from conftest import Platform

from ksd_contracts.regions import autonomous_codes, in_scope
from ksd_contracts.submissions import today_wib

MEMBERS = [{"name": "Drs. H. Rizal Marsaoly", "position": "Sekretaris Daerah", "role": "ketua"}]
DECLARATIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("82.71", "region.record_tkksd", {"decree_number": "188.45/77/HK/2025", "decree_date": "2025-02-03",
                                      "members": MEMBERS}),
    ("82.71", "region.declare_cooperable_affairs", {"offers": ["2.11", "3.26"], "needs": ["1.03"]}),
    ("82.71", "region.declare_potential", {"potentials": [
        {"urusan": "3.26", "title": "Wisata Benteng Oranje", "description": "Kawasan benteng dan pelabuhan lama"},
        {"urusan": "2.11", "title": "TPA regional Buku Deru-deru", "description": "Lahan 15 ha"}]}),
    ("82.01", "region.declare_cooperable_affairs", {"offers": ["1.03"], "needs": ["2.11", "3.26"]}),
]
"""Kota Ternate's TKKSD decree, affairs and two potentials; Kabupaten Halmahera Barat's affairs (a
province no other test declares for, each declared today: mapping refuses a declaration older than
the one on record)."""


async def _submit(client: httpx.AsyncClient, platform: Platform, region: str, type: str, data: dict[str, Any]) -> None:
    token = await platform.token("regency", region)
    body = {"type": type, "data": {"region": region, "declared_on": today_wib().isoformat(), **data}}
    response = await client.post(f"{platform.url['intake']}/v1/submissions", json=body,
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid4())})
    assert response.status_code == 202, response.text


async def _mapping(client: httpx.AsyncClient, platform: Platform, token: str, **params: str) -> httpx.Response:
    return await client.get(f"{platform.url['reporting']}/v1/mapping", params=params,
                            headers={"Authorization": f"Bearer {token}"})


async def test_declarations_reach_the_console_per_region_and_per_affair_within_scope(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for region, type, data in DECLARATIONS:
            await _submit(client, platform, region, type, data)
        province = await platform.token("province", "82")
        deadline = asyncio.get_running_loop().time() + 120
        while True:
            answer = (await _mapping(client, platform, province)).json()
            found = {g["code"]: g for g in answer["governments"]}
            if found["82.71"]["potentials"] == 2 and found["82.01"]["needs"]:
                break
            assert asyncio.get_running_loop().time() < deadline, found["82.71"]
            await asyncio.sleep(0.3)

        # The province reads itself and its regencies/cities: every autonomous one, declared or not.
        assert answer["region"] == "82"
        assert set(found) == {c for c in autonomous_codes() if in_scope("82", c)}
        ternate = found["82.71"]
        assert ternate["name"] == "Kota Ternate" and ternate["province"] == "82"
        assert (ternate["tkksd_decree"], ternate["tkksd_on"]) == ("188.45/77/HK/2025", "2025-02-03")
        assert (ternate["offers"], ternate["needs"], ternate["affairs_declared_on"]) == (["2.11", "3.26"], ["1.03"],
                                                                                        today_wib().isoformat())
        assert found["82.02"]["tkksd_decree"] is None and found["82.02"]["offers"] == []
        assert answer["urusan"]["2.11"] == {"offers": {"82": 1}, "needs": {"82": 1}}
        assert answer["urusan"]["1.03"] == {"offers": {"82": 1}, "needs": {"82": 1}}
        assert answer["urusan"]["1.01"] == {"offers": {}, "needs": {}}
        assert answer["names"]["urusan"]["3.26"] and answer["names"]["regions"]["82"] == "Maluku Utara"

        # A regency/city reads itself alone; another region is 403, a code that is none is 422.
        own = await platform.token("regency", "82.71")
        alone = (await _mapping(client, platform, own)).json()
        assert [g["code"] for g in alone["governments"]] == ["82.71"]
        refused = await _mapping(client, platform, own, region="82")
        assert refused.status_code == 403
        unknown = await _mapping(client, platform, province, region="99.99")
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["query", "region"]

        # The console asks mapping for partners from its own origin: mapping lets it read.
        preflight = await client.options(
            f"{platform.url['mapping']}/v1/regions/82.01/partners",
            headers={"Origin": platform.url["reporting"], "Access-Control-Request-Method": "GET",
                     "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 200
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        directorate = await platform.token("directorate")
        partners = await client.get(f"{platform.url['mapping']}/v1/regions/82.01/partners",
                                    headers={"Authorization": f"Bearer {directorate}",
                                             "Origin": platform.url["reporting"]})
        assert partners.headers["access-control-allow-origin"] == "*"
        assert [p["code"] for p in partners.json()["partners"]][:1] == ["82.71"]
