"""Batch consumers that lose nothing and apply nothing twice.

A batch of records is applied in one PostgreSQL transaction: dead letters, inbox entries (the ids
of applied events), the handler's effects and its outbox rows. Only after that commit does the
consumer commit its Kafka offsets (AckPolicy.NACK_ON_ERROR; FASTSTREAM-NOTES.md), so a crash
anywhere redelivers the batch and the inbox makes the redelivery harmless.

A record that is not an envelope goes to `<topic>.dlq` with the error and its origin in headers,
and the partition keeps moving. An event its handler cannot apply is parked (ksd_common.parking),
not claimed, with a copy on `<topic>.dlq`, so that it can be applied once the cause is fixed; the
later events of its stream park behind it. An unreachable database is not the record's fault: the
batch is retried after a pause instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from faststream import AckPolicy, Context
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from ksd_common import parking
from ksd_common.db import unavailable
from ksd_common.outbox import append_records
from ksd_common.telemetry import continuing
from ksd_contracts.envelope import Envelope, EnvelopeError
from ksd_contracts.topics import Topic

log = logging.getLogger(__name__)

Handler = Callable[[asyncpg.Connection, list[Envelope]], Awaitable[None]]
DeadLetter = tuple[str, bytes, bytes, list[list[str]]]

APPLIED = Counter("ksd_events_applied", "Events applied by a consumer", ["service", "topic"])
DEAD_LETTERS = Counter("ksd_dead_letters", "Records sent to a dead-letter topic", ["service", "topic"])
DUPLICATES = Counter("ksd_duplicates_skipped", "Redelivered events skipped by the inbox", ["service", "topic"])
PARTITIONS = Gauge("ksd_consumer_partitions", "Partitions this process's consumer group member owns now",
                   ["service", "topic"])


class OwnedPartitions(ConsumerRebalanceListener):  # type: ignore[misc]
    """Keeps `ksd_consumer_partitions` at what this process was assigned: with replicas of a service
    in one consumer group, each replica's /metrics shows its share of the topic's partitions."""

    def __init__(self, service: str, topic: str) -> None:
        self.gauge = PARTITIONS.labels(service, topic)
        self.gauge.set(0)

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.gauge.set(0)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.gauge.set(len(assigned))


class PoolSource(Protocol):
    @property
    def pool(self) -> asyncpg.Pool: ...


@dataclass(frozen=True)
class OpenPool:
    """A `PoolSource` whose pool is open already (a rebuild's, a test's); a service's is made at
    start, after its consumers are registered (`ksd_common.service.PoolHolder`)."""

    pool: asyncpg.Pool


class Record(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


def consuming(service: str, event: Envelope) -> continuing:
    """The span of applying one event: a child of the span that produced it, even in a batch."""
    return continuing(f"{service} apply {event.type.rsplit('.', 2)[-2]}", event.traceparent,
                      event.correlationid, SpanKind.CONSUMER)


async def claim(conn: asyncpg.Connection, events: list[Envelope]) -> list[Envelope]:
    """The events of `events` not applied before, each once, in order; records them as applied."""
    ids = [e.id for e in events]
    fresh: set[UUID] = {
        r["event_id"] for r in await conn.fetch(
            # In key order: the index is filled page by page rather than all over (a tenth less of
            # the insert's CPU with a batch of a rebuild, whose events come grouped by agreement).
            "INSERT INTO inbox (event_id) SELECT e FROM unnest($1::uuid[]) AS e ORDER BY e"
            " ON CONFLICT DO NOTHING RETURNING event_id",
            ids,
        )
    }
    todo: list[Envelope] = []
    for event in events:
        if event.id in fresh:
            fresh.discard(event.id)
            todo.append(event)
    return todo


async def next_batch(consumer: AIOKafkaConsumer, *, max_records: int, wait_ms: int) -> tuple[Record, ...]:
    """The records fetched for `consumer`, as soon as there are any, waiting at most `wait_ms`.

    It replaces faststream's batch `get_msg`, which asks with a short timeout and, finding nothing,
    sleeps as long again before asking anew: at its 20 ms an idle service woke fifty times a second
    for each topic it consumes (about 2% of a core a service at rest; half of that gone with this),
    and a record fetched during the sleep waited it out. aiokafka's `getmany` returns the moment a
    fetch brings records, so one long wait serves both: a service with nothing to do asks once per
    wait, a record is handed on as it comes. Under load nothing changes: records are waiting and the
    call returns at once with up to `max_records`. Stopping the subscriber cancels the wait."""
    fetched = await consumer.getmany(timeout_ms=wait_ms, max_records=max_records)
    return tuple(chain.from_iterable(fetched.values()))


def dead_letter(record: Record, error: str, service: str) -> DeadLetter:
    """An outbox row for `<topic>.dlq`: the original bytes, with why and where from in headers."""
    headers = _headers(record)
    headers += [
        ["ksd_error", error[:2000]], ["ksd_consumer", service], ["ksd_origin_topic", record.topic],
        ["ksd_origin_partition", str(record.partition)], ["ksd_origin_offset", str(record.offset)],
    ]
    return f"{record.topic}.dlq", record.key or b"", record.value or b"", headers


def _headers(record: Record) -> list[list[str]]:
    return [[k, v.decode(errors="replace")] for k, v in record.headers or ()]


class BatchConsumer:
    """Subscribes `handle` to `topic` in batches, with inbox, parking, dead letters and after-commit
    acks; `on_park` is told of each event it parks (say, to announce a held submission)."""

    def __init__(self, service: str, holder: PoolSource, topic: Topic, handle: Handler, *, group: str,
                 on_park: parking.ParkHook | None = None) -> None:
        self.service = service
        self.holder = holder
        self.topic = topic
        self.handle = parking.with_faults(handle)
        self.group = group
        self.on_park = on_park

    def register(self, broker: KafkaBroker, *, max_records: int, idle_wait_ms: int,
                 session_timeout_ms: int) -> None:
        subscriber = broker.subscriber(
            self.topic.name, group_id=self.group, batch=True, max_records=max_records,
            batch_timeout_ms=idle_wait_ms, auto_offset_reset="earliest",
            # The broker holds an empty fetch as long (it answers the moment a record comes): at
            # aiokafka's 500 ms an idle platform's dozen consumers kept Kafka at 3% of a core.
            fetch_max_wait_ms=idle_wait_ms,
            # Heartbeats well inside the session (Kafka asks for at most a third of it).
            session_timeout_ms=session_timeout_ms, heartbeat_interval_ms=session_timeout_ms // 4,
            ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw_decoder,
            listener=OwnedPartitions(self.service, self.topic.name),
        )
        # faststream's own loop, stop and acks, with its fetch replaced (`next_batch` says why).
        subscriber.get_msg = partial(next_batch, max_records=max_records, wait_ms=idle_wait_ms)  # type: ignore[method-assign]

        @subscriber
        async def on_batch(body: Any, message: KafkaMessage = Context("message")) -> None:  # noqa: B008
            records = message.raw_message
            await self.process(records if isinstance(records, tuple) else (records,))

    async def process(self, records: Sequence[Record]) -> None:
        events: list[Envelope] = []
        dead: list[DeadLetter] = []
        origin: dict[UUID, Record] = {}
        for record in records:
            try:
                event = Envelope.from_kafka(list(record.headers or ()), record.value)
            except EnvelopeError as error:
                dead.append(dead_letter(record, str(error), self.service))
                continue
            events.append(event)
            origin.setdefault(event.id, record)
        try:
            await self._apply(events, dead, origin)
        except Exception as error:
            if unavailable(error):  # not the events' fault: redelivered, never parked
                log.warning("%s: database unavailable (%s); the batch will be redelivered", self.service, error)
                await asyncio.sleep(1)
                raise
            log.exception("%s: a batch of %d failed; applying its events one by one", self.service, len(events))
            await self._apply_one_by_one(events, dead, origin)

    async def _apply(self, events: list[Envelope], dead: list[DeadLetter], origin: dict[UUID, Record]) -> None:
        """Apply the events not applied before, in one transaction; those of a stream with a parked
        event park behind it instead."""
        async with self.holder.pool.acquire() as conn, conn.transaction():
            await append_records(conn, dead)
            await parking.lock_partitions(conn, self.topic.name, {origin[e.id].partition for e in events})
            held = await parking.held_streams(conn, self.topic.name, {e.subject for e in events}) if events else {}
            todo = await claim(conn, [e for e in events if e.subject not in held])
            if todo:
                await self.handle(conn, todo)
            parked = 0
            for event in (e for e in events if e.subject in held):
                reason = f"ditahan di belakang peristiwa {held[event.subject]} yang lebih dulu ditahan pada aliran ini"
                parked += await self._park(conn, event, origin[event.id], reason, held[event.subject])
        DEAD_LETTERS.labels(self.service, self.topic.name).inc(len(dead))
        DUPLICATES.labels(self.service, self.topic.name).inc(len(events) - len(todo) - parked)
        APPLIED.labels(self.service, self.topic.name).inc(len(todo))
        if parked:
            await self.count_parked()

    async def _apply_one_by_one(self, events: list[Envelope], dead: list[DeadLetter],
                                origin: dict[UUID, Record]) -> None:
        await self._apply([], dead, origin)
        parked = False
        try:
            for event in events:
                try:
                    await self._apply([event], [], origin)
                except Exception as error:
                    if unavailable(error):
                        raise
                    log.exception("%s: event %s is parked (and copied to %s)", self.service, event.id, self.topic.dlq)
                    async with self.holder.pool.acquire() as conn, conn.transaction():
                        await parking.lock_partitions(conn, self.topic.name, [origin[event.id].partition])
                        parked = await self._park(conn, event, origin[event.id], repr(error), None) or parked
        finally:
            if parked:  # once for the batch: during a bad release every event fails
                await self.count_parked()

    async def _park(self, conn: asyncpg.Connection, event: Envelope, record: Record, error: str,
                    behind: UUID | None) -> bool:
        """Park `event` unclaimed, with its dead-letter copy and the `on_park` hook; False when it
        was parked already (a redelivery)."""
        if not await parking.park(conn, self.topic.name, event, record.partition, record.offset,
                                  record.value or b"", _headers(record), error, behind):
            return False
        await append_records(conn, [dead_letter(record, error, self.service)])
        DEAD_LETTERS.labels(self.service, self.topic.name).inc()
        if self.on_park is not None:
            await self.on_park(conn, event, error)
        return True

    async def count_parked(self) -> int:
        return await parking.count_parked(self.holder.pool, self.service, self.topic.name)

    async def redrive(self) -> int:
        """Apply again the streams `ksd admin dlq redrive` marked; returns how many events applied."""
        streams = await self.holder.pool.fetch(
            "SELECT DISTINCT subject, origin_partition FROM parked"
            " WHERE topic = $1 AND resolved_at IS NULL AND redrive_requested_at IS NOT NULL", self.topic.name)
        done = 0
        for stream in streams:
            done += await self._redrive_stream(stream["subject"], stream["origin_partition"])
        if streams:
            await self.count_parked()
        return done

    async def _redrive_stream(self, subject: str, partition: int) -> int:
        """The stream's parked events in the order they arrived, each in its own transaction and
        claimed only as it applies (already applied: resolved as a duplicate, no effect). The
        first that fails again stops the stream: it and the rest stay parked, unmarked."""
        done = 0
        while True:
            async with self.holder.pool.acquire() as conn, conn.transaction():
                await parking.lock_partitions(conn, self.topic.name, [partition])
                row = await conn.fetchrow(
                    "SELECT id, value, headers FROM parked WHERE topic = $1 AND subject = $2"
                    " AND resolved_at IS NULL ORDER BY id LIMIT 1", self.topic.name, subject)
                if row is None:
                    return done
                event = Envelope.from_kafka([(k, v.encode()) for k, v in row["headers"]], row["value"])
                try:
                    async with conn.transaction():  # a savepoint: a failure undoes the handler's effects only
                        todo = await claim(conn, [event])
                        if todo:
                            await self.handle(conn, todo)
                except Exception as error:
                    if unavailable(error):
                        raise
                    log.exception("%s: redrive of %s failed; its stream stays parked", self.service, event.id)
                    await conn.execute(
                        "UPDATE parked SET redrive_requested_at = NULL,"
                        " error = CASE WHEN id = $3 THEN $4 ELSE error END,"
                        " attempts = attempts + CASE WHEN id = $3 THEN 1 ELSE 0 END"
                        " WHERE topic = $1 AND subject = $2 AND resolved_at IS NULL",
                        self.topic.name, subject, row["id"], repr(error)[:2000])
                    return done
                await conn.execute(
                    "UPDATE parked SET resolved_at = now(), resolution = $2, redrive_requested_at = NULL"
                    " WHERE id = $1", row["id"], "applied" if todo else "duplicate")
                (APPLIED if todo else DUPLICATES).labels(self.service, self.topic.name).inc()
            done += 1


async def _raw_decoder(message: Any) -> None:
    """Leave decoding to BatchConsumer.process, which sends undecodable records to the DLQ
    instead of letting the framework fail the whole batch forever."""
    return None
