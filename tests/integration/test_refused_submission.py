"""What must show (issue 18): a regency operator reading a refused submission sees the rule in
Indonesian (and in English on `Accept-Language: en`) and links that work. The proposal's answer
gives the new agreement's id at once, and the node uses it for its next step before the agreement
service has even applied the proposal."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

import httpx
from conftest import Platform

KUPANG, KAB_KUPANG = "53.71", "53.01"


async def _submit(client: httpx.AsyncClient, platform: Platform, token: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{platform.url['intake']}/v1/submissions", json=body, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid4())})


async def _answered(client: httpx.AsyncClient, url: str, token: str) -> dict[str, Any]:
    """The submission's status once the agreement service has answered it."""
    for _ in range(600):
        status: dict[str, Any] = (await client.get(url, headers={"Authorization": f"Bearer {token}"})).json()
        if status["status"] in ("applied", "rejected"):
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered: {status}")


async def _followed(client: httpx.AsyncClient, url: str, token: str) -> httpx.Response:
    """GET a link as the operator would, giving the services that serve it a few seconds to have
    caught up with the topic (each reads it on its own)."""
    for _ in range(300):
        response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 404:
            return response
        await asyncio.sleep(0.1)
    return response


async def test_a_regency_operator_reads_a_refused_submission_in_indonesian_with_links_that_work(
        platform: Platform) -> None:
    token = await platform.token("regency", KUPANG)
    async with httpx.AsyncClient(timeout=30) as client:
        proposed = await _submit(client, platform, token, {"type": "agreement.propose", "data": {
            "kind": "KSDD", "mandatory": False, "title": "Pengelolaan sampah regional Kota dan Kabupaten Kupang",
            "parties": [{"type": "region", "code": KUPANG}, {"type": "region", "code": KAB_KUPANG}],
            "urusan": ["2.11"], "initiated_on": "2024-07-02"}})
        assert proposed.status_code == 202, proposed.text
        answer = proposed.json()
        agreement = UUID(answer["agreement_id"])  # given by intake at once
        assert proposed.headers["location"] == answer["links"]["status"]
        assert answer["links"]["status"].endswith(f"/v1/submissions/{answer['id']}")

        # the next step at once, with that id: a KSB the mayor's deputy signed for Kota Kupang
        refused = await _submit(client, platform, token, {"type": "agreement.record_ksb", "data": {
            "agreement_id": str(agreement), "document": {"number": "KSB/01/2024", "signed_on": "2024-08-01",
                                                         "signatories": [{"name": "Hermanus Man",
                                                                          "position": "Wakil Wali Kota",
                                                                          "party": KUPANG, "capacity": "mitra"}]}}})
        assert refused.status_code == 202, refused.text
        assert refused.json()["agreement_id"] == str(agreement)

        assert (await _answered(client, answer["links"]["status"], token))["agreement_id"] == str(agreement)
        status = await _answered(client, refused.json()["links"]["status"], token)
        assert status["status"] == "rejected"
        rule = next(r for r in status["reasons"] if r["rule"] == "ksb.signed_by_head")
        assert rule["pesan"] == "KSB harus ditandatangani kepala daerah."
        assert rule["tindakan"].startswith("Periksa penandatangan KSB")
        assert any(r["detail"] == "Hermanus Man tidak menandatangani sebagai kepala_daerah" for r in status["reasons"])

        in_english = (await client.get(refused.json()["links"]["status"], headers={
            "Authorization": f"Bearer {token}", "Accept-Language": "en"})).json()
        assert [r["rule"] for r in in_english["reasons"]] == [r["rule"] for r in status["reasons"]]
        english = next(r for r in in_english["reasons"] if r["rule"] == "ksb.signed_by_head")
        assert english["pesan"] == "A KSB must be signed by the region's head."
        assert any(r["detail"] == "Hermanus Man did not sign as kepala_daerah" for r in in_english["reasons"])

        assert set(status["links"]) == {"self", "agreement", "mapping"}
        for name, link in status["links"].items():
            assert link.startswith("http"), (name, link)
            followed = await _followed(client, link, token)
            assert followed.status_code == 200, (name, link, followed.text)
        record = (await client.get(status["links"]["agreement"], headers={"Authorization": f"Bearer {token}"})).json()
        assert record["agreement_id"] == str(agreement)
