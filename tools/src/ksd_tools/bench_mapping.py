"""Mapping's figure for `ksd bench`: partner suggestions at national scale, beside the same
service's /healthz measured in the same run.

Every autonomous region (546; the six administrative units of DKI Jakarta cannot declare) gets its
cooperable affairs, potentials and neighbours, put on ksd.intake.submissions as intake puts them;
once mapping has recorded them all, GET /v1/regions/{code}/partners is timed for random regions.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from datetime import date
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from uuid6 import uuid7

from ksd_common.settings import settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import Submitted, submission_type
from ksd_contracts.regions import autonomous_codes, region
from ksd_contracts.submissions import today_wib
from ksd_contracts.topics import SUBMISSIONS
from ksd_contracts.urusan import urusan
from ksd_tools.admin import issue_tokens, wait_until_known
from ksd_tools.benchkit import Context, caught_up, figure, percentile


def national_declarations(seed: int, regions: int | None = None,
                          declared_on: date | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """(submission type, region, payload) for every autonomous region: 6 affairs offered, 3 needed,
    3 potentials, and as neighbours the regions next to it in code order within its province (or the
    provinces next to it), declared by both sides so that the borders are confirmed. Declared today
    unless `declared_on` says otherwise (a trial dates them early, so as not to outdate the
    declarations other tests send for the same regions)."""
    rng = random.Random(seed)
    codes, affairs = sorted(autonomous_codes())[:regions], sorted(urusan())
    today = (declared_on or today_wib()).isoformat()
    declared: list[tuple[str, str, dict[str, Any]]] = []
    for code in codes:
        offers = rng.sample(affairs, 6)
        base = {"region": code, "declared_on": today}
        declared.append(("region.declare_cooperable_affairs", code,
                         {**base, "offers": offers, "needs": rng.sample([a for a in affairs if a not in offers], 3)}))
        declared.append(("region.declare_potential", code, {**base, "potentials": [
            {"urusan": u, "title": f"Potensi {urusan()[u].name}", "description": "Dipetakan untuk bench",
             "scale": "regional"} for u in offers[:3]]}))
        if neighbours := _next_to(code, codes):  # none only for a region cut off by a trial's `regions`
            declared.append(("region.declare_neighbours", code, {**base, "neighbours": neighbours}))
    return declared


def _next_to(code: str, codes: list[str]) -> list[str]:
    me = region(code)
    assert me is not None
    peers = [c for c in codes if (r := region(c)) and r.is_province == me.is_province
             and (me.is_province or r.province_code == me.province_code)]
    at = peers.index(code)
    return [peers[i] for i in (at - 1, at + 1) if 0 <= i < len(peers)] or [c for c in peers if c != code][:1]


Sent = dict[tuple[str, str], tuple[str, str]]
"""(region, submission type) -> (submission id, declared_on) of each declaration sent."""


async def publish(declared: list[tuple[str, str, dict[str, Any]]]) -> Sent:
    """Put the declarations on ksd.intake.submissions as intake would."""
    producer = AIOKafkaProducer(**settings().kafka_options(), enable_idempotence=True,
                                acks="all", linger_ms=5)
    await producer.start()
    sent: Sent = {}
    try:
        futures = []
        for kind, code, payload in declared:
            sid = uuid7()
            data = Submitted(submission_id=sid, submission_type=kind, role="province" if len(code) == 2
                             else "regency", region=code, payload=payload)
            record = Envelope(id=sid, source=f"/nodes/{code}", type=submission_type(kind), subject=code,
                              correlationid=sid.hex, data=data.model_dump(mode="json")).chained(1, GENESIS_HASH)
            kafka = record.to_kafka()
            futures.append(await producer.send(SUBMISSIONS.name, kafka.value, key=kafka.key, headers=kafka.headers))
            sent[code, kind] = (str(sid), payload["declared_on"])
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


async def _recorded(client: httpx.AsyncClient, sent: Sent) -> None:
    """Wait until mapping has answered every declaration sent: it is on record, or a later one is
    (mapping keeps the latest declaration of each kind and refuses an older one)."""
    waiting = {code for code, _ in sent}
    while waiting:
        for code in sorted(waiting):
            on_record = (await client.get(f"/v1/regions/{code}/mapping")).json()["declarations"]
            if all((held := on_record.get(kind)) and (held["submission_id"] == sid or held["declared_on"] > day)
                   for (region, kind), (sid, day) in sent.items() if region == code):
                waiting.discard(code)
        if waiting:
            await asyncio.sleep(0.5)


async def _timed_pairs(client: httpx.AsyncClient, codes: list[str], count: int, seed: int) -> tuple[list[float], ...]:
    """(healthz, partners) latencies in ms, sorted: the two requests alternate, one at a time, so the
    baseline meets the same load on the machine as the figure."""
    rng = random.Random(seed)
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for latencies, path in zip(timings, ("/healthz", f"/v1/regions/{rng.choice(codes)}/partners"), strict=True):
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return tuple(sorted(latencies) for latencies in timings)


async def partners(base: str, requests: int = 2000, seed: int = 7, group_prefix: str | None = None,
                   regions: int | None = None, declared_on: date | None = None) -> dict[str, Any]:
    """Seed the nation's declarations, then time GET partners (random regions, by their declared
    needs, the first 20 of the ranking) beside GET /healthz of the same service. `regions` limits
    the scale (the first N autonomous regions by code) for a quick trial; national by default."""
    [token] = await issue_tokens([("directorate", None, "bench mapping")])
    await wait_until_known(f"{base}/v1/regions/53.71/mapping", token, timeout=180)
    declared = national_declarations(seed, regions, declared_on)
    started = time.perf_counter()
    sent = await publish(declared)
    codes = sorted({code for code, _ in sent})
    async with httpx.AsyncClient(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        await _recorded(client, sent)
        applied_s = time.perf_counter() - started
        settled_s = await caught_up(("mapping",), group_prefix)
        sizes = [(await client.get(f"/v1/regions/{c}/partners")).json()["total"] for c in codes[:20]]
        health, suggested = await _timed_pairs(client, codes, requests, seed)
    return {
        "scale": {"regions": len(codes), "declarations": len(declared), "requests": requests,
                  "partners_ranked_per_answer": statistics.mean(sizes),
                  "partners_shown_per_answer": 20, "waited_for_consumers_s": round(settled_s, 1)},
        "figures": {
            "mapping partners p50": figure(statistics.median(suggested), "ms", statistics.median(health),
                                           "mapping /healthz p50"),
            "mapping partners p99": figure(percentile(suggested, 0.99), "ms", percentile(health, 0.99),
                                           "mapping /healthz p99"),
            "mapping declarations recorded": figure(len(declared) / applied_s, "declarations/s"),
            "mapping partners ranked per answer": figure(statistics.mean(sizes), "regions"),
        },
    }


ORDER = 55


async def figures(context: Context) -> dict[str, Any]:
    """Partner suggestions with all 546 autonomous regions declared."""
    measured = await partners(context.urls["mapping"], requests=context.submissions, seed=context.seed)
    result: dict[str, Any] = measured["figures"]
    return result
