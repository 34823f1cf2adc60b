"""Intake under load: accepted submissions/s and POST latency p50/p99, beside the raw Kafka produce
rate and the latency of the same server's `/healthz` at the same concurrency (the HTTP floor)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from ksd_tools.bench_limits import KAFKA_PRODUCE
from ksd_tools.benchkit import Context, figure, percentile
from ksd_tools.simulate import proposals
from ksd_tools.simulate.runner import answered, send

ORDER = 20
INTAKE_ACCEPTED = "intake accepted"


async def http_floor(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    """p50 and p99 (ms) of GET /healthz: what any request to this server costs at this concurrency."""
    latencies: list[float] = []
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one() -> None:
            async with limit:
                started = time.perf_counter()
                (await client.get("/healthz")).raise_for_status()
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(requests)))
    return percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000


async def figures(context: Context) -> dict[str, Any]:
    load = proposals(context.submissions, context.seed)
    url = context.urls["intake"]
    tokens = await context.node_tokens(sorted({s.node for s in load}))
    started = time.perf_counter()
    tally = await send(load, url, tokens, context.concurrency)
    accepted = len(tally.accepted) / (time.perf_counter() - started)
    final = await answered(url, tokens, tally, timeout=600)
    applied = final["applied"] / (time.perf_counter() - started)
    floor_p50, floor_p99 = await http_floor(url, min(context.submissions, 1000), context.concurrency)
    produce = context.measured.get(KAFKA_PRODUCE)
    return {
        INTAKE_ACCEPTED: figure(accepted, "submissions/s", produce, KAFKA_PRODUCE),
        "intake POST p50": figure(percentile(tally.latencies, 0.5) * 1000, "ms", floor_p50, "GET /healthz p50"),
        "intake POST p99": figure(percentile(tally.latencies, 0.99) * 1000, "ms", floor_p99, "GET /healthz p99"),
        "applied (first POST to last status)": figure(applied, "submissions/s", accepted, INTAKE_ACCEPTED),
    }
