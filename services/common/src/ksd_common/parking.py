"""Parked events: what a handler could not apply waits, unclaimed, until the cause is fixed.

A handler's failure is usually the code's, not the event's (a bad release fails every event of a
kind). Claiming such an event in the inbox would make it a duplicate for ever, so it is parked
instead: a row in the consuming service's own `parked` table (and, for people watching the
topics, a copy on `<topic>.dlq`). Later events of the same stream (subject) park behind it, so a
stream is never applied out of order. `ksd admin dlq redrive` marks streams; the service applies
them again with its own, fixed, handler, claiming each event in the inbox only when it applies.

A stream is serialized with the live consumer by an advisory lock on its Kafka partition, held by
every transaction that applies or parks events of that partition, whichever replica runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol
from uuid import UUID

import asyncpg
from prometheus_client import Gauge

from ksd_common import outbox
from ksd_common.db import keep_session
from ksd_common.settings import settings
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import SUBMISSION_HELD, SubmissionHeld, Submitted
from ksd_contracts.topics import Topic

log = logging.getLogger(__name__)

REDRIVE_CHANNEL = "parked_redrive"
"""NOTIFY channel: `ksd admin dlq redrive` wakes the services' redrivers on it."""
PARTITION_LOCK = 4244
"""First key of the two-key advisory lock on (topic, partition): apart from the one-key locks."""

PARKED = Gauge("ksd_parked_events", "Events parked, waiting for a redrive", ["service", "topic"])

ParkHook = Callable[[asyncpg.Connection, Envelope, str], Awaitable[None]]
"""Called in the parking transaction for each newly parked event, with the error."""


class FaultInjected(RuntimeError):
    """Raised for the event types named in KSD_FAULT_EVENT_TYPES (tests only)."""


def with_faults(handle: Callable[[asyncpg.Connection, list[Envelope]], Awaitable[None]],
                ) -> Callable[[asyncpg.Connection, list[Envelope]], Awaitable[None]]:
    """`handle`, failing for the event types of the fault-injection switch KSD_FAULT_EVENT_TYPES
    (comma-separated CloudEvents types, read at start). Empty on a real platform: tests set it on
    one service to act out a bad release, restart it without, and redrive what it parked."""
    faulty = {t.strip() for t in settings().fault_event_types.split(",") if t.strip()}
    if not faulty:
        return handle

    async def faulty_handle(conn: asyncpg.Connection, events: list[Envelope]) -> None:
        for event in events:
            if event.type in faulty:
                raise FaultInjected(f"fault injected for {event.type} (KSD_FAULT_EVENT_TYPES)")
        await handle(conn, events)

    return faulty_handle


async def lock_partitions(conn: asyncpg.Connection, topic: str, partitions: Iterable[int]) -> None:
    """Until the transaction ends, no other transaction applies, parks or redrives events of these
    partitions (a redrive beside the live consumer, or two replicas during a rebalance)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2 || ':' || p)) FROM unnest($3::int[]) p ORDER BY p",
        PARTITION_LOCK, topic, sorted(set(partitions)))


async def held_streams(conn: asyncpg.Connection, topic: str, subjects: Iterable[str]) -> dict[str, UUID]:
    """The subjects among `subjects` with a parked event, each with its first parked event."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (subject) subject, event_id FROM parked"
        " WHERE topic = $1 AND resolved_at IS NULL AND subject = ANY($2::text[]) ORDER BY subject, id",
        topic, list(set(subjects)))
    return {r["subject"]: r["event_id"] for r in rows}


async def park(conn: asyncpg.Connection, topic: str, event: Envelope, partition: int, offset: int,
               value: bytes, headers: list[list[str]], error: str, behind: UUID | None) -> bool:
    """Park one event (its original bytes and headers); False when it is parked already (a
    redelivery of a parked record)."""
    parked = await conn.fetchval(
        "INSERT INTO parked (topic, event_id, event_type, subject, origin_partition, origin_offset, value,"
        " headers, error, behind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (topic, event_id) DO NOTHING RETURNING event_id",
        topic, event.id, event.type, event.subject, partition, offset, value, headers, error[:2000], behind)
    return parked is not None


async def count_parked(pool: asyncpg.Pool, service: str, topic: str) -> int:
    """Set the gauge of `topic`'s parked events from the table (the truth, whoever changed it)."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM parked WHERE topic = $1 AND resolved_at IS NULL", topic)
    PARKED.labels(service, topic).set(count)
    return count


def announce_held(topic: Topic, service: str, kinds: str) -> ParkHook:
    """A hook for a consumer of submissions: a parked submission of `kinds` (a type prefix such as
    `agreement.`) is announced as `submission.held` on `topic`, through the outbox, so intake can
    tell the node its submission is held (and why) instead of `accepted` for ever."""

    async def hook(conn: asyncpg.Connection, event: Envelope, error: str) -> None:
        try:
            submitted = Submitted.model_validate(event.data)
        except ValueError:
            return  # not a submission we can name: the dead letter says enough
        if not submitted.submission_type.startswith(kinds):
            return
        held = SubmissionHeld(submission_id=submitted.submission_id, submission_type=submitted.submission_type,
                              held_by=service, error=error[:2000])
        await outbox.append(conn, topic, [outbox.new_event(
            source=f"/services/{service}", type=SUBMISSION_HELD, subject=str(submitted.submission_id),
            data=held.model_dump(mode="json"), cause=event)])

    return hook


class Redrivable(Protocol):
    async def redrive(self) -> int: ...

    async def count_parked(self) -> int: ...


class Redriver:
    """Applies the streams an operator asked to redrive: woken by NOTIFY on `parked_redrive`,
    and every `poll_seconds` in case a notification was missed (asked while the service was down)."""

    def __init__(self, pool: asyncpg.Pool, consumers: Sequence[Redrivable], *, poll_seconds: float = 30) -> None:
        self.pool = pool
        self.consumers = consumers
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="parked-redriver")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await keep_session(self.pool, self._listen, "parked redriver")

    async def _listen(self, listener: asyncpg.Connection) -> None:
        await listener.add_listener(REDRIVE_CHANNEL, lambda *_: self._wake.set())
        while not listener.is_closed():  # a lost session took the LISTEN with it: listen again
            self._wake.clear()  # before the read, so a NOTIFY during it is not lost
            for consumer in self.consumers:
                await consumer.redrive()
                # Also what another replica parked or redrove: each replica's gauge says
                # the table's count within one poll.
                await consumer.count_parked()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
