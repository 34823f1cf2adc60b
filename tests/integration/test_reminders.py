"""Reminders on the real broker, database, Keycloak and mail server (Mailpit, deploy/local/mail.sh):
Kota Ambon's agreements ending at each threshold (90, 60, 30, 7 and 0 days after the run's day)
give one reminder each in its inbox and one e-mail each to its operator; a report overdue and one
falling due, a KSB without PKS past twelve months, a KSDD Kota Tual has not reported and a record the
province returned give theirs; a second run adds and sends nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from conftest import SLOT, Platform, ksd
from nodes import Node

AMBON, TUAL, MALUKU = "81.71", "81.72", "81"
AS_OF = date(2025, 6, 10)
THRESHOLDS = (90, 60, 30, 7, 0)
MAIL_API = "http://127.0.0.1:8025/api/v1"
HEAD = {"name": "Bodewin Wattimena", "position": "Wali Kota", "party": AMBON, "capacity": "kepala_daerah"}
PARTNER = {"name": "Direktur", "position": "Direktur Utama", "party": "PT Air Maluku", "capacity": "mitra"}


def document(number: str, signed_on: str) -> dict[str, Any]:
    return {"number": number, "signed_on": signed_on, "signatories": [HEAD, PARTNER]}


def ksdpk(title: str, initiated_on: str) -> dict[str, Any]:
    return {"type": "agreement.propose", "data": {
        "kind": "KSDPK", "title": title, "initiated_on": initiated_on, "urusan": ["1.03"],
        "parties": [{"type": "region", "code": AMBON},
                    {"type": "third_party", "name": "PT Air Maluku", "category": "swasta"}]}}


def pks(agreement: str, signed_on: str, start_on: str, end_on: str) -> dict[str, Any]:
    return {"type": "agreement.record_pks", "data": {
        "agreement_id": agreement, "document": document(f"PKS/{uuid4().hex[:6]}/2025", signed_on),
        "start_on": start_on, "end_on": end_on, "legal_basis": "Perda Kota Ambon 3/2024"}}


async def applied(node: Node, body: dict[str, Any]) -> dict[str, Any]:
    answer = await node.outcome(body)
    assert answer["status"] == "applied", answer
    return answer


async def mails_to(address: str) -> list[dict[str, Any]]:
    """Every message the mail server received for `address`, with its text."""
    async with httpx.AsyncClient(timeout=30) as client:
        found = (await client.get(f"{MAIL_API}/search", params={"query": f'to:"{address}"', "limit": 200})).json()
        return [(await client.get(f"{MAIL_API}/message/{m['ID']}")).json() for m in found["messages"]]


def text(mail: dict[str, Any]) -> str:
    """A mail's text as the inbox item it was sent for holds it."""
    return str(mail["Text"]).replace("\r\n", "\n").strip()


def about(mails: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mails that say what one of `items` (inbox items) says: each names its agreement."""
    said = {i["body"].strip() for i in items}
    return [m for m in mails if text(m) in said]


def remind() -> dict[str, Any]:
    done = ksd("admin", "remind", "--as-of", AS_OF.isoformat())
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


async def inbox(node: Node, **params: str) -> dict[str, Any]:
    return await node.read("/v1/inbox", limit="500", **params)


async def test_each_threshold_and_kind_is_reminded_once_in_the_inbox_and_by_mail(
        platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    ambon = Node(platform, await platform.token("regency", AMBON))
    tual = Node(platform, await platform.token("regency", TUAL))
    maluku = Node(platform, await platform.token("province", MALUKU))
    operator = await platform.keycloak.person("regency", AMBON)  # Ambon's operator: mailed from Keycloak
    operator_mail = f"{operator.name}@uji.ksd.go.id"
    tual_mail = f"kerjasama-tual-{SLOT}-{uuid4().hex[:8]}@uji.ksd.go.id"  # Tual's: configured
    monkeypatch.setenv("KSD_REMINDER_RECIPIENTS", f"{TUAL}={tual_mail}")

    # Ending at each threshold after AS_OF; each reported its first semester, so only the end is due.
    ending: dict[str, int] = {}
    for days in THRESHOLDS:
        proposed = await applied(ambon, ksdpk(f"Penyediaan air minum {days} {uuid4().hex[:6]}", "2025-01-02"))
        a = proposed["agreement_id"]
        await applied(ambon, pks(a, "2025-01-06", "2025-01-06", (AS_OF + timedelta(days=days)).isoformat()))
        await applied(ambon, {"type": "agreement.report_progress", "data": {
            "agreement_id": a, "period": "2025-S1", "reported_on": "2025-06-05", "achievements": "Berjalan",
            "recommendation": "dilanjutkan"}})
        ending[a] = days
    # Two semesters overdue on AS_OF (2024-S1, 2024-S2) and 2025-S1 falling due on 1 Jul 2025.
    late = (await applied(ambon, ksdpk(f"Pengelolaan pasar {uuid4().hex[:6]}", "2023-11-01")))["agreement_id"]
    await applied(ambon, pks(late, "2024-01-05", "2024-01-08", "2027-12-31"))
    # A KSB signed in March 2024 and no PKS since.
    dormant = (await applied(ambon, ksdpk(f"Pengembangan pelabuhan {uuid4().hex[:6]}", "2024-01-15")))["agreement_id"]
    await applied(ambon, {"type": "agreement.record_ksb", "data": {
        "agreement_id": dormant, "document": document(f"KSB/{uuid4().hex[:6]}/2024", "2024-03-01")}})
    # A KSDD Ambon reported and Tual did not; the province returns it for correction.
    ksdd = (await applied(ambon, {"type": "agreement.propose", "data": {
        "kind": "KSDD", "title": f"Pengelolaan sampah Ambon dan Tual {uuid4().hex[:6]}", "initiated_on": "2025-02-03",
        "urusan": ["2.11"], "parties": [{"type": "region", "code": AMBON}, {"type": "region", "code": TUAL}]}}))
    note = "Lengkapi objek kerja sama sesuai surat penawaran."
    await applied(maluku, {"type": "agreement.return", "data": {"agreement_id": ksdd["agreement_id"], "note": note}})
    ours = {*ending, late, dormant, ksdd["agreement_id"]}

    async def compiled() -> bool:
        listed = await ambon.read("/v1/agreements", as_of=AS_OF.isoformat(), limit="500", verification="returned")
        return any(i["agreement_id"] == ksdd["agreement_id"] for i in listed["items"])

    deadline = asyncio.get_running_loop().time() + 30
    while not await compiled():  # reporting has folded the last step
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.2)

    first = remind()
    assert first["reminders"] >= 11 and first["mails_failed"] == 0, first

    ambon_box = [i for i in (await inbox(ambon))["items"] if i["agreement_id"] in ours]
    by_agreement: dict[str, list[tuple[str, str]]] = {}
    for item in ambon_box:
        by_agreement.setdefault(item["agreement_id"], []).append((item["kind"], item["threshold"]))
    for agreement, days in ending.items():
        assert by_agreement[agreement] == [("expiring", str(days))], days
    assert sorted(k for k, _ in by_agreement[late]) == ["report_due", "report_overdue"]
    assert by_agreement[dormant] == [("dormant", "12")]
    assert [k for k, _ in by_agreement[ksdd["agreement_id"]]] == ["returned"]
    ninety = next(i for i in ambon_box if i["threshold"] == "90")
    assert ninety["subject"] == "[Kerja sama akan berakhir] Kerja sama berakhir dalam 90 hari, pada 8 Sep 2025"
    assert ninety["day_text"] == "8 Sep 2025" and ninety["body"].startswith("Yth. Kota Ambon,")
    tual_box = [i for i in (await inbox(tual))["items"] if i["agreement_id"] in ours]
    assert sorted(i["kind"] for i in tual_box) == ["awaiting_report", "returned"]
    assert note in next(i["body"] for i in tual_box if i["kind"] == "returned")

    # One e-mail per reminder, to each region's own addresses, saying what the inbox says. Other
    # files on this worker's platform (the bench's, the simulator's) may have left agreements of
    # these regions that are reminded too: every mail says what one of the region's reminders says,
    # and each of this test's reminders is mailed once.
    ambon_all, tual_all = await mails_to(operator_mail), await mails_to(tual_mail)
    for mails, node in ((ambon_all, ambon), (tual_all, tual)):
        assert {text(m) for m in mails} <= {i["body"].strip() for i in (await inbox(node))["items"]}
    ambon_mails, tual_mails = about(ambon_all, ambon_box), about(tual_all, tual_box)
    assert sorted(m["Subject"] for m in ambon_mails) == sorted(i["subject"] for i in ambon_box)
    assert len(ambon_mails) == len(ambon_box) == 9
    mailed = next(m for m in ambon_mails if m["Subject"] == ninety["subject"])
    assert text(mailed) == ninety["body"].strip()
    assert [a["Address"] for a in mailed["To"]] == [operator_mail]
    assert sorted(m["Subject"] for m in tual_mails) == sorted(i["subject"] for i in tual_box)

    # A second run: nothing new in any inbox, no mail sent again.
    second = remind()
    assert second["reminders"] == 0 and second["mails_sent"] == 0, second
    assert len(await mails_to(operator_mail)) == len(ambon_all) and len(await mails_to(tual_mail)) == len(tual_all)
    assert len([i for i in (await inbox(ambon))["items"] if i["agreement_id"] in ours]) == 9

    # Marked read by the region itself; its province reads it but cannot mark it; Tual never sees it.
    before = (await inbox(ambon))["unread"]
    async with httpx.AsyncClient(timeout=30) as client:
        url = f"{platform.url['reporting']}/v1/inbox/{ninety['id']}/read"
        assert (await client.post(url, headers=tual.headers)).status_code == 404
        assert (await client.post(url, headers=maluku.headers)).status_code == 403
        assert (await client.post(url, headers=ambon.headers)).status_code == 204
    after = await inbox(ambon, unread="true")
    assert after["unread"] == before - 1 and ninety["id"] not in {i["id"] for i in after["items"]}
    assert ninety["id"] in {i["id"] for i in (await inbox(maluku))["items"]}
    assert ninety["id"] not in {i["id"] for i in (await inbox(tual))["items"]}


async def test_a_mail_the_server_refused_is_sent_on_a_later_run_and_only_once(
        platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    buru = Node(platform, await platform.token("regency", "81.04"))
    address = f"kerjasama-buru-{SLOT}-{uuid4().hex[:8]}@uji.ksd.go.id"
    monkeypatch.setenv("KSD_REMINDER_RECIPIENTS", f"81.04={address}")
    proposed = await applied(buru, {"type": "agreement.propose", "data": {
        "kind": "KSDPK", "title": f"Pengelolaan hutan rakyat Buru {uuid4().hex[:6]}", "initiated_on": "2025-01-02",
        "urusan": ["2.17"], "parties": [{"type": "region", "code": "81.04"},
                                         {"type": "third_party", "name": "CV Buru Lestari", "category": "swasta"}]}})
    head = {"name": "Bupati Buru", "position": "Bupati", "party": "81.04", "capacity": "kepala_daerah"}
    await applied(buru, {"type": "agreement.record_pks", "data": {
        "agreement_id": proposed["agreement_id"], "start_on": "2025-07-01", "end_on": "2025-07-01",
        "legal_basis": "Perbup Buru 5/2025", "document": {"number": f"PKS/{uuid4().hex[:6]}", "signed_on": "2025-05-02",
                                                           "signatories": [head, PARTNER]}}})

    async def reminded() -> list[dict[str, Any]]:
        return [i for i in (await inbox(buru))["items"] if i["agreement_id"] == proposed["agreement_id"]]

    monkeypatch.setenv("KSD_SMTP_PORT", "9")  # nothing listens: the server refuses every mail
    deadline = asyncio.get_running_loop().time() + 30
    while not (failed := remind())["reminders"]:  # until reporting has folded the PKS
        assert asyncio.get_running_loop().time() < deadline, failed
        await asyncio.sleep(0.5)
    assert failed["mails_failed"] >= 1 and failed["mails_sent"] == 0, failed
    assert [(i["kind"], i["threshold"]) for i in await reminded()] == [("expiring", "30")]
    assert await mails_to(address) == []

    monkeypatch.delenv("KSD_SMTP_PORT")
    retried = remind()
    assert retried["reminders"] == 0 and retried["mails_sent"] >= 1, retried
    [mail] = await mails_to(address)
    assert mail["Subject"] == "[Kerja sama akan berakhir] Kerja sama berakhir dalam 30 hari, pada 1 Jul 2025"
    assert remind()["mails_sent"] == 0
    assert len(await mails_to(address)) == 1
