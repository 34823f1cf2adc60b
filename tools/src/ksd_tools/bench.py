"""`ksd bench`: speed figures, each beside a baseline measured in the same run on the same machine.

Needs the platform running (`make up`). Figures are printed as a table and written to
bench/results/latest.json and a timestamped copy, so runs can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ksd_common.settings import settings
from ksd_tools.admin import issue_tokens, wait_until_known
from ksd_tools.simulate import plan

RAW_TOPIC = "ksd.bench.raw"
RESULTS = Path("bench/results")


def _figure(name: str, value: float, unit: str, baseline: float, baseline_name: str) -> dict[str, Any]:
    return {"figure": name, "value": round(value, 1), "unit": unit, "baseline": round(baseline, 1),
            "baseline_name": baseline_name, "ratio": round(value / baseline, 3) if baseline else None}


async def raw_kafka(messages: int, size: int) -> tuple[float, float]:
    """The limits: produce (idempotent, acks=all, not waiting per message) and consume, in records/s."""
    bootstrap = settings().kafka_bootstrap
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(RAW_TOPIC, 6, 1)])
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2)
        await producer.start()
        payload = os.urandom(size)
        started = time.perf_counter()
        futures = [await producer.send(RAW_TOPIC, payload, key=str(i % 600).encode()) for i in range(messages)]
        await asyncio.gather(*futures)
        produce = messages / (time.perf_counter() - started)
        await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        partitions = [TopicPartition(RAW_TOPIC, p) for p in range(6)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        read, started = 0, time.perf_counter()
        while read < messages:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            read += sum(len(b) for b in batches.values())
        consume = messages / (time.perf_counter() - started)
        await consumer.stop()
        return produce, consume
    finally:
        await admin.delete_topics([RAW_TOPIC])
        await admin.close()


async def intake(submissions: int, concurrency: int, base: str) -> dict[str, float]:
    """Accepted submissions/s with p50/p99 of POST latency, and applied/s from first POST to last answer."""
    planned = plan(submissions, seed=int(time.time()))
    nodes = sorted({p.node for p in planned})
    tokens = dict(zip(nodes, await issue_tokens([("regency", n, "bench") for n in nodes]), strict=True))
    await wait_until_known(f"{base}/v1/submissions/{uuid.UUID(int=0)}", tokens[nodes[-1]])
    latencies: list[float] = []
    ids: list[tuple[str, str]] = []
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:

        async def post(item: Any) -> None:
            headers = {"Authorization": f"Bearer {tokens[item.node]}", "Idempotency-Key": str(uuid.uuid4())}
            async with limit:
                started = time.perf_counter()
                response = await client.post("/v1/submissions", json=item.body, headers=headers)
                latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            ids.append((response.json()["id"], headers["Authorization"]))

        started = time.perf_counter()
        await asyncio.gather(*(post(p) for p in planned))
        accepted_seconds = time.perf_counter() - started
        for submission, authorization in ids:  # answers arrive in order enough: poll each until answered
            while (await client.get(f"/v1/submissions/{submission}",
                                    headers={"Authorization": authorization})).json()["status"] == "accepted":
                await asyncio.sleep(0.05)
        applied_seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"accepted_per_s": submissions / accepted_seconds, "applied_per_s": submissions / applied_seconds,
            "p50_ms": statistics.median(ordered) * 1000, "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000}


async def run(messages: int, submissions: int, concurrency: int, base: str) -> dict[str, Any]:
    produce, consume = await raw_kafka(messages, size=1024)
    measured = await intake(submissions, concurrency, base)
    figures = [
        _figure("kafka raw produce", produce, "records/s", produce, "itself (the limit)"),
        _figure("kafka raw consume", consume, "records/s", consume, "itself (the limit)"),
        _figure("intake accepted", measured["accepted_per_s"], "submissions/s", produce, "kafka raw produce"),
        _figure("intake POST p50", measured["p50_ms"], "ms", 0, "-"),
        _figure("intake POST p99", measured["p99_ms"], "ms", 0, "-"),
        _figure("applied end to end", measured["applied_per_s"], "submissions/s", consume, "kafka raw consume"),
    ]
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
            "scale": {"messages": messages, "submissions": submissions, "concurrency": concurrency},
            "figures": figures}


def _print(result: dict[str, Any]) -> None:
    print(f"{'figure':<22}{'value':>12}  {'unit':<15}{'baseline':>12}  {'ratio':>7}  baseline is")
    for f in result["figures"]:
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.3f}"
        print(f"{f['figure']:<22}{f['value']:>12,.1f}  {f['unit']:<15}{f['baseline']:>12,.1f}  {ratio:>7}  "
              f"{f['baseline_name']}")


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser("bench", help="throughput and latency beside same-run baselines (needs make up)")
    bench.add_argument("--messages", type=int, default=50_000, help="records for the raw Kafka baseline")
    bench.add_argument("--submissions", type=int, default=2000, help="submissions through intake")
    bench.add_argument("--concurrency", type=int, default=32)
    bench.add_argument("--intake", default=f"http://127.0.0.1:{settings().intake_port}")

    def _run(a: argparse.Namespace) -> None:
        result = asyncio.run(run(a.messages, a.submissions, a.concurrency, a.intake))
        _print(result)
        RESULTS.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result, indent=2) + "\n"
        (RESULTS / "latest.json").write_text(text)
        (RESULTS / f"{result['date'].replace(':', '')}.json").write_text(text)

    bench.set_defaults(run=_run)
