"""Nothing lost, nothing doubled when parts of the platform fail under a national load.

On a platform of its own (chaos_platform.py: its own broker, PostgreSQL server and services), the
simulator's nodes send their lifecycles at a steady rate while, at random moments, each service is
SIGKILLed and started again by deploy/local/services.sh, the broker is stopped and started, and
PostgreSQL is restarted as if it crashed. Then what a user of the platform would check:

- the simulator ended with every submission answered (it waits out every outage under the same
  Idempotency-Key), and every submission a node got a 202 for is applied or rejected;
- nothing was decided twice: no submission caused two events of one type, no event id came with
  different bytes, every agreement's versions are 1..n, and the event store holds exactly the
  agreement events on the topic;
- `ksd audit verify` finds the history clean, and `ksd audit rebuild` gives the live reporting
  service's digest;
- copies written by relays that lost an acknowledgement: at most one relay batch per fault.

The figures (sent, lost, doubled, copies per fault, the stall after each kind of fault, restart
times) are printed. `make test` runs the short form (one round of each fault, a small load);
`make chaos` (KSD_CHAOS=long) the long one, whose figures the README keeps."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from chaos_platform import ROOT, SERVICES, ChaosPlatform

from ksd_common.outbox import OutboxRelay
from ksd_common.settings import Settings, settings
from ksd_contracts.events import REGION_SUBMISSION_REJECTED, SUBMISSION_HELD, SUBMISSION_REJECTED
from ksd_contracts.topics import AGREEMENT_EVENTS, MAPPING_EVENTS, SUBMISSIONS, Topic
from ksd_reporting.app import SPEC as REPORTING
from ksd_reporting.digest import digest

Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True)
class Form:
    """How much load and how many faults."""

    agreements: int
    rate: float  # submissions per second, all nodes together: the load lasts through the faults
    rounds: int  # each fault this many times, in a random order
    pause: tuple[float, float]  # seconds between two faults, drawn at random


SHORT = Form(agreements=20, rate=2.5, rounds=1, pause=(2, 6))
"""`make test`'s form: its six faults and their restarts took 50 s on the quiet machine (pauses of 4 s
on average, restarts of 0.4-8.6 s), its ~250 submissions about 100 s at 2.5 a second. At 1.2 a
second the load went on 150 s after the last fault, the longest wait of the suite."""
LONG = Form(agreements=200, rate=3.0, rounds=3, pause=(3, 15))
FORM = LONG if os.environ.get("KSD_CHAOS") == "long" else SHORT
FAULTS = (*SERVICES, "broker", "postgres")
RELAY_BATCH: int = inspect.signature(OutboxRelay).parameters["batch"].default
"""Rows an outbox relay publishes at once: what a relay killed before its delete may publish again."""


@dataclass
class Fault:
    kind: str
    at: float  # wall-clock time the fault began
    restart: float  # seconds from the fault until every service was ready again


@pytest.fixture(scope="module")
def chaos() -> Iterator[ChaosPlatform]:
    platform = ChaosPlatform()
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()


def _fault(chaos: ChaosPlatform, kind: str) -> Fault:
    """Act out one fault and wait until the platform is ready again (services.sh starts a killed
    service; the broker stays down a few seconds, as in a rolling restart)."""
    at = time.time()
    if kind in SERVICES:
        chaos.kill(kind)
        chaos.start_services()
    elif kind == "broker":
        chaos.stop_broker()
        time.sleep(random.uniform(2, 5))
        chaos.start_broker()
    else:
        chaos.restart_postgres()
    chaos.wait_ready()
    return Fault(kind, at, time.time() - at)


def _submitted(chaos: ChaosPlatform) -> int:
    async def count() -> int:
        dsn = Settings(pg_dsn=chaos.pg_dsn, db_suffix="").database_dsn("ksd_intake")
        conn = await asyncpg.connect(dsn)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM submissions"))
        finally:
            await conn.close()
    return asyncio.run(count())


@pytest.mark.timeout(3600 if FORM is LONG else 1200)
def test_nothing_is_lost_or_doubled_when_parts_fail(chaos: ChaosPlatform) -> None:
    seed = int(os.environ.get("KSD_CHAOS_SEED", time.time()))
    random.seed(seed)
    ledger, output = chaos.folder / "ledger.jsonl", chaos.folder / "simulate.out"
    with output.open("w") as out:
        simulator = subprocess.Popen(
            [sys.executable, "-m", "ksd_tools.cli", "simulate", "--agreements", str(FORM.agreements), "--seed",
             str(seed % 1000), "--rate", str(FORM.rate), "--intake", chaos.url["intake"], "--answer-timeout", "900",
             "--ledger", str(ledger)], env=chaos.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        while _submitted(chaos) == 0:  # the nodes' tokens are known and the load has begun
            assert simulator.poll() is None, output.read_text()
            time.sleep(1)
        faults = []
        for kind in random.sample(FAULTS * FORM.rounds, len(FAULTS) * FORM.rounds):
            time.sleep(random.uniform(*FORM.pause))
            faults.append(_fault(chaos, kind))
            print(f"{kind}: ready again after {faults[-1].restart:.1f} s")
        simulator.wait(1800)
    finally:
        if simulator.poll() is None:
            simulator.kill()
    said = output.read_text()
    print(said)
    assert simulator.returncode == 0, said
    counts = next(line for line in said.splitlines() if line.startswith("agreements="))
    result = dict(re.findall(r"(\w+)=(\S+)", counts))
    answers = [json.loads(line) for line in ledger.read_text().splitlines()]
    asyncio.run(_check(chaos, seed, faults, answers, result))


async def _check(chaos: ChaosPlatform, seed: int, faults: list[Fault], answers: list[dict[str, Any]],
                 result: dict[str, str]) -> None:
    accepted = {a["id"] for a in answers if "http" in a and a["http"] == 202}
    final = {a["id"]: a["final"] for a in answers if "final" in a}
    await _drained(chaos)  # what a restart wrote last (the scheduler's tick) is on its topic too
    records = {t.name: await _records(chaos, t) for t in (SUBMISSIONS, AGREEMENT_EVENTS, MAPPING_EVENTS)}
    events = {name: _distinct(found) for name, found in records.items()}
    copies = {name: len(records[name]) - len(events[name]) for name in records}
    # A decision applied twice: for the agreement service, two events of one type caused by one
    # submission; for mapping, two with the same subject and data too (one neighbour declaration
    # confirms a border with each neighbour: several border_confirmed events, each its own pair).
    caused: dict[tuple[str, ...], int] = Counter()
    for record in events[AGREEMENT_EVENTS.name].values():
        if _header(record, "ce_type") != SUBMISSION_HELD:
            caused[(_header(record, "ce_causationid"), _header(record, "ce_type"))] += 1
    for record in events[MAPPING_EVENTS.name].values():
        if _header(record, "ce_type") != SUBMISSION_HELD:
            caused[(_header(record, "ce_causationid"), _header(record, "ce_type"), repr(record.key),
                    repr(record.value))] += 1
    lost = accepted - {cause[0] for cause in caused}
    doubled = {k: n for k, n in caused.items() if n > 1 and k[0] in accepted}
    _print_figures(seed, faults, answers, records[AGREEMENT_EVENTS.name], result, accepted,
                   (len(lost), sum(n - 1 for n in doubled.values())), copies)

    # The nodes: every submission answered, none left with a 5xx or without its final answer.
    assert result["error"] == "0" and result["unanswered"] == "0" and result["unexpected"] == "0", result
    assert set(final) == accepted and set(final.values()) <= {"applied", "rejected"}
    # Every accepted submission is on the submissions topic, and caused its answer exactly once.
    assert {_header(r, "ce_id") for r in events[SUBMISSIONS.name].values()} >= accepted
    assert lost == set() and doubled == {}
    statuses = await _intake_statuses(chaos, accepted)
    assert statuses == {i: final[i] for i in accepted}  # intake tells each node what it was told

    stored = await _event_store(chaos)
    versions: dict[str, list[int]] = defaultdict(list)
    for stream, version in stored.values():
        versions[stream].append(version)
    assert {s: sorted(v) for s, v in versions.items() if sorted(v) != list(range(1, len(v) + 1))} == {}
    # Event store and topic agree: every stored event is on the topic at its stream and version, and
    # every agreement event on the topic is stored (a rejection is stored in its agreement's stream
    # when there is one; a held notice never is).
    on_topic = events[AGREEMENT_EVENTS.name]
    assert set(stored) <= set(on_topic)
    assert {i: (_header(on_topic[i], "ce_subject"), int(_header(on_topic[i], "ce_sequence") or 0))
            for i in stored} == stored
    assert {i for i, r in on_topic.items()
            if _header(r, "ce_type") not in (SUBMISSION_REJECTED, REGION_SUBMISSION_REJECTED, SUBMISSION_HELD)
            } <= set(stored)

    verified = _ksd(chaos, "audit", "verify")
    print("  " + verified.stdout.strip().replace("\n", "\n  "))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    live = await _settled_digest(chaos)
    rebuilt = _ksd(chaos, "audit", "rebuild", "--database", "ksd_reporting_rebuild_chaos")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    print(f"  live reporting digest {live}; {rebuilt.stdout.strip().splitlines()[0]}")
    assert f"digest {live}" in rebuilt.stdout

    assert sum(copies.values()) <= len(faults) * RELAY_BATCH, copies


def _print_figures(seed: int, faults: list[Fault], answers: list[dict[str, Any]], applied: list[Record],
                   result: dict[str, str], accepted: set[str], wrong: tuple[int, int], copies: dict[str, int]) -> None:
    """What the README's chaos section shows: per kind of fault, the restart (fault → every service
    ready) and the stall (fault → the next answer a node got, and → the next event applied)."""
    answered_at = sorted(a["at"] for a in answers if "http" in a and a["http"] < 500)
    applied_at = sorted(r.timestamp / 1000 for r in applied)
    load_ended = answered_at[-1] if answered_at else 0.0  # the nodes' last submission answered

    def after(times: list[float], moment: float) -> float | None:
        """Seconds from `moment` to the next of `times`; None for a fault after the load ended
        (what followed it was no longer the flow of submissions)."""
        later = [t - moment for t in times if t >= moment]
        return later[0] if later and moment < load_ended else None

    def span(values: list[float | None]) -> str:
        known = [v for v in values if v is not None]
        return f"{min(known):.1f} to {max(known):.1f} s" if known else "n/a (no load left)"

    print(f"\nchaos figures (seed {seed}, {FORM}):")
    print(f"  submissions sent {result['submissions']}, accepted {len(accepted)}, invalid {result['invalid']}, "
          f"applied {result['applied']}, rejected {result['rejected']}; lost {wrong[0]}, doubled {wrong[1]}; "
          f"unanswered {result['unanswered']}, 5xx left {result['error']}; took {result['seconds']} s")
    print(f"  faults {len(faults)}; copies on the topics {copies} = {sum(copies.values()) / len(faults):.1f} per fault"
          f" (bound: one relay batch, {RELAY_BATCH})")
    for kind in FAULTS:
        mine = [f for f in faults if f.kind == kind]
        print(f"  {kind:10} x{len(mine)}: ready after {span([f.restart for f in mine])}; next answer after "
              f"{span([after(answered_at, f.at) for f in mine])}; next event applied after "
              f"{span([after(applied_at, f.at) for f in mine])}")


async def _records(chaos: ChaosPlatform, topic: Topic) -> list[Record]:
    """Every record of `topic` on the chaos broker, from its beginning."""
    consumer = AIOKafkaConsumer(**settings().kafka_options(bootstrap=chaos.bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[Record] = []
        while any([await consumer.position(p) < ends[p] for p in partitions]):
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(batch)
        return found
    finally:
        await consumer.stop()


def _header(record: Record, name: str) -> str:
    return next((v.decode() for k, v in record.headers if k == name), "")


def _distinct(records: list[Record]) -> dict[str, Record]:
    """Each event once, by id; a copy must be the same bytes (an id never names two events)."""
    first: dict[str, Record] = {}
    for record in records:
        seen = first.setdefault(_header(record, "ce_id"), record)
        assert (seen.key, seen.value, seen.headers) == (record.key, record.value, record.headers), "an id reused"
    return first


def _dsn(chaos: ChaosPlatform, database: str) -> str:
    return Settings(pg_dsn=chaos.pg_dsn, db_suffix="").database_dsn(database)


async def _connect(chaos: ChaosPlatform, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(_dsn(chaos, database))


async def _drained(chaos: ChaosPlatform, timeout: float = 300) -> None:
    """Until no service's outbox holds a row: every event committed is published."""
    deadline = time.monotonic() + timeout
    for service in SERVICES:
        conn = await _connect(chaos, f"ksd_{service}")
        try:
            if not await conn.fetchval("SELECT to_regclass('outbox') IS NOT NULL"):
                continue
            while pending := await conn.fetchval("SELECT count(*) FROM outbox"):
                assert time.monotonic() < deadline, f"{service}: {pending} events still in its outbox"
                await asyncio.sleep(0.5)
        finally:
            await conn.close()


async def _intake_statuses(chaos: ChaosPlatform, ids: set[str]) -> dict[str, str]:
    conn = await _connect(chaos, "ksd_intake")
    try:
        rows = await conn.fetch("SELECT id, status FROM submissions WHERE id = ANY($1::uuid[])", [UUID(i) for i in ids])
    finally:
        await conn.close()
    return {str(r["id"]): r["status"] for r in rows}


async def _event_store(chaos: ChaosPlatform) -> dict[str, tuple[str, int]]:
    """Per event id in the agreement service's store: (agreement, version)."""
    conn = await _connect(chaos, "ksd_agreement")
    try:
        rows = await conn.fetch("SELECT event_id, agreement_id, version FROM agreement_events")
    finally:
        await conn.close()
    return {str(r["event_id"]): (str(r["agreement_id"]), r["version"]) for r in rows}


async def _settled_digest(chaos: ChaosPlatform) -> str:
    """The live reporting service's digest, taken once its consumer groups stand at the end of every
    topic it reads and did not move while the digest was computed."""
    options = settings().kafka_options(bootstrap=chaos.bootstrap)
    partitions = [TopicPartition(c.topic.name, p) for c in REPORTING.consumes
                  for p in range(c.topic.partitions)]
    admin, consumer = AIOKafkaAdminClient(**options), AIOKafkaConsumer(**options, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    pool = await asyncpg.create_pool(_dsn(chaos, "ksd_reporting"), min_size=1, max_size=1)

    async def committed() -> dict[TopicPartition, int]:
        found: dict[TopicPartition, int] = {}
        for topic in {p.topic for p in partitions}:
            mine = [p for p in partitions if p.topic == topic]
            offsets = await admin.list_consumer_group_offsets(f"ksd-reporting-{topic}", partitions=mine)
            found |= {p: max(offsets[p].offset, 0) if p in offsets else 0 for p in mine}  # none yet: 0
        return found

    try:
        for _ in range(600):
            before = await committed()
            if before == await consumer.end_offsets(partitions):
                live: str = await digest(pool)
                if await committed() == before:
                    return live
            await asyncio.sleep(0.5)
    finally:
        await pool.close()
        await consumer.stop()
        await admin.close()
    raise AssertionError("the live reporting service did not catch up with its topics")


def _ksd(chaos: ChaosPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ksd_tools.cli", *args], env=chaos.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)

