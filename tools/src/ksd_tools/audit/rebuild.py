"""`ksd audit rebuild` and `ksd audit replay`: reporting's read models rebuilt from the log alone.

Nothing here projects an event: a fresh database gets reporting's own migrations, and the records
go through reporting's own consumers (its `SPEC.consumes`, applied by `BatchConsumer.process` with
the inbox, exactly as the live service applies them). Replay stops each partition at the as-of time
(the broker's time index) and then asks reporting's own queries.

Two things make a rebuild faster than the live service's catch-up, neither changing what is
derived: the log is read in runs grouped by agreement (`GROUPED`), and the partitions are shared
out to several processes (`shares`), each feeding the same fresh database.
"""

from __future__ import annotations

import asyncio
import marshal
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import IO, Any
from uuid import UUID, uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from ksd_common import access, collector
from ksd_common.consumer import BatchConsumer, OpenPool
from ksd_common.db import create_pool, drop_database, migrate
from ksd_common.settings import settings
from ksd_reporting import store
from ksd_reporting.app import SPEC
from ksd_reporting.digest import digest
from ksd_tools.audit.log import History, Progress, Record, Span, read, reader, span, total
from ksd_tools.audit.processes import advanced, on_processes, processes_for, share

Stops = dict[TopicPartition, int]

REBUILD_BATCH = 10_000
"""Records per batch of a rebuild (a batch ends with an agreement's last event, so it may hold a few
more). A batch loads and saves each agreement it touches once and settles its legal summary once,
so the more of an agreement's events one batch holds, the less each costs."""

GROUPED = 200_000
"""Records of one partition a rebuild holds at once to group them by agreement (`grouped`): the run
is sorted by key, each agreement's events staying in their order, so one batch holds all of an
agreement's events in the run and its per-agreement costs (load, settle, count changes, the
record's upsert) are paid once per run instead of once per event. Reporting's handlers give the
same read models however the subjects interleave, as long as each subject's events keep their
order (tests/integration/test_reporting_rebuild.py); the live service sees the same events in
offset order. A held record is ~3 KiB of Python's objects: a worker's peak was 670 MiB at a million
events (one share a partition) against 320 MiB with 60,000 held (four), whatever the history's
size; the rebuild of that million took 66 s instead of 83 (bench/notes-audit-scale.md, seventh pass)."""


DIGEST_PARTS = 8
"""The most connections a rebuild's digest is taken on (`digest`'s parts, a connection per worker by
default): each is a PostgreSQL backend hashing a range of the largest tables."""


@dataclass(frozen=True)
class Rebuilt:
    database: str
    digest: str
    events: int
    seconds: float


async def create_database(name: str) -> None:
    conn = await asyncpg.connect(settings().server_dsn())
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            raise ValueError(f"basis data {name} sudah ada: pembangunan ulang memakai basis data baru"
                             " (pilih --database lain)")
        await access.create_database(conn, name)  # reporting's own, when its name says so
    finally:
        await conn.close()


async def spans_of(history: History, *, until_ms: int | None = None, stops: Stops | None = None) -> Span:
    """What a rebuild reads: every partition of the topics reporting consumes, from the earliest
    offset to its end now (or `until_ms`, or the offsets `stops`)."""
    reading = reader(history)
    await reading.start()
    try:
        return await span(reading, history, [c.topic for c in SPEC.consumes], until_ms=until_ms, stops=stops)
    finally:
        await reading.stop()


def by_agreement(records: list[Record], size: int = REBUILD_BATCH) -> Iterator[list[Record]]:
    """One partition's records sorted by key (stable: a subject's events keep their offset order),
    cut into batches of about `size` that never split a subject's events."""
    ordered = sorted(records, key=lambda r: r.key or b"")
    start = 0
    while start < len(ordered):
        end = min(start + size, len(ordered))
        while end < len(ordered) and ordered[end].key == ordered[end - 1].key:
            end += 1
        yield ordered[start:end]
        start = end


def key_shares(records: int, hold: int) -> int:
    """In how many shares a rebuild folds a partition of `records` so that a share holds about `hold`
    (with a tenth to spare, as the keys do not share out exactly)."""
    return max(1, -(-records * 10 // (hold * 9)))


class Spill:
    """A partition's records of the shares after the first, while the first is folded: each share's
    in a scratch file of its own (private, deleted when closed), read back share by share. Reading
    the partition again for each share, as a rebuild did, made the reading quadratic in the
    partition's size (at a million events with 60,000 held, four reads of every record: a third
    of a worker's CPU); writing a record out and reading it back costs about one read. Made by
    `spilled`."""

    def __init__(self, tp: TopicPartition, files: list[IO[bytes]]) -> None:
        self.tp = tp
        self.files = files

    def first(self, batch: list[Record]) -> list[Record]:
        """The batch's records of the first share; the others written to their shares' files."""
        if not self.files:
            return batch
        dealt: list[list[Record]] = [[] for _ in range(len(self.files) + 1)]
        for record in batch:
            dealt[share(record.key, len(dealt))].append(record)
        for file, records in zip(self.files, dealt[1:], strict=True):
            if records:
                marshal.dump([(r.offset, r.timestamp, r.timestamp_type, r.key, r.value, r.headers) for r in records],
                             file)
        return dealt[0]

    def later(self) -> Iterator[Iterator[list[Record]]]:
        """Each later share's records, in the order read, in the batches they were written in."""
        for file in self.files:
            file.seek(0)
            yield self._read(file)

    def _read(self, file: IO[bytes]) -> Iterator[list[Record]]:
        topic, partition = self.tp.topic, self.tp.partition
        while True:
            try:
                written = marshal.load(file)
            except EOFError:
                return
            yield [ConsumerRecord(topic, partition, offset, timestamp, kind, key, value, None,
                                  -1 if key is None else len(key), -1 if value is None else len(value), headers)
                   for offset, timestamp, kind, key, value, headers in written]


@contextmanager
def spilled(tp: TopicPartition, shares: int) -> Iterator[Spill]:
    """A `Spill` of partition `tp` in `shares`, its scratch files closed (and so deleted) after."""
    with ExitStack() as files:
        yield Spill(tp, [files.enter_context(tempfile.TemporaryFile()) for _ in range(shares - 1)])


async def grouped(reading: AIOKafkaConsumer, spans: Span, hold: int | None = None) -> AsyncIterator[list[Record]]:
    """The records of `spans` one partition after another, up to `hold` (`GROUPED`) of a partition
    at a time, each run regrouped by agreement (`by_agreement`), so each agreement in a run is
    loaded, settled, counted and saved once. A partition larger than `hold` is read once and dealt
    in shares (`key_shares`) by its agreements' keys (`processes.share`): the first share held, the
    others spilled to scratch files (`Spill`) and folded after it, one share at a time. An
    agreement's events spread over the whole partition (as a history's are, over months) then
    still make one run, where cutting the partition in runs of `hold` made each agreement pay once
    per run it fell in (3 or 4 times, the synthetic history's 4 events each at a million events).
    A run still ends at `hold`, so memory stays bounded whatever the keys."""
    hold = hold or GROUPED
    for tp, part in spans.items():
        with spilled(tp, key_shares(part[1] - part[0], hold)) as spill:
            run = Run(hold)
            async for batch in read(reading, {tp: part}, batch=REBUILD_BATCH):
                for regrouped in run.add(spill.first(batch)):
                    yield regrouped
            for regrouped in run.end():
                yield regrouped
            for later in spill.later():
                for batch in later:
                    for regrouped in run.add(batch):
                        yield regrouped
                for regrouped in run.end():
                    yield regrouped


class Run:
    """Records of one share held until `hold` of them (or the share's end), then given out
    regrouped by agreement (`by_agreement`)."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.held: list[Record] = []

    def add(self, records: list[Record]) -> list[list[Record]]:
        self.held += records
        return self.end() if len(self.held) >= self.hold else []

    def end(self) -> list[list[Record]]:
        held, self.held = self.held, []
        return list(by_agreement(held))


async def feed(history: History, pool: asyncpg.Pool, spans: Span, advance: Callable[[int], None]) -> int:
    """Apply the records of `spans` through reporting's consumers, grouped by agreement, with
    Python's collector paused (`collector.paused`: a worker's held runs are what it would walk);
    returns how many records, telling `advance` of each batch applied."""
    consumers = {history.name(c.topic): BatchConsumer(SPEC.name, OpenPool(pool), c.topic, c.handle, group="audit")
                 for c in SPEC.consumes}
    reading = reader(history)
    await reading.start()
    done = 0
    try:
        with collector.paused():
            async for batch in grouped(reading, spans):
                await consumers[batch[0].topic].process(batch)
                done += len(batch)
                advance(len(batch))
    finally:
        await reading.stop()
    return done


def shares(spans: Span, workers: int) -> list[Span]:
    """The partitions dealt to at most `workers` workers, the largest first to the least loaded.
    An agreement's events are all in one partition and the counts are sums (added in key order, so
    concurrent batches cannot deadlock), so workers feeding some partitions each into the same
    database build the same read models as one feeding them all."""
    dealt: list[Span] = [{} for _ in range(max(1, min(workers, len(spans))))]
    for tp, (first, stop) in sorted(spans.items(), key=lambda s: s[1][0] - s[1][1]):
        min(dealt, key=total)[tp] = (first, stop)
    return dealt


def _feed_share(history: History, database: str, share: Span) -> int:
    """A worker's part: its partitions fed into `database` on its own connections."""
    async def fed() -> int:
        pool = await create_pool(database, max_size=2)
        try:
            return await feed(history, pool, share, advanced)
        finally:
            await pool.close()
    return asyncio.run(fed())


async def fed_by(workers: int, history: History, database: str, pool: asyncpg.Pool, spans: Span,
                 label: str) -> int:
    """Feed `spans` into `database` (whose `pool` is open) on `workers` processes, one partition in
    one process only; with one worker, in this process. Returns how many records."""
    progress = Progress(label, total(spans))
    dealt = shares(spans, workers)
    if len(dealt) == 1:
        await feed(history, pool, spans, progress.advance)
    else:
        fed = await on_processes(partial(_feed_share, history, database), dealt, progress)
        progress.advance(sum(fed) - progress.done)
    progress.close()
    return progress.done


@asynccontextmanager
async def rebuilt(history: History, database: str, *, until_ms: int | None = None,
                  stops: Stops | None = None, keep: bool = True, label: str = "rebuild",
                  workers: int | None = None) -> AsyncIterator[tuple[asyncpg.Pool, int]]:
    """A fresh database `database` holding reporting's read models as the log (up to `until_ms`)
    makes them, fed by `workers` processes (`processes_for`); dropped afterwards unless `keep`."""
    name = f"{database}{settings().db_suffix}"
    await create_database(name)
    try:
        pool = await create_pool(database, max_size=max(2, min(DIGEST_PARTS, workers or os.cpu_count() or 1)))
        try:
            await migrate(pool, ["ksd_common", SPEC.package])
            spans = await spans_of(history, until_ms=until_ms, stops=stops)
            yield pool, await fed_by(processes_for(spans, workers), history, database, pool, spans, label)
        finally:
            await pool.close()
    finally:
        if not keep:
            await drop_database(name)


async def rebuild(history: History, database: str, *, stops: Stops | None = None,
                  workers: int | None = None) -> Rebuilt:
    """Rebuild into `database` (kept, for inspection) on `workers` processes and take its digest on
    as many connections, with a progress bar of its own (on 40,000 events, a fifth of the rebuild's CPU)."""
    started = datetime.now()
    async with rebuilt(history, database, stops=stops, workers=workers) as (pool, events):
        progress = Progress("digest", 0, unit="baris")
        taken = await digest(pool, progress.advance, parts=pool.get_max_size(), sized=progress.expect)
        progress.close()
        return Rebuilt(database, taken, events, (datetime.now() - started).total_seconds())


async def _summary(pool: asyncpg.Pool, scope: str | None, as_of: date) -> dict[str, Any]:
    """Reporting's own summary of `scope`, its dated indicators measured on `as_of`."""
    return await store.summary(pool, scope, store.Horizon(as_of))


def _agreement_id(subject: str | None) -> UUID | None:
    try:
        return UUID(subject) if subject else None
    except ValueError:
        return None


async def replay(history: History, as_of: datetime, subject: str | None,
                 workers: int | None = None) -> dict[str, Any]:
    """What reporting answered at `as_of`: one agreement's record, or a region's (or, without a
    subject, the nation's) summary; the read models rebuilt on `workers` processes."""
    database = f"ksd_reporting_replay_{uuid4().hex[:12]}"
    async with rebuilt(history, database, until_ms=int(as_of.timestamp() * 1000), keep=False,
                       label="replay", workers=workers) as (pool, events):
        agreement_id = _agreement_id(subject)
        if agreement_id is not None:
            answer: dict[str, Any] = {"agreement": await store.compiled(pool, agreement_id)}
        else:
            answer = {"summary": await _summary(pool, subject, as_of.date())}
    return {"as_of": as_of.isoformat(), "subject": subject, "events": events, **answer}
