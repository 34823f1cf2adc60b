"""The transactional outbox: events are written with the state change, and a relay publishes them.

A crash between the commit and the publish loses nothing: the rows stay until Kafka has
acknowledged them (idempotent producer, acks=all). A crash after the publish but before the
delete publishes them again; consumers are idempotent, so that is harmless.

An idempotent producer whose sequence state the broker no longer accepts (OutOfOrderSequenceNumber,
an unknown producer id after the broker lost its state, ...) never recovers: its sender stops and
every retry of the batch fails the same way. The relay then starts a new producer (a new producer
id); a batch that is not acknowledged in time counts as such a failure too. `RelayHealth` tells
readiness whether the relay is draining.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    OutOfOrderSequenceNumber,
    ProducerClosed,
    ProducerFenced,
    UnknownProducerId,
)
from uuid6 import uuid7

from ksd_common.db import DATABASE_ERRORS, keep_session
from ksd_common.telemetry import correlation_id, current_traceparent
from ksd_contracts.envelope import GENESIS_HASH, Envelope, KafkaRecord, Link
from ksd_contracts.topics import Topic

log = logging.getLogger(__name__)

RELAY_LOCK = 4243  # advisory lock: one relay per service database keeps each key's order


def new_event(
    *, source: str, type: str, subject: str, data: dict[str, Any], cause: Envelope | None = None,
    id: UUID | None = None, traceparent: str | None = None,
) -> Envelope:
    """An event caused by `cause` (or by the request in hand), carrying its correlation and trace:
    the current span's, or `traceparent` taken inside the span of an event decided earlier."""
    correlation = correlation_id.get() or (cause.correlationid if cause else None)
    return Envelope(
        id=id or uuid7(), source=source, type=type, subject=subject, data=data,
        correlationid=correlation or uuid7().hex,  # nothing to continue: a new correlation starts here
        causationid=str(cause.id) if cause else None,
        traceparent=traceparent or current_traceparent(),
    )


async def append(conn: asyncpg.Connection, topic: Topic, events: Sequence[Envelope]) -> list[Link]:
    """Chain `events` onto their subjects' streams and write them to the outbox, in the caller's
    transaction. Returns them as published (`Link.event`: with sequence, prevhash and hash), with
    their JSON for a caller that also keeps them (an event store).

    The chain heads of the subjects are locked (in a fixed order, so concurrent writers cannot
    deadlock) until the transaction ends: each stream gets gapless sequences and one chain.
    """
    if not events:
        return []
    subjects = sorted({e.subject for e in events})
    heads = await _lock_heads(conn, topic, subjects)
    chained: list[Link] = []
    for event in events:
        sequence, prevhash = heads[event.subject]
        link = event.link(sequence + 1, prevhash)
        heads[event.subject] = (sequence + 1, link.event.hash or "")
        chained.append(link)
    records = [_record(link.record) for link in chained]
    # The new heads and the outbox rows in one statement; the rows keep the events' order (ids by
    # ordinality), which is the order the relay publishes them in.
    await conn.execute(
        "WITH heads AS (UPDATE chain_heads h SET sequence = n.sequence, hash = n.hash"
        " FROM unnest($2::text[], $3::bigint[], $4::text[]) AS n(subject, sequence, hash)"
        " WHERE h.topic = $1 AND h.subject = n.subject)"
        " INSERT INTO outbox (topic, key, value, headers)"
        " SELECT $1, r.key, r.value, r.headers::jsonb FROM unnest($5::bytea[], $6::bytea[], $7::text[])"
        " WITH ORDINALITY AS r(key, value, headers, n) ORDER BY r.n",
        topic.name, list(heads), [h[0] for h in heads.values()], [h[1] for h in heads.values()],
        [r[0] for r in records], [r[1] for r in records], [json.dumps(r[2]) for r in records],
    )
    return chained


async def _lock_heads(conn: asyncpg.Connection, topic: Topic, subjects: list[str]) -> dict[str, tuple[int, str]]:
    """The chain heads of `subjects`, locked until the transaction ends (in subject order, so
    concurrent writers cannot deadlock), a new subject's made at sequence 0. One statement; a head
    that another transaction made after this statement's snapshot (its insert waited for that one
    and skipped) is read, locked, by a second."""
    rows = await conn.fetch(
        "WITH made AS (INSERT INTO chain_heads (topic, subject, sequence, hash)"
        " SELECT $1, s, 0, $3 FROM unnest($2::text[]) AS s ORDER BY s ON CONFLICT DO NOTHING"
        " RETURNING subject, sequence, hash),"
        " locked AS (SELECT subject, sequence, hash FROM chain_heads WHERE topic = $1 AND subject = ANY($2)"
        " ORDER BY subject FOR UPDATE)"
        " SELECT * FROM made UNION ALL SELECT * FROM locked",
        topic.name, subjects, GENESIS_HASH,
    )
    heads = {r["subject"]: (r["sequence"], r["hash"]) for r in rows}
    if missing := [s for s in subjects if s not in heads]:
        rows = await conn.fetch(
            "SELECT subject, sequence, hash FROM chain_heads WHERE topic = $1 AND subject = ANY($2)"
            " ORDER BY subject FOR UPDATE", topic.name, missing)
        heads |= {r["subject"]: (r["sequence"], r["hash"]) for r in rows}
    return heads


def _record(record: KafkaRecord) -> tuple[bytes, bytes, list[list[str]]]:
    return record.key, record.value, [[k, v.decode()] for k, v in record.headers]


async def append_records(
    conn: asyncpg.Connection, records: Sequence[tuple[str, bytes, bytes, list[list[str]]]]
) -> None:
    """Raw rows (topic, key, value, headers): for dead letters, which keep the original bytes."""
    if records:
        await conn.copy_records_to_table(
            "outbox", records=list(records), columns=["topic", "key", "value", "headers"]
        )


class PublishStalled(Exception):
    """A batch not acknowledged within the relay's deadline: its producer may have stopped sending."""


PRODUCER_BROKEN: tuple[type[BaseException], ...] = (
    OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, InvalidProducerIdMapping,
    ProducerFenced, ProducerClosed, PublishStalled,
)


def needs_new_producer(error: BaseException) -> bool:
    """Whether resending with the same producer is hopeless: its idempotence state (producer id,
    epoch, sequences) is refused or its sender has stopped. Timeouts and lost connections are not:
    the same producer reconnects and retries them itself."""
    return isinstance(error, PRODUCER_BROKEN)


IDLE_POLL = 5.0
"""Seconds a healthy relay with nothing to publish waits before reading the outbox again. Every
insert into the outbox wakes it at once (the NOTIFY of migration 0001's trigger, heard on the
relay's own session, its flag cleared before each read so none is missed): the poll is only a net.
At 0.5 s the four services' relays read their outboxes eight times a second on an idle platform."""


@dataclass
class RelayHealth:
    """Whether the relay is draining the outbox: failing for longer than `grace` seconds is not.
    A relay waiting as a hot standby (another replica holds the lock) has not failed."""

    grace: float = 30.0
    failing_since: float | None = None
    failures: int = 0
    last_error: str | None = None

    def succeeded(self) -> None:
        self.failing_since, self.failures, self.last_error = None, 0, None

    def failed(self, error: BaseException, now: float) -> None:
        self.failing_since = self.failing_since if self.failing_since is not None else now
        self.failures += 1
        self.last_error = repr(error)[:300]

    def draining(self, now: float) -> bool:
        return self.failing_since is None or now - self.failing_since < self.grace

    def backoff(self) -> float:
        """Seconds before the next try: 0.5 after one failure, doubling, at most 10, so an
        unreachable broker is not sent a whole batch twice a second. Without a failure, the idle
        poll (`IDLE_POLL`)."""
        if not self.failures:
            return IDLE_POLL
        return min(0.5 * 2.0 ** (self.failures - 1), 10.0)

    def check(self, now: float) -> str:
        """For readiness: `ok`, or why not."""
        if self.draining(now):
            return "ok"
        return f"failed: not draining for {now - (self.failing_since or now):.0f} s ({self.last_error})"


class OutboxRelay:
    """Publishes outbox rows in id order, in batches, and deletes what Kafka acknowledged."""

    def __init__(self, pool: asyncpg.Pool, kafka: dict[str, Any], *, batch: int = 1000,
                 publish_timeout: float = 90) -> None:
        """`kafka`: the client options of the service's principal (`Settings.kafka_options`)."""
        self.pool = pool
        self.batch = batch
        self.kafka = kafka
        self.publish_timeout = publish_timeout  # beyond the producer's own 30 s request timeout
        self.producer = self._new_producer()
        self.health = RelayHealth()
        self._fresh = False  # a producer made after a failure, not yet started
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **self.kafka, enable_idempotence=True, acks="all", linger_ms=2,
            max_batch_size=256 * 1024, request_timeout_ms=30000,
        )

    async def start(self) -> None:
        await self.producer.start()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def _renew_producer(self) -> None:
        """Drop a producer that cannot recover; the next try starts a new one (a new producer id)."""
        old, self.producer, self._fresh = self.producer, self._new_producer(), True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(old.stop(), 10)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.producer.stop()

    async def publish_once(self) -> int:
        """Publish one batch; returns how many rows it published."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1", self.batch
            )
            if not rows:
                return 0
            if self._fresh:
                await self.producer.start()
                self._fresh = False
            sent = [
                await self.producer.send(
                    r["topic"], r["value"], key=r["key"],
                    headers=[(k, v.encode()) for k, v in r["headers"]],
                )
                for r in rows
            ]
            try:
                await asyncio.wait_for(asyncio.gather(*sent), self.publish_timeout)
            except TimeoutError:
                raise PublishStalled(f"{len(rows)} records not acknowledged in {self.publish_timeout} s") from None
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
            return len(rows)

    async def _run(self) -> None:
        """Publish while holding the relay's lock, in a session of its own (`db.keep_session`): when
        that session is lost the lock went with it, so the relay stops and takes the lock again (a
        replica's relay waiting as a hot standby may take it first): two relays never publish at once."""
        await keep_session(self.pool, self._hold_and_publish, "outbox relay",
                           failed=lambda error: self.health.failed(error, time.monotonic()), pause=self.health.backoff)

    async def _hold_and_publish(self, listener: asyncpg.Connection) -> None:
        await listener.add_listener("outbox", lambda *_: self._wake.set())
        # One relay per database at a time: a second replica waits here as a hot standby.
        await listener.execute("SELECT pg_advisory_lock($1)", RELAY_LOCK)
        while not listener.is_closed():
            self._wake.clear()  # before the read, so a NOTIFY during it is not lost
            try:
                published = await self.publish_once()
                self.health.succeeded()
                if published:
                    continue
            except DATABASE_ERRORS as error:
                log.warning("outbox relay: %s; retrying", error)
                self.health.failed(error, time.monotonic())
            except Exception as error:  # a Kafka error: the rows stay, we try again
                self.health.failed(error, time.monotonic())
                if needs_new_producer(error):
                    log.exception("outbox relay: the producer cannot recover; starting a new one")
                    await self._renew_producer()
                else:
                    log.exception("outbox relay failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.health.backoff())
