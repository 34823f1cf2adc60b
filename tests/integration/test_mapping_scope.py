"""Issue 18's open door, closed: mapping's three reads of a region's data answer a token of another
province 404 (an agreement, as if it did not exist) or 403 (a region it may not read), and never
carry Kota Kupang's titles; Kota Kupang's own token reads all three."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import httpx
from conftest import Platform

KUPANG, KAB_KUPANG = "53.71", "53.01"


async def test_mapping_answers_kota_kupangs_data_to_no_one_outside_its_scope(platform: Platform) -> None:
    kupang = await platform.token("regency", KUPANG)
    title = f"Pengelolaan air limbah Kota Kupang {uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=30) as client:
        proposed = await client.post(f"{platform.url['intake']}/v1/submissions", headers={
            "Authorization": f"Bearer {kupang}", "Idempotency-Key": str(uuid4())}, json={
            "type": "agreement.propose", "data": {
                "kind": "KSDD", "title": title, "urusan": ["2.11"], "initiated_on": "2024-07-02",
                "parties": [{"type": "region", "code": KUPANG}, {"type": "region", "code": KAB_KUPANG}]}})
        assert proposed.status_code == 202, proposed.text
        agreement = proposed.json()["agreement_id"]
        reads = {f"/v1/agreements/{agreement}/mapping": 404, f"/v1/regions/{KUPANG}/partners?urusan=2.11": 403,
                 f"/v1/regions/{KUPANG}/mapping": 403}

        async def read(path: str, token: str) -> httpx.Response:
            return await client.get(f"{platform.url['mapping']}{path}", headers={"Authorization": f"Bearer {token}"})

        for _ in range(600):  # until mapping has read the proposal from the topic
            if (await read(f"/v1/agreements/{agreement}/mapping", kupang)).status_code == 200:
                break
            await asyncio.sleep(0.1)

        for path in reads:  # the owner reads them: the refusals below are about scope, not a missing record
            assert (await read(path, kupang)).status_code == 200, path
        partners = await read(f"/v1/regions/{KAB_KUPANG}/partners?urusan=2.11", await platform.token(
            "regency", KAB_KUPANG))
        assert partners.status_code == 200
        outsiders = {"province 74": await platform.token("province", "74"),
                     "regency 74.71": await platform.token("regency", "74.71")}
        answers = await asyncio.gather(*(read(path, token) for token in outsiders.values() for path in reads))
    expected = [status for _ in outsiders for status in reads.values()]
    assert [a.status_code for a in answers] == expected, [(a.url, a.status_code) for a in answers]
    assert not [a for a in answers if title in a.text or (agreement in a.text and a.status_code != 404)]
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
