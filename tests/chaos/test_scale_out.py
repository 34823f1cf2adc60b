"""More than one of everything: a three-broker cluster and two processes of each service, under a
simulated national load, lose nothing when one broker or one replica of each service is lost, and
the work spreads over the replicas.

On a KRaft cluster of its own (`deploy/local/kafka.sh` with KSD_KAFKA_NODES=3: brokers on 19200,
19202 and 19204, controllers one port above, data in the test's folder; the platform's topics keep
3 copies with min.insync.replicas=2), the machine's PostgreSQL with this slot's databases of their
own (`ksd_*_test<slot>_scale`), and two replicas of each service started by
`deploy/local/services.sh` (KSD_REPLICAS=2; the first on 19220-19223, the second ten ports up).
These ports are slot 0's; another test slot's are as far up as `chaos_platform.chaos_port` says.
The simulated nodes (`ksd_tools.simulate`) reach intake through a spreading client, as through a
load balancer: requests go to the two intake replicas in turn, and one that refuses the connection
is skipped.

What a user would check after each fault ("loses nothing"):
- every submission a node got a 202 for is answered, applied or rejected as the plan expects, and
  is recorded once in intake;
- in the agreement service's event store no submission caused two events of one type, every agreement's
  versions are 1..n, and the events on the topic are the store's (copies a relay wrote twice are
  counted and printed: a relay that lost an acknowledgement may publish one batch again);
- the stall: the longest time without a submission answered (intake's `answered_at`) after the
  fault, beside the longest before it (the load's own rhythm), the longest time without a 202, and
  the longest a node waited from its 202 to its answer (the partitions that were lost wait longest).

Marked `chaos_long`: three JVMs and eight service processes are too much for `make test` on two
cores; `make chaos` runs them (README, "Faults and scale-out")."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from chaos_platform import chaos_port
from conftest import GROUP_PREFIX, SUFFIX, _environment
from prometheus_client.parser import text_string_to_metric_families

from ksd_common.access import ensure_roles, setup_kafka
from ksd_common.db import recreate_database
from ksd_common.settings import Settings, settings
from ksd_contracts.topics import AGREEMENT_EVENTS, all_topics
from ksd_tools.simulate.plan import workload
from ksd_tools.simulate.runner import RateLimit, Sender, Tally, _track, node_tokens

pytestmark = pytest.mark.chaos_long

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "agreement", "mapping", "reporting")
NODES = 3
# On slot 0 (`chaos_port` moves them into the test slot's range):
KAFKA_PORT, CONTROLLER_PORT = chaos_port(19200), chaos_port(19201)  # node n: 19200+2(n-1), controller one up
PORTS = {s: chaos_port(19220 + i) for i, s in enumerate(SERVICES)}
REPLICAS, REPLICA_STEP = 2, 10  # the second replica of a service ten ports up: 19230-19233
DB_SUFFIX = f"{SUFFIX}_scale"
STALL_LIMIT = 30.0
"""Seconds the flow may stand still after a fault. A broker's loss is noticed by the controller
within its session timeout (4 s, kafka.sh) and a consumer group member's by the group coordinator
within the services' (4 s, KSD_KAFKA_SESSION_TIMEOUT_MS); on this shared two-core machine at load
10-50 the elections and rebalances that follow take seconds more."""


@dataclass
class Scaled:
    """The cluster and the replicated services, and ways to hurt them."""

    folder: Path
    env: dict[str, str]

    def kafka(self, *args: str) -> None:
        subprocess.run([str(ROOT / "deploy/local/kafka.sh"), *args], env=self.env, check=True, timeout=900)

    def services(self, *args: str) -> None:
        subprocess.run([str(ROOT / "deploy/local/services.sh"), *args], env=self.env, check=True, timeout=600)

    def port(self, service: str, replica: int) -> int:
        return PORTS[service] + REPLICA_STEP * (replica - 1)

    def url(self, service: str, replica: int = 1) -> str:
        return f"http://127.0.0.1:{self.port(service, replica)}"

    async def database(self, service: str) -> asyncpg.Connection:
        return await asyncpg.connect(settings().database_dsn(f"ksd_{service}{DB_SUFFIX}"))

    async def metrics(self, service: str, replica: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """The replica's /metrics: (sample name, labels) -> value."""
        async with httpx.AsyncClient(timeout=30) as client:
            text = (await client.get(f"{self.url(service, replica)}/metrics")).text
        return {(s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}


def _bootstrap() -> str:
    return ",".join(f"127.0.0.1:{KAFKA_PORT + 2 * n}" for n in range(NODES))


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    """The three-broker cluster, this slot's `_scale` databases and two replicas of each service; at
    the end all of it stopped. The test process's own clients talk to the cluster meanwhile."""
    folder = tmp_path_factory.mktemp("scale-out")
    saved = os.environ.get("KSD_KAFKA_BOOTSTRAP")
    os.environ["KSD_KAFKA_BOOTSTRAP"] = _bootstrap()
    settings.cache_clear()
    env = _environment(folder / "traces.jsonl", {
        "KSD_KAFKA_BOOTSTRAP": _bootstrap(), "KSD_KAFKA_NODES": str(NODES), "KSD_KAFKA_PORT": str(KAFKA_PORT),
        "KSD_KAFKA_CONTROLLER_PORT": str(CONTROLLER_PORT), "KSD_KAFKA_DATA": str(folder / "kafka"),
        "KSD_DB_SUFFIX": DB_SUFFIX, "KSD_REPLICAS": str(REPLICAS), "KSD_REPLICA_PORT_STEP": str(REPLICA_STEP),
        "KSD_RUN_DIR": str(folder / "run"), "KSD_LOG_DIR": str(folder / "logs"),
        **{f"KSD_{s.upper()}_PORT": str(p) for s, p in PORTS.items()}})
    platform = Scaled(folder, env)
    try:
        platform.kafka("start")
        asyncio.run(_fresh(platform))
        platform.services("start")
        yield platform
    finally:
        subprocess.run([str(ROOT / "deploy/local/services.sh"), "stop"], env=env, timeout=600)
        subprocess.run([str(ROOT / "deploy/local/kafka.sh"), "stop"], env=env, timeout=600)
        if saved is None:
            os.environ.pop("KSD_KAFKA_BOOTSTRAP", None)
        else:
            os.environ["KSD_KAFKA_BOOTSTRAP"] = saved
        settings.cache_clear()


async def _fresh(platform: Scaled) -> None:
    """Empty databases owned by the services' roles; the slot's topics and ACLs on the cluster."""
    await ensure_roles(Settings())
    for service in SERVICES:
        await recreate_database(f"ksd_{service}{DB_SUFFIX}")
    await setup_kafka(Settings(group_prefix=GROUP_PREFIX))


class Spread(httpx.AsyncBaseTransport):
    """A load balancer in front of intake's replicas: each request to the next port in turn, and a
    port that refuses the connection (a replica down) skipped. Counts who answered."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.turn = itertools.count()
        self.inner = httpx.AsyncHTTPTransport()
        self.answered: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        first = next(self.turn)
        refused: httpx.ConnectError | None = None
        for offset in range(len(self.ports)):
            port = self.ports[(first + offset) % len(self.ports)]
            request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.ConnectError as error:
                refused = error
                continue
            self.answered[port] += 1
            return response
        assert refused is not None
        raise refused

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Run:
    """One load and what it got: the tally, final answers, the fault's moment (the database's
    clock, and this process's perf_counter) and which intake port answered how often."""

    tally: Tally
    final: Counter[str]
    fault_at: datetime | None
    fault_perf: float | None
    answered_by: Counter[int]


async def drive(platform: Scaled, agreements: int, seed: int, rate: float,
                fault: Callable[[], None] | None = None, fault_after: float = 20.0) -> Run:
    """The simulator's lifecycles for `agreements` agreements at `rate` submissions per second, the
    nodes' requests spread over intake's replicas; `fault` (blocking, run in a thread) once
    `fault_after` seconds of load have passed. Then every accepted submission is followed until
    answered (or 300 s)."""
    work = workload(agreements, seed)
    tokens = await node_tokens(platform.url("intake"), work.nodes)
    spread = Spread([platform.port("intake", r) for r in range(1, REPLICAS + 1)])
    tally = Tally()
    fault_at: datetime | None = None
    fault_perf: float | None = None
    async with httpx.AsyncClient(base_url="http://intake", transport=spread, timeout=120) as client:
        sender = Sender(client, tokens, RateLimit(rate), tally)
        gate = asyncio.Semaphore(32)
        load = asyncio.gather(*(_track(sender, t, gate) for t in work.tracks))
        if fault is not None:
            await asyncio.sleep(fault_after)
            fault_at, fault_perf = await _now(platform), time.perf_counter()
            await asyncio.to_thread(fault)
        await load
        final = await sender.answers(tally.accepted, 300)
    return Run(tally, final, fault_at, fault_perf, spread.answered)


async def _now(platform: Scaled) -> datetime:
    conn = await platform.database("intake")
    try:
        moment: datetime = await conn.fetchval("SELECT clock_timestamp()")
        return moment
    finally:
        await conn.close()


async def lost_nothing(platform: Scaled, run: Run) -> dict[str, Any]:
    """Asserts that every accepted submission was answered once and as planned, and that the
    agreement history is whole; returns the figures to print."""
    accepted = [submission for _, submission in run.tally.accepted]
    assert run.tally.http["error"] == 0, run.tally.wrong[:5]
    assert run.final["unanswered"] == 0, run.final
    assert run.tally.wrong == []
    intake = await platform.database("intake")
    try:
        rows = await intake.fetch("SELECT status, count(*) AS n FROM submissions WHERE id = ANY($1::uuid[])"
                                  " GROUP BY status", accepted)
    finally:
        await intake.close()
    recorded = {r["status"]: r["n"] for r in rows}
    assert sum(recorded.values()) == len(set(accepted)) == len(accepted)  # each 202 recorded once
    assert set(recorded) <= {"applied", "rejected"}, recorded
    agreement = await platform.database("agreement")
    try:
        twice = await agreement.fetch(
            "SELECT envelope->>'causationid' AS cause, type, count(*) AS n FROM agreement_events"
            " WHERE envelope->>'causationid' = ANY($1::text[]) GROUP BY 1, 2 HAVING count(*) > 1", accepted)
        gaps = await agreement.fetch("SELECT agreement_id, array_agg(version ORDER BY version) AS versions"
                                     " FROM agreement_events GROUP BY 1 HAVING count(*) <> max(version)"
                                     " OR min(version) <> 1")
        stored = {str(r["event_id"]) for r in await agreement.fetch("SELECT event_id FROM agreement_events")}
    finally:
        await agreement.close()
    assert [dict(r) for r in twice] == []  # no submission decided twice (one may cause events of two types)
    assert [dict(r) for r in gaps] == []  # every stream's versions 1..n
    records, published = await _published(AGREEMENT_EVENTS.name)
    assert published == stored  # the topic holds the store's events, none lost between them
    return {"accepted": len(accepted), **recorded, "events": len(stored), "copies_on_topic": records - len(published)}


async def _published(topic: str) -> tuple[int, set[str]]:
    """Every record on `topic` from its beginning: how many, and their distinct event ids."""
    consumer = AIOKafkaConsumer(**settings().kafka_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        count = next(n for name, n, _ in all_topics() if name == topic)
        partitions = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records, ids = 0, set()
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                for record in batch:
                    records += 1
                    ids.add(next(v.decode() for k, v in record.headers if k == "ce_id"))
        return records, ids
    finally:
        await consumer.stop()


async def stalls(platform: Scaled, run: Run) -> dict[str, float]:
    """In seconds: the longest time without an answered submission after the fault and before it
    (the load's own rhythm), and without a 202 after the fault; and the longest a node waited from
    its 202 to its answer for a submission answered after the fault, and before it. The gaps show
    the flow as a whole; the wait shows a node whose submission went to the partitions that were
    lost, while the others' kept being answered."""
    assert run.fault_at is not None and run.fault_perf is not None
    intake = await platform.database("intake")
    try:
        rows = await intake.fetch(
            "SELECT accepted_at, answered_at FROM submissions WHERE id = ANY($1::uuid[]) ORDER BY answered_at",
            [i for _, i in run.tally.accepted])
    finally:
        await intake.close()
    moments: list[datetime] = [r["answered_at"] for r in rows]
    before = [m for m in moments if m < run.fault_at]
    after = [run.fault_at, *(m for m in moments if m >= run.fault_at)]
    accepts = [run.fault_perf, *(t for t in run.tally.accepted_at if t >= run.fault_perf)]

    def longest_wait(answered_after: bool) -> float:
        waits = [(r["answered_at"] - r["accepted_at"]).total_seconds() for r in rows
                 if (r["answered_at"] >= run.fault_at) == answered_after]
        return round(max(waits, default=0.0), 1)

    return {"answers_after": _longest_gap([m.timestamp() for m in after]),
            "answers_before": _longest_gap([m.timestamp() for m in before]),
            "accepts_after": _longest_gap(accepts),
            "wait_after": longest_wait(True), "wait_before": longest_wait(False)}


def _longest_gap(moments: list[float]) -> float:
    return round(max((b - a for a, b in itertools.pairwise(sorted(moments))), default=0.0), 1)


async def _topic_durability(topic: str) -> tuple[int, str]:
    """(copies of partition 0, min.insync.replicas) of `topic` on the cluster."""
    admin = AIOKafkaAdminClient(**settings().kafka_options())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        [config] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    entries = config.to_object()["resources"][0]["config_entries"]
    min_insync = next(str(e["config_value"]) for e in entries if e["config_names"] == "min.insync.replicas")
    return len(described["partitions"][0]["replicas"]), min_insync


@pytest.mark.timeout(1800)
async def test_work_spreads_over_the_replicas(scaled: Scaled) -> None:
    """Each replica of each service owns partitions of its topics (each partition one owner), each
    applies events, and both intake replicas answer the nodes."""
    assert await _topic_durability(AGREEMENT_EVENTS.name) == (3, "2")
    run = await drive(scaled, agreements=60, seed=31, rate=25)
    figures = await lost_nothing(scaled, run)
    owned: dict[str, Counter[str]] = {}
    applied: dict[str, float] = {}
    for service in SERVICES:
        for replica in range(1, REPLICAS + 1):
            metrics = await scaled.metrics(service, replica)
            name = f"{service}-{replica}"
            owned[name] = Counter({dict(labels)["topic"]: int(v) for (sample, labels), v in metrics.items()
                                   if sample == "ksd_consumer_partitions"})
            applied[name] = sum(v for (sample, _), v in metrics.items() if sample == "ksd_events_applied_total")
    print(f"\nspread: {figures}; intake answered per port {dict(run.answered_by)};"
          f" partitions owned {({n: dict(c) for n, c in owned.items()})}; events applied {applied}")
    partitions = {name: n for name, n, _ in all_topics()}
    for service in SERVICES:
        both = [owned[f"{service}-{r}"] for r in range(1, REPLICAS + 1)]
        for topic in set().union(*both):
            assert sum(c[topic] for c in both) == partitions[topic], (service, topic, both)
        assert all(sum(c.values()) > 0 for c in both), (service, both)
    assert all(v > 0 for v in applied.values()), applied
    assert sorted(run.answered_by) == [scaled.port("intake", r) for r in range(1, REPLICAS + 1)]
    assert min(run.answered_by.values()) > 0.3 * sum(run.answered_by.values())


@pytest.mark.timeout(1800)
async def test_losing_one_broker_loses_nothing(scaled: Scaled) -> None:
    """SIGKILL of one broker of three under load: nothing lost, the flow stalls a few seconds."""
    run = await drive(scaled, agreements=200, seed=32, rate=25, fault=lambda: scaled.kafka("kill", "2"))
    figures = await lost_nothing(scaled, run)
    stall = await stalls(scaled, run)
    started = time.perf_counter()
    scaled.kafka("start", "2")
    print(f"\nbroker lost: {figures}; stall {stall}; the broker served again {time.perf_counter() - started:.0f} s"
          " after its start")
    assert max(stall["answers_after"], stall["accepts_after"], stall["wait_after"]) <= STALL_LIMIT, stall


@pytest.mark.timeout(1800)
async def test_losing_one_replica_of_each_service_loses_nothing(scaled: Scaled) -> None:
    """SIGKILL of the first replica of intake, agreement, mapping and reporting at once under load
    (the first of agreement holds its relay's lock): nothing lost, the flow stalls a few seconds."""
    def kill_first_replicas() -> None:
        for service in SERVICES:
            scaled.services("kill", service, "1")

    run = await drive(scaled, agreements=200, seed=33, rate=25, fault=kill_first_replicas)
    figures = await lost_nothing(scaled, run)
    stall = await stalls(scaled, run)
    scaled.services("start")
    print(f"\nreplicas lost: {figures}; stall {stall}; intake answered per port {dict(run.answered_by)}")
    assert max(stall["answers_after"], stall["accepts_after"], stall["wait_after"]) <= STALL_LIMIT, stall
