"""`ksd audit rebuild` and `ksd audit replay`: reporting's read models rebuilt from the log alone.

Nothing here projects an event: a fresh database gets reporting's own migrations, and the records
go through reporting's own consumers (its `SPEC.consumes`, applied by `BatchConsumer.process` with
the inbox, exactly as the live service applies them). Replay stops each partition at the as-of time
(the broker's time index) and then asks reporting's own queries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from aiokafka import TopicPartition

from ksd_common import access
from ksd_common.consumer import BatchConsumer
from ksd_common.db import create_pool, drop_database, migrate
from ksd_common.settings import settings
from ksd_reporting import store
from ksd_reporting.app import SPEC
from ksd_reporting.digest import digest
from ksd_tools.audit.log import History, Progress, read, reader, span, total

Stops = dict[TopicPartition, int]

REBUILD_BATCH = 10_000
"""Records per batch of a rebuild. A batch loads and saves each agreement it touches once and
settles its legal summary once, so the more of an agreement's events one batch holds, the less
each costs: 10,000 doubled the fold's rate over 2,000 on the bench's history (bench/notes-audit-scale.md)."""


@dataclass(frozen=True)
class Rebuilt:
    database: str
    digest: str
    events: int
    seconds: float


@dataclass(frozen=True)
class Pool:
    """What `BatchConsumer` needs of a service: its pool."""

    pool: asyncpg.Pool


async def create_database(name: str) -> None:
    conn = await asyncpg.connect(settings().server_dsn())
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            raise ValueError(f"database {name} exists: a rebuild goes into a fresh one (choose another --database)")
        await access.create_database(conn, name)  # reporting's own, when its name says so
    finally:
        await conn.close()


async def feed(history: History, pool: asyncpg.Pool, *, until_ms: int | None = None,
               stops: Stops | None = None, label: str = "rebuild") -> int:
    """Apply the log (up to `until_ms`, or to the offsets `stops`) through reporting's consumers;
    returns how many records. `label` names the command on its progress bar."""
    consumers = {history.name(c.topic): BatchConsumer(SPEC.name, Pool(pool), c.topic, c.handle, group="audit")
                 for c in SPEC.consumes}
    reading = reader(history)
    await reading.start()
    try:
        spans = await span(reading, history, [c.topic for c in SPEC.consumes], until_ms=until_ms, stops=stops)
        progress = Progress(label, total(spans))
        async for batch in read(reading, spans, batch=REBUILD_BATCH):
            await consumers[batch[0].topic].process(batch)
            progress.advance(len(batch))
        progress.close()
    finally:
        await reading.stop()
    return progress.done


@asynccontextmanager
async def rebuilt(history: History, database: str, *, until_ms: int | None = None,
                  stops: Stops | None = None, keep: bool = True,
                  label: str = "rebuild") -> AsyncIterator[tuple[asyncpg.Pool, int]]:
    """A fresh database `database` holding reporting's read models as the log (up to `until_ms`)
    makes them; dropped afterwards unless `keep`."""
    name = f"{database}{settings().db_suffix}"
    await create_database(name)
    try:
        pool = await create_pool(database, max_size=2)
        try:
            await migrate(pool, ["ksd_common", SPEC.package])
            yield pool, await feed(history, pool, until_ms=until_ms, stops=stops, label=label)
        finally:
            await pool.close()
    finally:
        if not keep:
            await drop_database(name)


async def rebuild(history: History, database: str, *, stops: Stops | None = None) -> Rebuilt:
    """Rebuild into `database` (kept, for inspection) and take its digest."""
    started = datetime.now()
    async with rebuilt(history, database, stops=stops) as (pool, events), pool.acquire() as conn:
        return Rebuilt(database, await digest(conn), events, (datetime.now() - started).total_seconds())


async def _summary(pool: asyncpg.Pool, scope: str | None, as_of: date) -> dict[str, Any]:
    """Reporting's own summary of `scope`, its dated indicators measured on `as_of`."""
    return await store.summary(pool, scope, store.Horizon(as_of))


def _agreement_id(subject: str | None) -> UUID | None:
    try:
        return UUID(subject) if subject else None
    except ValueError:
        return None


async def replay(history: History, as_of: datetime, subject: str | None) -> dict[str, Any]:
    """What reporting answered at `as_of`: one agreement's record, or a region's (or, without a
    subject, the nation's) summary."""
    database = f"ksd_reporting_replay_{uuid4().hex[:12]}"
    async with rebuilt(history, database, until_ms=int(as_of.timestamp() * 1000), keep=False,
                       label="replay") as (pool, events):
        agreement_id = _agreement_id(subject)
        if agreement_id is not None:
            answer: dict[str, Any] = {"agreement": await store.compiled(pool, agreement_id)}
        else:
            answer = {"summary": await _summary(pool, subject, as_of.date())}
    return {"as_of": as_of.isoformat(), "subject": subject, "events": events, **answer}
