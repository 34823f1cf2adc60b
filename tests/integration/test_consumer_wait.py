"""A service's consumer with nothing to read waits for a record and hands it on the moment it comes
(`ksd_common.consumer.next_batch`), on the real broker and database: faststream's own batch fetch
slept as long as it had waited after each empty ask, so a record fetched during that sleep waited
it out (and an idle service woke fifty times a second for each topic, at its 20 ms)."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from conftest import SUFFIX

from ksd_common.broker import make_broker
from ksd_common.consumer import BatchConsumer, OpenPool
from ksd_common.db import create_pool, drop_database, migrate, recreate_database
from ksd_common.settings import settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.topics import NAMESPACE, Topic

SCRATCH = f"ksd_wait{SUFFIX}"
WAIT_MS = 4_000
"""The consumer's idle wait here: long, so that a record handed on within half of it was not held
back by it (faststream's fetch held it for up to a whole wait after an empty one)."""


async def test_an_idle_consumer_hands_a_record_on_as_it_comes() -> None:
    topic = Topic(f"{NAMESPACE}ksd.test.idle-{uuid4().hex[:8]}", 1, "a consumer's idle wait")
    admin = AIOKafkaAdminClient(**settings().kafka_options())
    await admin.start()
    await admin.create_topics([NewTopic(topic.name, 1, 1), NewTopic(topic.dlq, 1, 1)])
    await recreate_database(SCRATCH)
    pool = await create_pool(SCRATCH, max_size=2)
    await migrate(pool, ["ksd_common"])
    handed: asyncio.Queue[tuple[float, list[str]]] = asyncio.Queue()

    async def handle(conn: asyncpg.Connection, events: list[Envelope]) -> None:
        handed.put_nowait((time.monotonic(), [e.subject for e in events]))

    broker = make_broker(settings().kafka_user)
    BatchConsumer("test", OpenPool(pool), topic, handle, group=f"{NAMESPACE}wait-{uuid4().hex[:8]}").register(
        broker, max_records=500, idle_wait_ms=WAIT_MS, session_timeout_ms=settings().kafka_session_timeout_ms)
    producer = AIOKafkaProducer(**settings().kafka_options(), acks="all")
    await producer.start()
    try:
        await broker.start()
        for subject in ("first", "second", "third"):
            # Idle for longer than a wait, so faststream's fetch would now be in its sleep.
            await asyncio.sleep(WAIT_MS * 1.25 / 1000)
            record = Envelope(source="/services/test", type="id.go.kemendagri.ksd.test.idle.v1", subject=subject,
                              correlationid=str(uuid4()), data={}).chained(1, GENESIS_HASH).to_kafka()
            sent = time.monotonic()
            await producer.send_and_wait(topic.name, record.value, key=record.key, headers=record.headers)
            at, subjects = await asyncio.wait_for(handed.get(), timeout=3 * WAIT_MS / 1000)
            assert subjects == [subject]
            assert at - sent < WAIT_MS / 2 / 1000, f"{subject}: handed on {at - sent:.2f} s after it was sent"
    finally:
        await broker.stop()
        await producer.stop()
        await pool.close()
        await drop_database(SCRATCH)
        await admin.delete_topics([topic.name, topic.dlq])
        await admin.close()
