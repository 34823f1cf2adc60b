"""The auditor's question on the real platform: *as recorded on R, what was in force on D*.

Kota Kupang back-fills in 2026 a cooperation with PT Air Kupang whose acts were signed in 2019-2020
and whose term ran to 2024, then corrects the PKS's end. The recording times R are the test's own
moments between its submissions: the agreement service stamps each event when it applies a
submission (the envelope's `time`), after intake accepted it, so a moment taken once a submission is
answered lies after its recording and before the next one's. The legal days D run across the acts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from conftest import Platform
from test_seed_cases import Node, _signed

KUPANG, KAB_KUPANG = "53.71", "53.01"
PARTNER = "PT Air Kupang"
SIGNED = _signed(KUPANG, "Jefirstson R. Riwu Kore", PARTNER, "180/KSB/2020", "2020-02-03")
PKS = {"document": SIGNED | {"number": "181/PKS/2020", "signed_on": "2020-05-04"},
       "start_on": "2020-06-01", "end_on": "2024-05-31",
       "funding": [{"amount_idr": 1_750_000_000, "source": "apbd", "plan": "rkpd", "program": "1.03.03"}]}


async def _audit(client: httpx.AsyncClient, platform: Platform, token: str, agreement_id: str,
                 **params: str) -> dict[str, Any]:
    response = await client.get(f"{platform.url['reporting']}/v1/audit/agreements/{agreement_id}",
                                params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _until_on_timeline(client: httpx.AsyncClient, platform: Platform, token: str, agreement_id: str,
                             step: str) -> None:
    """Until reporting has folded the agreement's events up to a `step`."""
    for _ in range(300):
        response = await client.get(f"{platform.url['reporting']}/v1/audit/agreements/{agreement_id}",
                                    headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 200 and step in [s["type"] for s in response.json()["timeline"]]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"reporting did not show the {step} step of {agreement_id}")


def _moment() -> str:
    return datetime.now(UTC).isoformat()


async def test_as_recorded_on_r_what_was_in_force_on_d(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        kupang = Node(client, platform, await platform.token("regency", KUPANG))
        auditor = await platform.token("auditor")
        before_all = _moment()
        agreement = (await kupang.submit("agreement.propose", {
            "kind": "KSDPK", "title": "Penyediaan air minum Kota Kupang dengan PT Air Kupang",
            "parties": [{"type": "region", "code": KUPANG}, {"type": "third_party", "name": PARTNER,
                                                              "category": "swasta"}],
            "urusan": ["1.03"], "initiated_on": "2019-03-01"}))["agreement_id"]
        assert (await kupang.step("agreement.record_tkksd_review", agreement, reviewed_on="2019-04-10",
                                  feasible=True, feasibility_study=True))["status"] == "applied"
        after_review = _moment()
        steps: list[tuple[str, dict[str, Any]]] = [
            ("agreement.record_offer", {"document": SIGNED | {"signed_on": "2019-06-01"}}),
            ("agreement.record_offer_response", {"responded_on": "2019-07-15", "accepted": True}),
            ("agreement.record_ksb", {"document": SIGNED}),
        ]
        for kind, data in steps:
            assert (await kupang.step(kind, agreement, **data))["status"] == "applied", kind
        pks = await kupang.step("agreement.record_pks", agreement, **PKS)
        assert pks["status"] == "applied", pks
        after_pks = _moment()
        corrected = PKS | {"agreement_id": agreement, "end_on": "2024-12-31"}
        correction = await kupang.step("agreement.correct", agreement, supersedes=pks["id"],
                                       reason="Salah ketik tanggal berakhir PKS", data=corrected)
        assert correction["status"] == "applied", correction
        after_correction = _moment()
        refused = await kupang.step("agreement.record_offer_response", agreement, responded_on="2020-05-10",
                                    accepted=True)
        assert refused["status"] == "rejected", refused
        await _until_on_timeline(client, platform, auditor, agreement, "submission_rejected")

        async def stage(recorded_as_of: str, in_force_on: str) -> str | None:
            answer = (await _audit(client, platform, auditor, agreement, recorded_as_of=recorded_as_of,
                                   in_force_on=in_force_on))["answer"]
            assert (answer["recorded_as_of"][:19], answer["in_force_on"]) == (
                datetime.fromisoformat(recorded_as_of).strftime("%Y-%m-%dT%H:%M:%S"), in_force_on)
            return answer["stage"] if answer["on_register"] else "not on the register"

        asked = {(r, d): await stage(r, d) for r, d in [
            (before_all, "2019-05-01"), (before_all, "2024-01-01"),
            (after_review, "2019-02-01"), (after_review, "2019-05-01"), (after_review, "2023-01-01"),
            (after_pks, "2019-05-01"), (after_pks, "2019-06-15"), (after_pks, "2019-08-01"),
            (after_pks, "2020-03-01"), (after_pks, "2020-05-20"), (after_pks, "2022-01-01"),
            (after_pks, "2024-07-01"),
            (after_correction, "2024-07-01"), (after_correction, "2025-01-01"), (_moment(), "2024-07-01"),
        ]}
        assert asked == {
            (before_all, "2019-05-01"): "not on the register", (before_all, "2024-01-01"): "not on the register",
            (after_review, "2019-02-01"): None,  # on the register, but not yet initiated that day
            (after_review, "2019-05-01"): "reviewed", (after_review, "2023-01-01"): "reviewed",
            (after_pks, "2019-05-01"): "reviewed", (after_pks, "2019-06-15"): "offered",
            (after_pks, "2019-08-01"): "accepted", (after_pks, "2020-03-01"): "ksb_signed",
            (after_pks, "2020-05-20"): "pks_signed", (after_pks, "2022-01-01"): "running",
            (after_pks, "2024-07-01"): "expired",  # as first recorded, the PKS ended on 2024-05-31
            (after_correction, "2024-07-01"): "running", (after_correction, "2025-01-01"): "expired",
        } | {(r, "2024-07-01"): "running" for r, _ in asked if r > after_correction}, "a refusal changes nothing"

        # What was in force names the acts and the term as recorded then; the diff names the correction.
        then = (await _audit(client, platform, auditor, agreement, recorded_as_of=after_pks,
                             in_force_on="2020-03-01"))["answer"]
        assert [a["type"] for a in then["acts_in_force"]] == [
            "proposed", "tkksd_reviewed", "offered", "offer_responded", "ksb_signed"]
        assert [a["legal_date"] for a in then["acts_in_force"]] == [
            "2019-03-01", "2019-04-10", "2019-06-01", "2019-07-15", "2020-02-03"]
        assert {a["acted_by"] for a in then["acts_in_force"]} == {KUPANG}
        assert (then["end_on"], then["value_idr"]) == ("2024-05-31", 1_750_000_000)
        report = await _audit(client, platform, auditor, agreement, in_force_on="2024-07-01", changes_since=after_pks)
        assert report["answer"]["end_on"] == "2024-12-31"
        changes = report["changes"]
        assert (changes["added"], changes["withdrawn"]) == ([], [])
        assert [(c["submission_type"], c["acted_by"]) for c in changes["refused"]] == [
            ("agreement.record_offer_response", KUPANG)]
        assert [(c["type"], c["supersedes"]) for c in changes["corrected"]] == [("corrected", "pks_signed")]
        assert (changes["stage_before"], changes["stage_after"]) == ("expired", "running")

        # The region's answer is the same question over each of its agreements.
        async def in_region(recorded_as_of: str, in_force_on: str) -> dict[str, str | None]:
            response = await client.get(f"{platform.url['reporting']}/v1/audit/regions/{KUPANG}",
                                        params={"recorded_as_of": recorded_as_of, "in_force_on": in_force_on},
                                        headers={"Authorization": f"Bearer {auditor}"})
            assert response.status_code == 200, response.text
            return {a["agreement_id"]: a["stage"] for a in response.json()["answer"]["agreements"]}

        assert agreement not in await in_region(before_all, "2022-01-01")
        assert (await in_region(after_review, "2022-01-01"))[agreement] == "reviewed"
        assert (await in_region(after_pks, "2024-07-01"))[agreement] == "expired"
        assert (await in_region(after_correction, "2024-07-01"))[agreement] == "running"

        # The nation's answer is the same question over every agreement, read a page at a time.
        async def nation_page(recorded_as_of: str, in_force_on: str, limit: int,
                              cursor: str | None = None) -> dict[str, Any]:
            params = {"recorded_as_of": recorded_as_of, "in_force_on": in_force_on, "limit": str(limit)}
            response = await client.get(f"{platform.url['reporting']}/v1/audit/nation",
                                        params=params | ({"cursor": cursor} if cursor else {}),
                                        headers={"Authorization": f"Bearer {auditor}"})
            assert response.status_code == 200, response.text
            answer: dict[str, Any] = response.json()["answer"]
            return answer

        async def in_nation(recorded_as_of: str, in_force_on: str) -> dict[str, str | None]:
            """Every page, about four of them, joined: each agreement once, as many as the total."""
            total = (await nation_page(recorded_as_of, in_force_on, 1))["total"]
            limit, cursor, pages = max(1, -(-total // 4)), None, 0
            seen: dict[str, str | None] = {}
            while True:
                page = await nation_page(recorded_as_of, in_force_on, limit, cursor)
                assert len(page["agreements"]) <= limit and page["total"] == total
                assert not {a["agreement_id"] for a in page["agreements"]} & set(seen)
                seen |= {a["agreement_id"]: a["stage"] for a in page["agreements"]}
                pages, cursor = pages + 1, page["next_cursor"]
                if cursor is None:
                    break
            assert len(seen) == total == sum(page["by_stage"].values()) and pages == max(1, -(-total // limit))
            return seen

        assert agreement not in await in_nation(before_all, "2022-01-01")
        assert (await in_nation(after_review, "2022-01-01"))[agreement] == "reviewed"
        assert (await in_nation(after_pks, "2024-07-01"))[agreement] == "expired"
        assert (await in_nation(after_correction, "2024-07-01"))[agreement] == "running"
        html = await client.get(f"{platform.url['reporting']}/v1/audit/nation/report.html",
                                params={"in_force_on": "2024-07-01"}, headers={"Authorization": f"Bearer {auditor}"})
        assert html.status_code == 200 and "Laporan Audit Kerja Sama Daerah Nasional" in html.text
        bad_cursor = await client.get(f"{platform.url['reporting']}/v1/audit/nation",
                                      params={"cursor": "00000000-0000-0000-0000-000000000000"},
                                      headers={"Authorization": f"Bearer {auditor}"})
        assert bad_cursor.status_code == 422 and bad_cursor.json()["errors"][0]["loc"] == ["query", "cursor"]
        for role, code in (("regency", KUPANG), ("directorate", None)):
            token = await platform.token(role, code)
            forbidden = await client.get(f"{platform.url['reporting']}/v1/audit/nation",
                                       headers={"Authorization": f"Bearer {token}"})
            assert forbidden.status_code == 403, (role, forbidden.text)
