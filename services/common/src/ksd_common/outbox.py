"""The transactional outbox: events are written with the state change, and a relay publishes them.

A crash between the commit and the publish loses nothing: the rows stay until Kafka has
acknowledged them (idempotent producer, acks=all). A crash after the publish but before the
delete publishes them again; consumers are idempotent, so that is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaProducer
from uuid6 import uuid7

from ksd_common.telemetry import correlation_id, current_traceparent
from ksd_contracts.envelope import GENESIS_HASH, Envelope
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


async def append(conn: asyncpg.Connection, topic: Topic, events: Sequence[Envelope]) -> list[Envelope]:
    """Chain `events` onto their subjects' streams and write them to the outbox, in the caller's
    transaction. Returns them as published: with sequence, prevhash and hash.

    The chain heads of the subjects are locked (in a fixed order, so concurrent writers cannot
    deadlock) until the transaction ends: each stream gets gapless sequences and one chain.
    """
    if not events:
        return []
    subjects = sorted({e.subject for e in events})
    await conn.execute(
        "INSERT INTO chain_heads (topic, subject, sequence, hash)"
        " SELECT $1, s, 0, $3 FROM unnest($2::text[]) AS s ORDER BY s ON CONFLICT DO NOTHING",
        topic.name, subjects, GENESIS_HASH,
    )
    rows = await conn.fetch(
        "SELECT subject, sequence, hash FROM chain_heads WHERE topic = $1 AND subject = ANY($2)"
        " ORDER BY subject FOR UPDATE",
        topic.name, subjects,
    )
    heads = {r["subject"]: (r["sequence"], r["hash"]) for r in rows}
    chained: list[Envelope] = []
    for event in events:
        sequence, prevhash = heads[event.subject]
        link = event.chained(sequence + 1, prevhash)
        heads[event.subject] = (sequence + 1, link.hash or "")
        chained.append(link)
    await conn.execute(
        "UPDATE chain_heads h SET sequence = n.sequence, hash = n.hash"
        " FROM unnest($2::text[], $3::bigint[], $4::text[]) AS n(subject, sequence, hash)"
        " WHERE h.topic = $1 AND h.subject = n.subject",
        topic.name, list(heads), [h[0] for h in heads.values()], [h[1] for h in heads.values()],
    )
    await append_records(conn, [(topic.name, *_record(e)) for e in chained])
    return chained


def _record(event: Envelope) -> tuple[bytes, bytes, list[list[str]]]:
    record = event.to_kafka()
    return record.key, record.value, [[k, v.decode()] for k, v in record.headers]


async def append_records(
    conn: asyncpg.Connection, records: Sequence[tuple[str, bytes, bytes, list[list[str]]]]
) -> None:
    """Raw rows (topic, key, value, headers): for dead letters, which keep the original bytes."""
    if records:
        await conn.copy_records_to_table(
            "outbox", records=list(records), columns=["topic", "key", "value", "headers"]
        )


class OutboxRelay:
    """Publishes outbox rows in id order, in batches, and deletes what Kafka acknowledged."""

    def __init__(self, pool: asyncpg.Pool, bootstrap: str, *, batch: int = 1000) -> None:
        self.pool = pool
        self.batch = batch
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2,
            max_batch_size=256 * 1024, request_timeout_ms=30000,
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.producer.start()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

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
            sent = [
                await self.producer.send(
                    r["topic"], r["value"], key=r["key"],
                    headers=[(k, v.encode()) for k, v in r["headers"]],
                )
                for r in rows
            ]
            await asyncio.gather(*sent)
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
            return len(rows)

    async def _run(self) -> None:
        async with self.pool.acquire() as listener:
            await listener.add_listener("outbox", lambda *_: self._wake.set())
            # One relay per database at a time: a second replica waits here as a hot standby.
            await listener.execute("SELECT pg_advisory_lock($1)", RELAY_LOCK)
            try:
                while True:
                    self._wake.clear()  # before the read, so a NOTIFY during it is not lost
                    try:
                        if await self.publish_once():
                            continue
                    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                        log.warning("outbox relay: %s; retrying", error)
                    except Exception:  # a Kafka error: the rows stay, we try again
                        log.exception("outbox relay failed; retrying")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=0.5)
            finally:
                await listener.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK)
