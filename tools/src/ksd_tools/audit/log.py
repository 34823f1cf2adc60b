"""Reading the history: every record of some topics, from the earliest offset, streamed in batches.

The end of each partition is fixed when reading starts (its end offset, or the first offset after
an as-of time from the broker's time index), so a read finishes even while the platform keeps
writing, and two reads of the same span see the same records.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ksd_common.settings import settings
from ksd_common.topics import cluster_durability, create
from ksd_contracts.envelope import KafkaRecord
from ksd_contracts.labels import number
from ksd_contracts.topics import FOREVER, HISTORY, Topic

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
Span = dict[TopicPartition, tuple[int, int]]
"""Per partition: the first offset to read and the first one not to read."""


@dataclass(frozen=True)
class History:
    """Where a history lives: the registry's topics, or a copy of them under a name prefix
    (`<prefix><topic>`), as tests and benchmarks make."""

    prefix: str = ""
    bootstrap: str = field(default_factory=lambda: settings().kafka_bootstrap)

    def name(self, topic: Topic) -> str:
        return f"{self.prefix}{topic.name}"

    def kafka(self) -> dict[str, Any]:
        """Client options for this history's broker, as the `ksd` command's principal."""
        return settings().kafka_options(bootstrap=self.bootstrap)

    def topic_of(self, name: str) -> Topic:
        """The registry's topic a (possibly prefixed) topic name stands for."""
        return next(t for t in HISTORY if self.name(t) == name)


def topics_named(names: Sequence[str] | None) -> list[Topic]:
    """The registry's history topics among `names` (all when none are given)."""
    if not names:
        return list(HISTORY)
    known = {t.name: t for t in HISTORY}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"bukan topik riwayat: {', '.join(unknown)} (yang ada: {', '.join(known)})")
    return [known[n] for n in names]


async def span(consumer: AIOKafkaConsumer, history: History, topics: Sequence[Topic], *,
               since_ms: int | None = None, until_ms: int | None = None,
               stops: dict[TopicPartition, int] | None = None) -> Span:
    """Offsets to read: from the earliest (or the first at `since_ms`) to the end as it is now (or
    the first record after `until_ms`, by the broker's time index). A topic not created yet is empty."""
    existing = await consumer.topics()
    partitions = [TopicPartition(history.name(t), p) for t in topics for p in range(t.partitions)
                  if history.name(t) in existing]
    begin = await consumer.beginning_offsets(partitions)
    end = await consumer.end_offsets(partitions)
    start = {tp: begin[tp] for tp in partitions}
    stop = {tp: end[tp] for tp in partitions}
    for bound, at in ((start, since_ms), (stop, None if until_ms is None else until_ms + 1)):
        if at is not None:
            found = await consumer.offsets_for_times({tp: at for tp in partitions})
            for tp, offset in found.items():
                bound[tp] = end[tp] if offset is None else offset.offset
    for tp, offset in (stops or {}).items():  # an exact end, e.g. where a live service stood
        stop[tp] = min(stop.get(tp, offset), offset)
    return {tp: (start[tp], stop[tp]) for tp in partitions if stop[tp] > start[tp]}


FOLDING_FETCH_MIB = 64
"""What a reader that folds (rebuild, replay, report) fetches at once, 8 MiB of it per partition:
a batch holds one partition's fetch, and the more of an agreement's events one batch holds, the
less each costs (its record is loaded, settled and saved once a batch)."""

CHECKING_FETCH_MIB = 8
"""What a reader that checks record by record (verify, checkpoints) fetches at once: its batches
gain nothing from size, and the fetched bytes were most of verify's memory."""


def reader(history: History, fetch_mib: int = FOLDING_FETCH_MIB) -> AIOKafkaConsumer:
    """A consumer of no group: reading the history commits nothing and disturbs no service. It
    fetches up to `fetch_mib` MiB at once, an eighth of that per partition."""
    return AIOKafkaConsumer(
        **history.kafka(), enable_auto_commit=False, group_id=None,
        fetch_max_bytes=fetch_mib * 1024 * 1024, max_partition_fetch_bytes=fetch_mib * 1024 * 1024 // 8,
    )


async def read(consumer: AIOKafkaConsumer, spans: Span, *, batch: int = 5000) -> AsyncIterator[list[Record]]:
    """The records of `spans`, in batches of one partition each, in offset order per partition."""
    remaining = dict(spans)
    consumer.assign(list(remaining))
    for tp, (first, _) in remaining.items():
        consumer.seek(tp, first)
    while remaining:
        fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch)
        for tp, records in fetched.items():
            if tp not in remaining:
                continue
            stop = remaining[tp][1]
            wanted = [r for r in records if r.offset < stop]
            if records[-1].offset >= stop - 1:
                del remaining[tp]
                consumer.pause(tp)
            if wanted:
                yield wanted


class Progress:
    """A one-line progress bar on stderr when it is a terminal (what is done of the span read, the
    rate, the time left); silent otherwise, so tests, pipes and logs get only the command's answer."""

    def __init__(self, label: str, total: int, unit: str = "peristiwa") -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.started = time.perf_counter()
        self.shown = 0.0
        self.out = sys.stderr
        self.live = self.out.isatty()

    def expect(self, total: int) -> None:
        """The total, once known (a digest counts its rows in its own snapshot)."""
        self.total = total

    def advance(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if self.live and now - self.shown > 0.2:
            self.shown = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = self.done / self.total if self.total else 1
        rate = self.done / max(now - self.started, 1e-9)
        left = f", sisa {number((self.total - self.done) / rate)} detik" if 0 < self.done < self.total else ""
        self.out.write(f"\r{self.label} [{'#' * int(share * 30):<30}] {number(self.done)}/{number(self.total)}"
                       f" {self.unit}, {number(rate)}/detik{left}")
        self.out.flush()

    def close(self) -> None:
        """The bar as it ends (every event read), then a new line."""
        if self.live:
            self._draw(time.perf_counter())
            self.out.write("\n")
            self.out.flush()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def total(spans: Span) -> int:
    return sum(stop - start for start, stop in spans.values())


async def create_topics(history: History, topics: Sequence[Topic]) -> None:
    """Create `topics` under the history's prefix (a copy for tests and benchmarks)."""
    admin = AIOKafkaAdminClient(**history.kafka())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        copies = await cluster_durability(admin)
        missing = [NewTopic(history.name(t), t.partitions, replication_factor=copies.replication,
                            topic_configs=copies.config(dict(FOREVER)))
                   for t in topics if history.name(t) not in existing]
        if missing:
            await create(admin, missing)
    finally:
        await admin.close()


async def delete_topics(history: History, topics: Sequence[Topic]) -> None:
    """Remove a copy made by `create_topics` (never called without a prefix)."""
    assert history.prefix, "the registry's own topics are never deleted"
    admin = AIOKafkaAdminClient(**history.kafka())
    await admin.start()
    try:
        await admin.delete_topics([history.name(t) for t in topics])
    finally:
        await admin.close()


def producer(history: History) -> AIOKafkaProducer:
    return AIOKafkaProducer(**history.kafka(), enable_idempotence=True, acks="all",
                            linger_ms=5, max_batch_size=512 * 1024)


async def send_all(out: AIOKafkaProducer, topic: str, records: Sequence[tuple[KafkaRecord, int | None]],
                   *, partition_of: dict[bytes, int] | None = None) -> None:
    """Send records (each with an optional timestamp in ms) and wait until all are acknowledged."""
    pending = [await out.send(topic, r.value, key=r.key, headers=r.headers, timestamp_ms=at,
                              partition=None if partition_of is None else partition_of.get(r.key))
               for r, at in records]
    for sent in pending:
        await sent
