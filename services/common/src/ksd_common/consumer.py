"""Batch consumers that lose nothing and apply nothing twice.

A batch of records is applied in one PostgreSQL transaction: dead letters, inbox entries (the ids
of applied events), the handler's effects and its outbox rows. Only after that commit does the
consumer commit its Kafka offsets (AckPolicy.NACK_ON_ERROR; FASTSTREAM-NOTES.md), so a crash
anywhere redelivers the batch and the inbox makes the redelivery harmless.

A record that is not an envelope, or that its handler cannot apply, goes to `<topic>.dlq` with the
error and its origin in headers, and the partition keeps moving. An unreachable database is not the
record's fault: the batch is retried after a pause instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from faststream import AckPolicy, Context
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from opentelemetry.trace import SpanKind
from prometheus_client import Counter

from ksd_common.outbox import append_records
from ksd_common.telemetry import continuing
from ksd_contracts.envelope import Envelope, EnvelopeError
from ksd_contracts.topics import Topic

log = logging.getLogger(__name__)

Handler = Callable[[asyncpg.Connection, list[Envelope]], Awaitable[None]]
class RetryBatch(Exception):
    """A handler's word that the batch met a transient conflict (another transaction changed what it
    loaded): nothing is applied and the batch comes again, rather than its events being dead-lettered."""


INFRASTRUCTURE_ERRORS = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, TimeoutError, RetryBatch)

APPLIED = Counter("ksd_events_applied", "Events applied by a consumer", ["service", "topic"])
DEAD_LETTERS = Counter("ksd_dead_letters", "Records sent to a dead-letter topic", ["service", "topic"])
DUPLICATES = Counter("ksd_duplicates_skipped", "Redelivered events skipped by the inbox", ["service", "topic"])


class PoolSource(Protocol):
    @property
    def pool(self) -> asyncpg.Pool: ...


class Record(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@contextmanager
def consuming(service: str, event: Envelope) -> Iterator[None]:
    """The span of applying one event: a child of the span that produced it, even in a batch."""
    with continuing(f"{service} apply {event.type.rsplit('.', 2)[-2]}", event.traceparent,
                    event.correlationid, SpanKind.CONSUMER):
        yield


async def claim(conn: asyncpg.Connection, events: list[Envelope]) -> list[Envelope]:
    """The events of `events` not applied before, each once, in order; records them as applied."""
    ids = [e.id for e in events]
    fresh: set[UUID] = {
        r["event_id"] for r in await conn.fetch(
            "INSERT INTO inbox (event_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id",
            ids,
        )
    }
    todo: list[Envelope] = []
    for event in events:
        if event.id in fresh:
            fresh.discard(event.id)
            todo.append(event)
    return todo


def dead_letter(record: Record, error: str, service: str) -> tuple[str, bytes, bytes, list[list[str]]]:
    """An outbox row for `<topic>.dlq`: the original bytes, with why and where from in headers."""
    headers = [[k, v.decode(errors="replace")] for k, v in record.headers or ()]
    headers += [
        ["ksd_error", error[:2000]], ["ksd_consumer", service], ["ksd_origin_topic", record.topic],
        ["ksd_origin_partition", str(record.partition)], ["ksd_origin_offset", str(record.offset)],
    ]
    return f"{record.topic}.dlq", record.key or b"", record.value or b"", headers


class BatchConsumer:
    """Subscribes `handle` to `topic` in batches, with inbox, dead letters and after-commit acks."""

    def __init__(self, service: str, holder: PoolSource, topic: Topic, handle: Handler, *, group: str) -> None:
        self.service = service
        self.holder = holder
        self.topic = topic
        self.handle = handle
        self.group = group

    def register(self, broker: KafkaBroker, *, max_records: int, batch_timeout_ms: int, description: str) -> None:
        @broker.subscriber(
            self.topic.name, group_id=self.group, batch=True, max_records=max_records,
            batch_timeout_ms=batch_timeout_ms, auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw_decoder,
            title=f"{self.topic.name}:{self.service}", description=description,
        )
        async def on_batch(body: Any, message: KafkaMessage = Context("message")) -> None:  # noqa: B008
            records = message.raw_message
            await self.process(records if isinstance(records, tuple) else (records,))

    async def process(self, records: Sequence[Record]) -> None:
        events: list[Envelope] = []
        dead: list[tuple[str, bytes, bytes, list[list[str]]]] = []
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
            await self._apply(events, dead)
        except INFRASTRUCTURE_ERRORS as error:
            log.warning("%s: database unavailable or changed meanwhile (%s); the batch will be redelivered",
                        self.service, error)
            await asyncio.sleep(1)
            raise
        except Exception:
            log.exception("%s: a batch of %d failed; applying its events one by one", self.service, len(events))
            await self._apply_one_by_one(events, dead, origin)

    async def _apply(self, events: list[Envelope], dead: list[tuple[str, bytes, bytes, list[list[str]]]]) -> None:
        async with self.holder.pool.acquire() as conn, conn.transaction():
            await append_records(conn, dead)
            todo = await claim(conn, events)
            if todo:
                await self.handle(conn, todo)
        DEAD_LETTERS.labels(self.service, self.topic.name).inc(len(dead))
        DUPLICATES.labels(self.service, self.topic.name).inc(len(events) - len(todo))
        APPLIED.labels(self.service, self.topic.name).inc(len(todo))

    async def _apply_one_by_one(
        self, events: list[Envelope], dead: list[tuple[str, bytes, bytes, list[list[str]]]],
        origin: dict[UUID, Record],
    ) -> None:
        await self._apply([], dead)
        for event in events:
            try:
                await self._apply([event], [])
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as error:
                log.exception("%s: event %s goes to %s", self.service, event.id, self.topic.dlq)
                async with self.holder.pool.acquire() as conn, conn.transaction():
                    await claim(conn, [event])
                    await append_records(conn, [dead_letter(origin[event.id], repr(error), self.service)])
                DEAD_LETTERS.labels(self.service, self.topic.name).inc()


async def _raw_decoder(message: Any) -> None:
    """Leave decoding to BatchConsumer.process, which sends undecodable records to the DLQ
    instead of letting the framework fail the whole batch forever."""
    return None
