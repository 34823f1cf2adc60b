"""The seed cases end to end, on the real broker and database: each step submitted through intake's
HTTP API, decided by the agreement service, and answered back to the node (applied, or rejected
naming the rule)."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from conftest import Platform, header
from test_walking_skeleton import _until

from ksd_common.settings import Settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import KSB_SIGNED, Submitted, submission_type
from ksd_contracts.topics import AGREEMENT_EVENTS, SUBMISSIONS

KUPANG, MOJOKERTO, KAB_MOJOKERTO = "53.71", "35.76", "35.16"


def _signed(region: str, head: str, partner: str, number: str, on: str) -> dict[str, Any]:
    return {"number": number, "signed_on": on, "signatories": [
        {"name": head, "position": "Wali Kota", "party": region, "capacity": "kepala_daerah"},
        {"name": "Mitra", "position": "Pimpinan", "party": partner,
         # a partner region signs by its own head; a third party or foreign partner as mitra
         "capacity": "kepala_daerah" if re.fullmatch(r"[0-9]{2}(\.[0-9]{2})?", partner) else "mitra"}]}


class Node:
    """A region's node submitting through intake and waiting for the agreement service's answer."""

    def __init__(self, client: httpx.AsyncClient, platform: Platform, token: str) -> None:
        self.client, self.url, self.auth = client, platform.url["intake"], {"Authorization": f"Bearer {token}"}

    async def submit(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"{self.url}/v1/submissions", json={"type": kind, "data": data},
                                          headers=self.auth | {"Idempotency-Key": str(uuid4())})
        assert response.status_code == 202, response.text
        accepted = response.json()

        async def answered() -> dict[str, Any] | None:
            status = (await self.client.get(f"{self.url}/v1/submissions/{accepted['id']}", headers=self.auth)).json()
            return status if status["status"] != "accepted" else None

        answer: dict[str, Any] = await _until(answered, timeout=30)
        return answer

    async def step(self, kind: str, agreement_id: str, **data: Any) -> dict[str, Any]:
        return await self.submit(kind, {"agreement_id": agreement_id, **data})


async def _state(platform: Platform, agreement_id: str) -> dict[str, Any]:
    conn = await platform.database("agreement")
    try:
        state: dict[str, Any] = json.loads(await conn.fetchval(  # a plain connection reads jsonb as text
            "SELECT state FROM agreements WHERE agreement_id = $1::uuid", agreement_id))
        return state
    finally:
        await conn.close()


async def test_kota_kupang_with_a_third_party_runs_through_pks(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        kupang = Node(client, platform, await platform.token("regency", KUPANG))
        proposed = await kupang.submit("agreement.propose", {
            "kind": "KSDPK", "title": "Penyediaan air minum Kota Kupang dengan PT Air Kupang",
            "parties": [{"type": "region", "code": KUPANG},
                        {"type": "third_party", "name": "PT Air Kupang", "category": "swasta"}],
            "urusan": ["1.03"], "initiated_on": "2024-02-01"})
        assert proposed["status"] == "applied", proposed
        agreement = proposed["agreement_id"]
        signed = _signed(KUPANG, "dr. George Melkianus Hadjoh", "PT Air Kupang", "180/KS/2024", "2024-05-02")
        steps: list[tuple[str, dict[str, Any]]] = [
            ("agreement.record_tkksd_review", {"reviewed_on": "2024-02-20", "feasible": True,
                                               "feasibility_study": True}),
            ("agreement.record_offer", {"document": signed | {"signed_on": "2024-03-01"}}),
            ("agreement.record_offer_response", {"responded_on": "2024-03-15", "accepted": True}),
            ("agreement.record_ksb", {"document": signed}),
            ("agreement.record_pks", {"document": signed | {"number": "181/PKS/2024", "signed_on": "2024-06-03"},
                                      "start_on": "2024-06-03", "end_on": "2027-06-02",
                                      "funding": [{"amount_idr": 2_500_000_000, "source": "apbd", "plan": "rkpd",
                                                   "program": "1.03.03"}]}),
        ]
        for kind, data in steps:
            answer = await kupang.step(kind, agreement, **data)
            assert answer["status"] == "applied", (kind, answer)
    state = await _state(platform, agreement)
    assert state["status"] == "running" and state["kind"] == "KSDPK" and state["flags"] == []
    assert re.fullmatch(r"KSDPK/53\.71/2024/\d{6}", state["registry_number"])


async def test_kota_mojokerto_ksb_never_got_a_pks_and_both_sides_reported(platform: Platform) -> None:
    proposal = {"kind": "KSDD", "mandatory": False, "title": "Pengelolaan air minum Kota dan Kabupaten Mojokerto",
                "parties": [{"type": "region", "code": MOJOKERTO}, {"type": "region", "code": KAB_MOJOKERTO}],
                "urusan": ["1.03"], "initiated_on": "2022-09-01"}
    async with httpx.AsyncClient(timeout=10) as client:
        kota = Node(client, platform, await platform.token("regency", MOJOKERTO))
        kabupaten = Node(client, platform, await platform.token("regency", KAB_MOJOKERTO))
        agreement = (await kota.submit("agreement.propose", proposal))["agreement_id"]
        other_side = await kabupaten.submit("agreement.propose", proposal | {
            "agreement_id": agreement, "document_number": "415.4/12/416-012/2022"})
        assert other_side["status"] == "applied", other_side
        assert (await kota.step("agreement.record_tkksd_review", agreement, reviewed_on="2022-10-01",
                                feasible=True))["status"] == "applied"
        ksb = await kota.step("agreement.record_ksb", agreement, document=_signed(
            MOJOKERTO, "Ika Puspitasari", KAB_MOJOKERTO, "119/KSB/417.111/2022", "2022-11-10"))
        assert ksb["status"] == "applied", ksb
    state = await _state(platform, agreement)
    assert state["status"] == "ksb_signed" and state["facts"]["pks"] == {} and state["facts"]["start_on"] is None
    assert sorted(state["facts"]["reporters"]) == [KAB_MOJOKERTO, MOJOKERTO]
    assert state["document_numbers"] == {KAB_MOJOKERTO: ["415.4/12/416-012/2022"],
                                         MOJOKERTO: ["119/KSB/417.111/2022"]}


async def test_kota_mojokerto_with_western_australia_waits_for_its_approvals(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        kota = Node(client, platform, await platform.token("regency", MOJOKERTO))
        agreement = (await kota.submit("agreement.propose", {
            "kind": "KSDPL", "title": "Kerja sama pendidikan vokasi Kota Mojokerto dan Western Australia",
            "parties": [{"type": "region", "code": MOJOKERTO},
                        {"type": "foreign", "name": "Government of Western Australia", "country": "AU",
                         "category": "pemerintah_daerah"}],
            "urusan": ["1.01"], "initiated_on": "2023-01-16"}))["agreement_id"]
        signed = _signed(MOJOKERTO, "Ika Puspitasari", "Government of Western Australia", "120/KSB/2023",
                         "2023-08-01")
        early = await kota.step("agreement.record_ksb", agreement, document=signed)
        assert early["status"] == "rejected"
        assert [r["rule"] for r in early["reasons"]] == ["foreign.approvals_before_signing"], early
        foreign_steps: list[tuple[str, dict[str, Any]]] = [
            ("agreement.record_dprd_approval", {"decision_number": "172/DPRD/2023", "approved_on": "2023-05-02"}),
            ("agreement.record_central_approval", {"authority": "kemlu", "letter_number": "D/00512/2023",
                                                   "approved_on": "2023-06-01"}),
            ("agreement.record_central_approval", {"authority": "kemendagri", "letter_number": "100.4/3021/BAK",
                                                   "approved_on": "2023-07-03"}),
            ("agreement.record_ksb", {"document": signed}),
            ("agreement.record_pks", {"document": signed | {"number": "121/PKS/2023", "signed_on": "2023-09-01"},
                                      "start_on": "2023-09-01", "end_on": "2026-08-31"}),
        ]
        for kind, data in foreign_steps:
            answer = await kota.step(kind, agreement, **data)
            assert answer["status"] == "applied", (kind, answer)
    assert (await _state(platform, agreement))["status"] == "running"


async def test_a_step_delivered_twice_changes_nothing(platform: Platform, tail: Any) -> None:
    """The same Kafka record of a KSB twice (a producer retry): one `ksb_signed`, one version."""
    events = await tail(AGREEMENT_EVENTS.name)
    agreement = str(uuid4())
    proposal = {"kind": "KSDD", "title": "Pengelolaan sampah Kota dan Kabupaten Mojokerto",
                "parties": [{"type": "region", "code": MOJOKERTO}, {"type": "region", "code": KAB_MOJOKERTO}],
                "urusan": ["2.11"], "initiated_on": "2024-01-10"}
    ksb = {"agreement_id": agreement, "document": _signed(MOJOKERTO, "Ika Puspitasari", KAB_MOJOKERTO,
                                                          "7/KSB/2024", "2024-03-01")}
    first = _submitted(agreement, "agreement.propose", proposal)
    twice = _submitted(agreement, "agreement.record_ksb", ksb)
    producer = AIOKafkaProducer(**Settings().kafka_options(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for envelope in (first, twice, twice):
            record = envelope.to_kafka()
            await producer.send_and_wait(SUBMISSIONS.name, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()
    applied = await events.wait_for(lambda r: r.key == agreement.encode(), count=2, settle=2)
    assert [header(r, "ce_sequence") for r in applied] == ["1", "2"]
    assert header(applied[1], "ce_type") == KSB_SIGNED
    assert (await _state(platform, agreement))["version"] == 2


def _submitted(agreement: str, kind: str, payload: dict[str, Any]) -> Envelope:
    """A submission as intake puts it on `ksd.intake.submissions` (ksd_intake.handlers._event)."""
    submission_id = uuid4()
    data = Submitted(submission_id=submission_id, submission_type=kind, role="regency", region=MOJOKERTO,
                     agreement_id=agreement, payload=payload)
    return Envelope(id=submission_id, source=f"/nodes/{MOJOKERTO}", type=submission_type(kind), subject=agreement,
                    correlationid=str(uuid4()), data=data.model_dump(mode="json")).chained(1, GENESIS_HASH)
