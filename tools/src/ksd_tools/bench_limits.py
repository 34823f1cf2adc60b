"""The limits of this machine, measured in the same run as everything else: raw Kafka produce and
consume with aiokafka (same settings as the services' producers: idempotent, acks=all), and raw
PostgreSQL COPY beside one transaction per row. Every later figure is read against these."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ksd_common.settings import settings
from ksd_common.topics import create
from ksd_tools.audit.rebuild import create_database
from ksd_tools.benchkit import Context, figure

ORDER = 10
RECORD_BYTES = 1024
RECORDS = 100_000
"""A rate, not a capacity: 100,000 records (or fewer in a smaller run) give it."""
PER_ROW_CAP = 3000
"""One transaction per row commits (and flushes WAL) per row: a few thousand rows give the rate."""
BENCH_DATABASE = "ksd_bench"
KAFKA_PRODUCE = "kafka raw produce"
KAFKA_CONSUME = "kafka raw consume"
PG_COPY = "postgres COPY"
PG_PER_ROW = "postgres one transaction per row"


async def raw_kafka(messages: int, size: int = RECORD_BYTES) -> tuple[float, float]:
    """Records/s produced (not waiting per record) and consumed, on a fresh 6-partition topic."""
    kafka = settings().kafka_options()
    topic = f"ksd.bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        await create(admin, [NewTopic(topic, 6, 1)])
        producer = AIOKafkaProducer(**kafka, enable_idempotence=True, acks="all", linger_ms=2)
        await producer.start()
        payload = os.urandom(size)
        started = time.perf_counter()
        try:
            futures = [await producer.send(topic, payload, key=str(i % 600).encode()) for i in range(messages)]
            await asyncio.gather(*futures)
            produce = messages / (time.perf_counter() - started)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(6)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            read, started = 0, time.perf_counter()
            while read < messages:
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                read += sum(len(b) for b in batches.values())
            consume = messages / (time.perf_counter() - started)
        finally:
            await consumer.stop()
        return produce, consume
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def _bench_database() -> asyncpg.Connection:
    """A database of the bench's own (ksd_bench), beside the services' four, created when missing."""
    try:
        return await asyncpg.connect(settings().database_dsn(BENCH_DATABASE))
    except asyncpg.InvalidCatalogNameError:
        await create_database(f"{BENCH_DATABASE}{settings().db_suffix}")
        return await asyncpg.connect(settings().database_dsn(BENCH_DATABASE))


async def raw_postgres(rows: int, size: int = RECORD_BYTES) -> tuple[float, float]:
    """Rows/s by COPY in one transaction, and by one INSERT transaction per row (the naive
    consumer), into a table like an event store's: id, key, JSON payload."""
    table = f"ksd_bench_raw_{uuid.uuid4().hex[:8]}"
    connection = await _bench_database()
    payload = '{"pad": "' + "x" * (size - 12) + '"}'
    try:
        await connection.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, key text, payload jsonb)")
        records = [(i, str(i % 600), payload) for i in range(rows)]
        started = time.perf_counter()
        await connection.copy_records_to_table(table, records=records)
        copy = rows / (time.perf_counter() - started)
        single = min(rows, PER_ROW_CAP)
        started = time.perf_counter()
        for i in range(rows, rows + single):  # autocommit: each statement its own transaction
            await connection.execute(f"INSERT INTO {table} VALUES ($1, $2, $3)", i, str(i % 600), payload)
        per_row = single / (time.perf_counter() - started)
        return copy, per_row
    finally:
        await connection.execute(f"DROP TABLE IF EXISTS {table}")
        await connection.close()


async def figures(context: Context) -> dict[str, Any]:
    records = min(context.events, RECORDS)
    produce, consume = await raw_kafka(records)
    copy, per_row = await raw_postgres(records)
    return {
        KAFKA_PRODUCE: figure(produce, "records/s", produce, "the limit"),
        KAFKA_CONSUME: figure(consume, "records/s", consume, "the limit"),
        PG_COPY: figure(copy, "rows/s", copy, "the limit"),
        PG_PER_ROW: figure(per_row, "rows/s", copy, PG_COPY),
    }
