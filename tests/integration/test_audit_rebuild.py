"""`ksd audit rebuild` and `replay` against the live platform: the rebuilt digest equals a live
reporting service's, and replay as of a past time gives what reporting answered then."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from conftest import SLOT, Platform

from ksd_common.access import setup_kafka
from ksd_common.db import drop_database, recreate_database
from ksd_common.topics import consumer_group
from ksd_contracts.envelope import KafkaRecord
from ksd_contracts.labels import number
from ksd_contracts.topics import AGREEMENT_EVENTS, MAPPING_EVENTS
from ksd_reporting import app as reporting_app
from ksd_reporting.digest import SHARED_FROM_ROWS, digest, tables
from ksd_tools.audit.log import History, create_topics, delete_topics, producer, read, reader, send_all, span
from ksd_tools.audit.rebuild import GROUPED, rebuild, replay, shares, spans_of

PROPOSAL = {
    "kind": "KSDD", "mandatory": True, "title": "Pengelolaan sampah regional Kota Kupang dan Kabupaten Kupang",
    "parties": [{"type": "region", "code": "53.71"}, {"type": "region", "code": "53.01"}],
    "urusan": ["2.11"], "initiated_on": "2024-07-02",
}


async def _propose(platform: Platform, token: str, **extra: Any) -> str:
    """Propose through intake's HTTP API; the agreement id once the agreement service answered."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{platform.url['intake']}/v1/submissions", headers={
            **headers, "Idempotency-Key": str(uuid4())}, json={"type": "agreement.propose", "data": PROPOSAL | extra})
        assert response.status_code == 202, response.text
        for _ in range(200):
            status = (await client.get(f"{platform.url['intake']}/v1/submissions/{response.json()['id']}",
                                       headers=headers)).json()
            if status["status"] != "accepted":
                return str(status["agreement_id"])
            await asyncio.sleep(0.1)
    raise AssertionError("the submission was not answered")


async def _reported(platform: Platform, token: str, ids: list[str], versions: dict[str, int]) -> dict[str, Any]:
    """What reporting's API answers for `ids`, once each has reached its expected version and shows
    the flags the mapping service raised on it (mapping has answered every agreement it has seen)."""
    found: dict[str, Any] = {}
    raised: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(200):
            for i in ids:
                response = await client.get(f"{platform.url['reporting']}/v1/agreements/{i}")
                if response.status_code == 200:
                    found[i] = response.json()
                mapped = await client.get(f"{platform.url['mapping']}/v1/agreements/{i}/mapping")
                if mapped.status_code == 200:
                    raised[i] = len(mapped.json()["flags"])
            if all(found.get(i, {}).get("terms", {}).get("version") == versions[i] and i in raised
                   and len(found[i]["mapping_flags"]) == raised[i] for i in ids):
                return found
            await asyncio.sleep(0.1)
    raise AssertionError(f"reporting did not reach {versions}: {found}")


COPIED = [AGREEMENT_EVENTS, MAPPING_EVENTS]
"""What reporting reads of an agreement: its lifecycle, and what mapping said of it (keyed by its id)."""


async def _copy(ids: set[str], history: History) -> None:
    """Copy the events of `ids` into the history's copy: same partitions, same timestamps."""
    source = History()
    consumer = reader(source)
    await consumer.start()
    records: dict[str, list[tuple[KafkaRecord, int | None]]] = {t.name: [] for t in COPIED}
    partitions: dict[str, dict[bytes, int]] = {t.name: {} for t in COPIED}
    try:
        async for batch in read(consumer, await span(consumer, source, COPIED)):
            for r in batch:
                if r.key and r.key.decode() in ids:
                    record = KafkaRecord(key=r.key, value=r.value or b"", headers=list(r.headers))
                    records[r.topic].append((record, r.timestamp))
                    partitions[r.topic][r.key] = r.partition
    finally:
        await consumer.stop()
    await create_topics(history, COPIED)
    out = producer(history)
    await out.start()
    try:
        for topic in COPIED:
            await send_all(out, history.name(topic), records[topic.name],
                           partition_of=partitions[topic.name])
    finally:
        await out.stop()


@pytest.fixture
async def copy() -> AsyncIterator[History]:
    history = History(prefix=f"audit-test-{uuid4().hex[:10]}.")
    yield history
    await delete_topics(history, COPIED)


async def test_replay_as_of_gives_what_reporting_answered_then(platform: Platform, copy: History) -> None:
    kupang = await platform.token("regency", "53.71")
    auditor = await platform.token("auditor")
    first = [await _propose(platform, kupang), await _propose(platform, kupang)]
    then = await _reported(platform, auditor, first, dict.fromkeys(first, 1))
    as_of = datetime.now(UTC)
    await asyncio.sleep(1.1)

    # Later events: another proposal, and a second report of the first agreement (a step on its timeline).
    later = await _propose(platform, kupang)
    assert await _propose(platform, kupang, agreement_id=first[0]) == first[0]
    now = await _reported(platform, auditor, [*first, later], {first[0]: 2, first[1]: 1, later: 1})
    assert now[first[0]] != then[first[0]]

    await _copy({*first, later}, copy)
    for agreement_id in first:
        assert (await replay(copy, as_of, agreement_id))["agreement"] == then[agreement_id]
    assert (await replay(copy, as_of, later))["agreement"] is None
    assert (await replay(copy, datetime.now(UTC), first[0]))["agreement"] == now[first[0]]


async def _committed(group: str, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(**History().kafka())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if meta is not None}


async def _settled(prefix: str, pool_dsn: str) -> tuple[dict[TopicPartition, int], str]:
    """The live service's digest with the offsets it stood at: taken when its group has caught up
    with the end of every topic it reads and did not move while the digest was computed."""
    topics = [c.topic for c in reporting_app.SPEC.consumes]
    consumer = reader(History())
    await consumer.start()
    pool = await asyncpg.create_pool(pool_dsn, min_size=1, max_size=1)

    async def committed() -> dict[TopicPartition, int]:
        found: dict[TopicPartition, int] = {}
        for topic in topics:
            partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
            offsets = await _committed(consumer_group(prefix, "reporting", topic), partitions)
            found |= {tp: offsets.get(tp, 0) for tp in partitions}  # an empty partition has no commit
        return found

    try:
        for _ in range(240):
            before = await committed()
            if before == await consumer.end_offsets(list(before)):
                live = await digest(pool)
                if await committed() == before:
                    return before, live
            await asyncio.sleep(0.5)
    finally:
        await pool.close()
        await consumer.stop()
    raise AssertionError("the live reporting service did not settle")


class Terminal(io.StringIO):
    """stderr as a terminal, where the audit commands draw their progress bars."""

    def isatty(self) -> bool:
        return True


async def test_rebuild_gives_the_live_services_digest(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second reporting service, on its own database and consumer group, reads the whole topic
    as a live service does; the rebuild up to the offsets it stood at has the same digest, fed by
    one process or by two, each some of the partitions (the log grouped by agreement in both), its
    digest on two connections, each a range of every table's keys (the live one's on one).
    On a terminal, the feed and then the digest each show a bar that ends full."""
    suffix, group = f"_auditlive{SLOT}", f"ksd-audit-{uuid4().hex[:8]}"
    database = f"ksd_reporting{suffix}"
    await recreate_database(database)  # reporting's own, as its role
    await setup_kafka(platform.settings.model_copy(update={"group_prefix": group}))  # its groups' ACLs
    env = {**os.environ, "KSD_DB_SUFFIX": suffix, "KSD_GROUP_PREFIX": group,
           "KSD_REPORTING_PORT": str(18099 + 10 * SLOT)}
    with (platform.folder / "reporting-audit.log").open("wb") as out:
        live = subprocess.Popen([sys.executable, "-m", "ksd_reporting"], env=env, stdout=out, stderr=subprocess.STDOUT)
    # One process, two, and one dealing each partition in shares, all but the first spilled (runs of
    # a fifth of the largest).
    rebuilt = {(workers, spilling): f"ksd_reporting_rebuild_{uuid4().hex[:8]}"
               for workers, spilling in ((1, False), (2, False), (1, True))}
    try:
        stops, live_digest = await _settled(group, platform.settings.database_dsn(database))
        events = sum(stops.values()) - sum((await _beginnings(list(stops))).values())
        spans = await spans_of(History(), stops=stops)
        assert len(shares(spans, 2)) == 2  # two workers do take part
        for (workers, spilling), name in rebuilt.items():
            terminal = Terminal()
            monkeypatch.setattr("sys.stderr", terminal)
            hold = max(1, max(stop - start for start, stop in spans.values()) // 5)
            monkeypatch.setattr("ksd_tools.audit.rebuild.GROUPED", hold if spilling else GROUPED)
            # The digest on two connections: but in the first rebuild, every table of 2 rows or more
            # cut in two by its key.
            shared_from = SHARED_FROM_ROWS if (workers, spilling) == (1, False) else 2
            monkeypatch.setattr("ksd_reporting.digest.SHARED_FROM_ROWS", shared_from)
            result = await rebuild(History(), name, stops=stops, workers=workers)
            assert (result.events, result.digest) == (events, live_digest), f"{workers} workers, spilling: {spilling}"
            bars = [line.rsplit("\r", 1)[-1] for line in terminal.getvalue().split("\n")]
            assert bars[0].startswith(f"rebuild [{'#' * 30}] {number(events)}/{number(events)} peristiwa, ")
            conn = await asyncpg.connect(platform.settings.database_dsn(database))
            try:
                live_rows = sum([await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                                 for table, _ in await tables(conn)])
            finally:
                await conn.close()
            assert bars[1].startswith(f"digest [{'#' * 30}] {number(live_rows)}/{number(live_rows)} baris, ")
    finally:
        live.terminate()
        live.wait(20)
        for name in rebuilt.values():
            await drop_database(name + platform.settings.db_suffix)
        await drop_database(database)


async def _beginnings(partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = reader(History())
    await consumer.start()
    try:
        return dict(await consumer.beginning_offsets(partitions))
    finally:
        await consumer.stop()
