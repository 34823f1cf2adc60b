"""Mapping on the real broker and database: region declarations from ksd.intake.submissions,
border confirmation, classification and flags of agreements, partner ranking.

Declarations are put on ksd.intake.submissions as intake puts them (a Submitted envelope keyed by
region code), so these tests do not depend on intake's handling of `region.*`; agreements go the
whole way through intake and the agreement service. The topics are shared with other test runs:
events are matched by this test's own ids, and state is read from this run's mapping.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from conftest import Platform, TopicTail, header
from uuid6 import uuid7

from ksd_common.settings import Settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import (
    AFFAIRS_DECLARED,
    BORDER_CONFIRMED,
    MAPPING_FLAGGED,
    POTENTIALS_DECLARED,
    REGION_SUBMISSION_REJECTED,
    TKKSD_RECORDED,
    URUSAN_CLASSIFIED,
    Submitted,
    submission_type,
)
from ksd_contracts.topics import MAPPING_EVENTS, SUBMISSIONS
from ksd_tools.admin import wait_until_known

TITLES = json.loads((Path(__file__).parents[1] / "unit" / "test_mapping_titles.json").read_text())["titles"]
TODAY = datetime.now(UTC).date().isoformat()

Declare = Callable[..., Awaitable[str]]


@pytest.fixture
async def declare() -> AsyncIterator[Declare]:
    """`await declare(kind, region, payload, by=...)`: a `region.*` submission as intake would publish
    it; returns its id."""
    producer = AIOKafkaProducer(**Settings().kafka_options(), enable_idempotence=True, acks="all")
    await producer.start()

    async def send(kind: str, region: str, payload: dict[str, Any], by: str | None = None) -> str:
        node = by or region
        sid = uuid7()
        data = Submitted(submission_id=sid, submission_type=kind, role="province" if len(node) == 2 else "regency",
                         region=node, payload={"region": region, "declared_on": TODAY, **payload})
        event = Envelope(id=sid, source=f"/nodes/{node}", type=submission_type(kind), subject=region,
                         correlationid=sid.hex, data=data.model_dump(mode="json")).chained(1, GENESIS_HASH)
        record = event.to_kafka()
        await producer.send_and_wait(SUBMISSIONS.name, record.value, key=record.key, headers=record.headers)
        return str(sid)

    yield send
    await producer.stop()


@pytest.fixture
async def reader(platform: Platform) -> str:
    """A directorate token that mapping already knows."""
    token = await platform.token("directorate")
    await wait_until_known(f"{platform.url['mapping']}/v1/regions/53.71/mapping", token)
    return token


def caused_by(submission: str, event_type: str) -> Callable[[Any], bool]:
    return lambda r: header(r, "ce_causationid") == submission and header(r, "ce_type") == event_type


async def _until(check: Callable[[], Awaitable[Any]], timeout: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)
    return result


async def _get(platform: Platform, token: str, path: str, language: str = "id") -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"{platform.url['mapping']}{path}", headers={"Authorization": f"Bearer {token}",
                                                                             "Accept-Language": language})


async def _mapping(platform: Platform, token: str, code: str) -> dict[str, Any]:
    mapping: dict[str, Any] = (await _get(platform, token, f"/v1/regions/{code}/mapping")).json()
    return mapping


async def _on_record(platform: Platform, token: str, code: str, *submissions: str) -> dict[str, Any]:
    """The region's mapping once this run's mapping holds `submissions` (the session's other tests,
    the bench among them, may have declared for the same region before)."""
    async def held() -> dict[str, Any] | None:
        mapping = await _mapping(platform, token, code)
        on_record = {d["submission_id"] for d in mapping["declarations"].values()}
        return mapping if set(submissions) <= on_record else None

    found: dict[str, Any] = await _until(held)
    return found


TKKSD = {"decree_number": "139/SK-BUP/HK/2024", "decree_date": "2024-02-01",
         "members": [{"name": "Sunggono", "position": "Sekretaris Daerah", "role": "ketua"}]}


async def test_declarations_are_recorded_and_each_submission_is_answered(
    platform: Platform, tail: Callable[[str], Awaitable[TopicTail]], declare: Declare, reader: str
) -> None:
    events = await tail(MAPPING_EVENTS.name)
    tkksd = await declare("region.record_tkksd", "64.02", TKKSD)
    affairs = await declare("region.declare_cooperable_affairs", "64.02", {"offers": ["3.26"], "needs": ["2.11"]})
    potentials = await declare("region.declare_potential", "64.02", {"potentials": [
        {"urusan": "3.26", "title": "Pulau Kumala", "description": "Wisata pulau di Sungai Mahakam",
         "scale": "regional", "location": "Tenggarong"}]})
    for submission, event_type in ((tkksd, TKKSD_RECORDED), (affairs, AFFAIRS_DECLARED),
                                   (potentials, POTENTIALS_DECLARED)):
        [record, *_] = await events.wait_for(caused_by(submission, event_type))
        assert record.key == b"64.02" and json.loads(record.value)["submission_id"] == submission

    mapping = await _on_record(platform, reader, "64.02", tkksd, affairs, potentials)
    assert mapping["declarations"]["region.record_tkksd"]["decree_number"] == "139/SK-BUP/HK/2024"
    assert mapping["declarations"]["region.declare_cooperable_affairs"]["offers"] == ["3.26"]
    assert mapping["declarations"]["region.declare_potential"]["potentials"][0]["title"] == "Pulau Kumala"


async def test_a_declaration_that_breaks_a_rule_is_rejected_with_the_rule(
    platform: Platform, tail: Callable[[str], Awaitable[TopicTail]], declare: Declare, reader: str
) -> None:
    events = await tail(MAPPING_EVENTS.name)
    other = await declare("region.declare_cooperable_affairs", "64.03", {"offers": ["2.11"]}, by="64.71")
    chairless = await declare("region.record_tkksd", "64.03", {**TKKSD, "members": [
        {"name": "A. Wahab", "position": "Asisten I", "role": "anggota"}]})
    invalid = await declare("region.declare_neighbours", "64.03", {"neighbours": []})
    for submission, rule in ((other, "region.not_own"), (chairless, "tkksd.without_chair"),
                             (invalid, "payload.invalid")):
        [record, *_] = await events.wait_for(caused_by(submission, REGION_SUBMISSION_REJECTED))
        rejected = json.loads(record.value)
        assert rejected["submission_id"] == submission and rule in [r["rule"] for r in rejected["reasons"]]
    on_record = {d["submission_id"] for d in (await _mapping(platform, reader, "64.03"))["declarations"].values()}
    assert not on_record & {other, chairless, invalid}


async def test_a_border_is_confirmed_when_both_regions_declare_it(
    platform: Platform, tail: Callable[[str], Awaitable[TopicTail]], declare: Declare, reader: str
) -> None:
    events = await tail(MAPPING_EVENTS.name)
    # 53.06 first declares a border without 53.05, whatever the session declared before.
    await _on_record(platform, reader, "53.06",
                     await declare("region.declare_neighbours", "53.06", {"neighbours": ["53.07"]}))
    first = await declare("region.declare_neighbours", "53.05", {"neighbours": ["53.06"]})
    mapping = await _on_record(platform, reader, "53.05", first)
    assert mapping["neighbours"]["declared"] == ["53.06"] and mapping["neighbours"]["confirmed"] == []

    second = await declare("region.declare_neighbours", "53.06", {"neighbours": ["53.05", "53.07"]})
    [confirmed, *_] = await events.wait_for(caused_by(second, BORDER_CONFIRMED))
    assert json.loads(confirmed.value)["regions"] == ["53.05", "53.06"]
    mapping = await _on_record(platform, reader, "53.06", second)
    assert mapping["neighbours"]["declared"] == ["53.05", "53.07"] and "53.05" in mapping["neighbours"]["confirmed"]
    assert "53.06" in (await _mapping(platform, reader, "53.05"))["neighbours"]["confirmed"]


async def _propose(client: httpx.AsyncClient, platform: Platform, token: str, title: str, parties: list[str],
                   urusan: list[str], mandatory: bool = False) -> str:
    """Propose through intake with an agreement id of our own; mapping's answer is awaited by the caller."""
    agreement_id = str(uuid4())
    body = {"type": "agreement.propose", "data": {
        "agreement_id": agreement_id, "kind": "KSDD", "mandatory": mandatory, "title": title, "urusan": urusan,
        "initiated_on": "2024-07-02", "parties": [{"type": "region", "code": c} for c in parties]}}
    response = await client.post(f"{platform.url['intake']}/v1/submissions", json=body,
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid4())})
    assert response.status_code == 202, response.text
    return agreement_id


async def _agreement(platform: Platform, token: str, agreement_id: str) -> dict[str, Any]:
    async def seen() -> dict[str, Any] | None:
        response = await _get(platform, token, f"/v1/agreements/{agreement_id}/mapping")
        return response.json() if response.status_code == 200 else None

    # A fresh test platform first reads the shared topic's whole history (tens of thousands of
    # proposals from every earlier run), so the first agreement of a session can take a while.
    found: dict[str, Any] = await _until(seen, timeout=300)
    return found


async def test_a_wajib_ksdd_without_a_confirmed_border_is_flagged_and_with_one_is_not(
    platform: Platform, tail: Callable[[str], Awaitable[TopicTail]], declare: Declare, reader: str
) -> None:
    events = await tail(MAPPING_EVENTS.name)
    tts_border = await declare("region.declare_neighbours", "53.02", {"neighbours": ["53.03"]})
    ttu_border = await declare("region.declare_neighbours", "53.03", {"neighbours": ["53.02"]})
    await _on_record(platform, reader, "53.02", tts_border)
    await _on_record(platform, reader, "53.03", ttu_border)
    tts = await platform.token("regency", "53.02")
    async with httpx.AsyncClient(timeout=10) as client:
        bordering = await _propose(client, platform, tts, "Pengelolaan air minum lintas batas TTS dan TTU",
                                   ["53.02", "53.03"], ["1.03"], mandatory=True)
        apart = await _propose(client, platform, tts, "Pengelolaan air minum TTS dan Kota Kupang",
                               ["53.02", "53.71"], ["1.03"], mandatory=True)
    wajib = "ksdd.wajib_without_confirmed_border"
    assert wajib not in [f["rule"] for f in (await _agreement(platform, reader, bordering))["flags"]]
    flags = [f for f in (await _agreement(platform, reader, apart))["flags"] if f["rule"] == wajib]
    assert len(flags) == 1 and "53.71" in flags[0]["detail"]
    [flagged, *_] = await events.wait_for(
        lambda r: r.key == apart.encode() and header(r, "ce_type") == MAPPING_FLAGGED)
    assert wajib in [f["rule"] for f in json.loads(flagged.value)["flags"]]


async def test_realistic_titles_without_codes_are_classified_and_the_rest_flagged(
    platform: Platform, tail: Callable[[str], Awaitable[TopicTail]], reader: str
) -> None:
    events = await tail(MAPPING_EVENTS.name)
    dlq = await tail(SUBMISSIONS.dlq)
    mojokerto = await platform.token("regency", "35.76")
    limit = asyncio.Semaphore(4)
    async with httpx.AsyncClient(timeout=30) as client:

        async def propose(title: str) -> str:
            async with limit:
                return await _propose(client, platform, mojokerto, title, ["35.76", "35.16"], [])

        ids = await asyncio.gather(*(propose(t["title"]) for t in TITLES))
    for case, agreement_id in zip(TITLES, ids, strict=True):
        mapped = await _agreement(platform, reader, agreement_id)
        assert [u["urusan"] for u in mapped["urusan"]] == sorted(case["urusan"]), case["title"]
        assert {u["method"] for u in mapped["urusan"]} <= {"rules"}
        unclassifiable = [f for f in mapped["flags"] if f["rule"] == "classification.unclassifiable"]
        assert len(unclassifiable) == (0 if case["urusan"] else 1), case["title"]
    # Announced on the topic too (other platforms on the shared topic, older versions among them,
    # announce their own readings of the same agreements: only ours say `rules`).
    expected = {i: sorted(c["urusan"]) for c, i in zip(TITLES, ids, strict=True) if c["urusan"]}
    classified = await events.wait_for(
        lambda r: header(r, "ce_type") == URUSAN_CLASSIFIED and r.key.decode() in expected
        and json.loads(r.value)["method"] == "rules", count=len(expected))
    assert {r.key.decode(): json.loads(r.value)["urusan"] for r in classified} == expected
    # mapping passes over agreement submissions on ksd.intake.submissions: none is dead-lettered.
    await dlq.wait_for(lambda r: False, count=0, settle=1)
    assert not [r for r in dlq.records if header(r, "ksd_consumer") == "mapping" and header(r, "ce_subject") in ids]


async def test_partners_rank_confirmed_neighbours_then_the_province_then_the_rest(
    platform: Platform, declare: Declare, reader: str
) -> None:
    sent = [
        await declare("region.declare_cooperable_affairs", "33.74", {"needs": ["2.11"], "offers": ["3.26"]}),
        await declare("region.declare_cooperable_affairs", "33.22", {"offers": ["2.11", "1.03"]}),
        await declare("region.declare_cooperable_affairs", "33.75", {"offers": ["2.11"]}),
        await declare("region.declare_cooperable_affairs", "52.71", {"offers": ["2.11"]}),
        await declare("region.declare_cooperable_affairs", "33.24", {"offers": ["3.26"]}),
        await declare("region.declare_potential", "52.71", {"potentials": [
            {"urusan": "2.11", "title": "TPA Kebon Kongok", "description": "TPA regional", "scale": "regional"}]}),
        await declare("region.declare_neighbours", "33.74", {"neighbours": ["33.22"]}),
        await declare("region.declare_neighbours", "33.22", {"neighbours": ["33.74"]}),
    ]
    for submission, code in zip(sent, ["33.74", "33.22", "33.75", "52.71", "33.24", "52.71", "33.74", "33.22"],
                                strict=True):
        await _on_record(platform, reader, code, submission)
    semarang = await platform.token("regency", "33.74")
    async with httpx.AsyncClient(timeout=10) as client:
        existing = await _propose(client, platform, semarang, "Pengelolaan sampah Kota Semarang dan Kab. Semarang",
                                  ["33.74", "33.22"], ["2.11"])
    await _agreement(platform, reader, existing)
    await wait_until_known(f"{platform.url['mapping']}/v1/regions/33.74/mapping", semarang)
    response = await _get(platform, semarang, "/v1/regions/33.74/partners?urusan=2.11&limit=546")
    assert response.status_code == 200, response.text
    partners = [p for p in response.json()["partners"] if p["code"] in {"33.22", "33.75", "52.71", "33.24"}]
    assert [(p["code"], p["tier"]) for p in partners] == [
        ("33.22", "confirmed neighbour"), ("33.75", "same province"), ("52.71", "elsewhere")]
    assert existing in [a["agreement_id"] for a in partners[0]["agreements"]]  # history may hold others
    assert not [a for p in partners[1:] for a in p["agreements"] if a["agreement_id"] == existing]
    assert "tetangga terkonfirmasi: 33.74 dan 33.22 sama-sama menyatakan perbatasannya" in partners[0]["reasons"]
    in_english = await _get(platform, semarang, "/v1/regions/33.74/partners?urusan=2.11&limit=546", "en")
    assert "confirmed neighbour: 33.74 and 33.22 both declared the border" in next(
        p for p in in_english.json()["partners"] if p["code"] == "33.22")["reasons"]
    assert partners[2]["potentials"] == 1

    async with httpx.AsyncClient(timeout=10) as client:  # a busy pair: the count, and the latest five
        more = [await _propose(client, platform, semarang, f"Kerja sama Semarang tahap {n}", ["33.74", "33.22"],
                               ["2.11"]) for n in range(2, 7)]
    for agreement_id in more:
        await _agreement(platform, reader, agreement_id)
    busy = (await _get(platform, reader, "/v1/regions/33.74/partners?urusan=2.11&limit=1")).json()["partners"][0]
    assert busy["code"] == "33.22" and busy["agreements_total"] >= 6 and len(busy["agreements"]) == 5
    assert f"sudah ada {busy['agreements_total']} kerja sama di antara keduanya" in busy["reasons"]

    by_needs = (await _get(platform, reader, "/v1/regions/33.74/partners")).json()
    assert by_needs["urusan"] == ["2.11"]

    bad = await _get(platform, reader, "/v1/regions/33.74/partners?urusan=9.99")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "urusan"]
    administrative = await _get(platform, reader, "/v1/regions/31.71/partners")  # a city of DKI, not autonomous
    assert administrative.status_code == 404 and administrative.json()["code"] == "region.not_autonomous"
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{platform.url['mapping']}/v1/regions/33.74/partners")).status_code == 401


async def test_the_catalogue_counts_match_the_reference_data(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        listed = (await client.get(f"{platform.url['mapping']}/v1/regions")).json()["regions"]
        affairs = (await client.get(f"{platform.url['mapping']}/v1/urusan")).json()["urusan"]
        retired = (await client.get(f"{platform.url['mapping']}/v1/regions/91.01")).json()
        unknown = await client.get(f"{platform.url['mapping']}/v1/regions/99.99")
    levels = [r["level"] for r in listed]
    assert (levels.count("provinsi"), levels.count("kabupaten"), levels.count("kota")) == (38, 416, 98)
    assert sum(r["autonomous"] for r in listed) == 546 and len(affairs) == 32
    assert retired["status"] == "retired" and retired["current_code"] == "93.01"
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
