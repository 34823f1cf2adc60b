"""Province verification (DHIS2's data approval) on the real broker and databases: Sulawesi Barat
(76) verifies one record of its regency Kabupaten Majene (76.01) and returns another with a note;
the regency sees the returned one with the note and corrects it, which puts it back in the queue;
a regency cannot verify, nor can another province; the summary counts the verified apart."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from conftest import Platform
from nodes import Node, verification_of

MAJENE, POLMAN, PROVINCE, GORONTALO = "76.01", "76.04", "76", "75"


def proposal(title: str) -> dict[str, Any]:
    return {"type": "agreement.propose", "data": {
        "kind": "KSDD", "title": title, "initiated_on": "2025-03-04", "urusan": ["2.11"],
        "parties": [{"type": "region", "code": MAJENE}, {"type": "region", "code": POLMAN}]}}


async def test_a_province_verifies_one_record_and_returns_another(platform: Platform) -> None:
    regency = Node(platform, await platform.token("regency", MAJENE))
    province = Node(platform, await platform.token("province", PROVINCE))
    ministry = Node(platform, await platform.token("directorate"))
    before = await ministry.read("/v1/summary", region=PROVINCE)

    verified_one = await regency.outcome(proposal(f"Pengelolaan air minum bersama {uuid4().hex[:6]}"))
    returned_one = await regency.outcome(proposal(f"Pengelolaan sampah bersama {uuid4().hex[:6]}"))
    assert verified_one["status"] == returned_one["status"] == "applied"
    a, b = verified_one["agreement_id"], returned_one["agreement_id"]
    assert (await verification_of(province, a, "unverified"))["changes"][0]["step"] == "proposed"
    queue = await province.read("/v1/agreements", verification="unverified", party=MAJENE, limit="500")
    assert {a, b} <= {item["agreement_id"] for item in queue["items"]}

    verdict = await province.outcome({"type": "agreement.verify", "data": {"agreement_id": a, "note": "Sesuai"}})
    assert verdict["status"] == "applied", verdict
    note = "Nomor dan judul tidak sesuai dokumen KSB; perbaiki judulnya."
    back = await province.outcome({"type": "agreement.return", "data": {"agreement_id": b, "note": note}})
    assert back["status"] == "applied", back

    verified = await verification_of(province, a, "verified")
    assert verified["by"] == PROVINCE and verified["note"] == "Sesuai" and verified["changes"] == []
    returned = await verification_of(regency, b, "returned")
    assert returned["note"] == note and returned["by"] == PROVINCE
    # The regency's list shows it returned, with the note.
    own = await regency.read("/v1/agreements", verification="returned", limit="500")
    [item] = [i for i in own["items"] if i["agreement_id"] == b]
    assert item["verification"]["state"] == "returned" and item["verification"]["note"] == note
    # The verdicts are steps of the record's history, with who gave them.
    timeline = (await province.read(f"/v1/agreements/{a}"))["timeline"]
    assert [s["type"] for s in timeline] == ["proposed", "verified"]
    assert timeline[-1]["submitted_by"] == PROVINCE

    # The ministry counts the verified apart from the rest, and the filter opens the same records.
    after = await ministry.read("/v1/summary", region=PROVINCE)
    assert after["verification"]["verified"] == before["verification"]["verified"] + 1
    assert after["verification"]["returned"] == before["verification"]["returned"] + 1
    only_verified = await ministry.read("/v1/summary", region=PROVINCE, verification="verified")
    assert only_verified["total"] == after["verification"]["verified"]
    assert only_verified["by_region"][MAJENE] == only_verified["total"]  # no one else verifies in 76 here
    listed = await ministry.read("/v1/agreements", region=PROVINCE, verification="verified", limit="1")
    assert listed["total"] == after["verification"]["verified"]

    # The regency corrects the returned record: it awaits verification again, the note kept.
    corrected = await regency.outcome({"type": "agreement.correct", "data": {
        "agreement_id": b, "supersedes": returned_one["id"], "reason": "Judul dikoreksi sesuai KSB",
        "data": {**proposal("Pengelolaan sampah regional Majene dan Polewali Mandar")["data"]}}})
    assert corrected["status"] == "applied", corrected
    again = await verification_of(province, b, "unverified")
    assert again["verdict"] == "returned" and again["note"] == note
    assert [c["step"] for c in again["changes"]] == ["corrected"]
    # A change after verification makes the verified record unverified again.
    review = await regency.outcome({"type": "agreement.record_tkksd_review", "data": {
        "agreement_id": a, "reviewed_on": "2025-03-20", "feasible": True}})
    assert review["status"] == "applied", review
    changed = await verification_of(province, a, "unverified")
    assert changed["verdict"] == "verified" and [c["step"] for c in changed["changes"]] == ["tkksd_reviewed"]


async def test_a_regency_or_another_province_cannot_verify(platform: Platform) -> None:
    regency = Node(platform, await platform.token("regency", MAJENE))
    partner = Node(platform, await platform.token("regency", POLMAN))
    other = Node(platform, await platform.token("province", GORONTALO))
    record = await regency.outcome(proposal(f"Pengembangan pariwisata bersama {uuid4().hex[:6]}"))
    agreement = record["agreement_id"]
    for node in (regency, partner, other):
        for kind in ("agreement.verify", "agreement.return"):
            response = await node.submit({"type": kind, "data": {"agreement_id": agreement, "note": "Periksa"}})
            assert response.status_code == 403, response.text
            assert response.json()["type"].endswith("/forbidden")
    assert (await verification_of(regency, agreement, "unverified"))["verdict"] is None
