"""The simulator's HTTP client (`ksd_tools.http.client`) beside httpx's own, by the client's CPU
per request: `GET /healthz` of a running intake, N requests at concurrency 32, each client twice,
alternated. Results: bench/notes-startup-and-latency.md (29 November).

    .venv/bin/python bench/http_client_cpu.py [URL] [REQUESTS]   # default http://127.0.0.1:8081 4000
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

import httpx

from ksd_tools import http

CONCURRENCY = 32


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(client: httpx.AsyncClient, requests: int) -> tuple[float, float]:
    """Requests per second and the client's CPU milliseconds per request."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with gate:
            (await client.get("/healthz")).raise_for_status()

    started, used = time.perf_counter(), cpu()
    await asyncio.gather(*(one() for _ in range(requests)))
    return requests / (time.perf_counter() - started), 1000 * (cpu() - used) / requests


async def main(url: str, requests: int) -> None:
    for _ in range(2):
        for name in ("httpx", "ksd_tools.http"):
            client = (httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY))
                      if name == "httpx" else http.client(url, connections=CONCURRENCY, timeout=30))
            async with client:
                rate, ms = await measure(client, requests)
            print(f"{name:15s} {rate:6.0f} requests/s, client CPU {ms:.3f} ms per request")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8081",
                     int(sys.argv[2]) if len(sys.argv) > 2 else 4000))
