"""Daily checkpoints: a digest over each day's records of each topic, published to
`ksd.audit.checkpoints`, so that a third party holding them can tell a rewritten day.

A day's digest covers the exact bytes of every record (key, value, headers) and its offset, per
partition in offset order, by the record's Kafka timestamp (UTC day). A rechained forgery, a
dropped or an inserted record all change it, even where the hash chain alone could not tell.
Publishing is idempotent: the event of (topic, day) has a fixed id, time and content, and a day
already checkpointed is never published again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4, uuid5

from ksd_contracts import labels
from ksd_contracts.envelope import GENESIS_HASH, Envelope, canonical_json
from ksd_contracts.events import CHECKPOINT_RECORDED, HISTORY_VERIFIED, DayCheckpoint, HistoryVerified
from ksd_contracts.topics import AUDIT_CHECKPOINTS, HISTORY
from ksd_tools.audit.log import (
    CHECKING_FETCH_MIB,
    History,
    Progress,
    Record,
    create_topics,
    producer,
    read,
    reader,
    send_all,
    span,
    total,
)

SOURCE = "/services/audit"
NAMESPACE = UUID("6f1d3c1e-5a0b-4c57-9d0e-7a3b1f4e2c10")
DATA_TOPICS = tuple(t for t in HISTORY if t is not AUDIT_CHECKPOINTS)


def day_of(record: Record) -> date:
    return datetime.fromtimestamp(record.timestamp / 1000, UTC).date()


def _leaf(record: Record) -> bytes:
    headers = [[k, (v or b"").hex()] for k, v in record.headers]
    return canonical_json([record.offset, (record.key or b"").hex(), hashlib.sha256(record.value or b"").hexdigest(),
                           headers]) + b"\n"


Sealed = dict[tuple[str, date], dict[int, tuple[int, str]]]
"""Per (topic, day), each partition's count of records and its finished digest."""


@dataclass
class DayDigests:
    """Digests per (topic, day), fed record by record in any interleaving of partitions; a partition
    digested by another process (verify's) joins as its finished digest (`sealed`, `merge`)."""

    parts: dict[tuple[str, date], dict[int, tuple[int, hashlib._Hash | str]]] = field(default_factory=dict)

    def add(self, topic: str, record: Record) -> None:
        partitions = self.parts.setdefault((topic, day_of(record)), {})
        count, hasher = partitions.get(record.partition) or (0, hashlib.sha256())
        assert not isinstance(hasher, str), "a partition is digested by one process"
        hasher.update(_leaf(record))
        partitions[record.partition] = (count + 1, hasher)

    def sealed(self) -> Sealed:
        return {key: {partition: (count, _hex(hasher)) for partition, (count, hasher) in partitions.items()}
                for key, partitions in self.parts.items()}

    def merge(self, sealed: Sealed) -> None:
        for key, partitions in sealed.items():
            self.parts.setdefault(key, {}).update(partitions)

    def checkpoint(self, topic: str, day: date) -> DayCheckpoint:
        partitions = self.parts.get((topic, day), {})
        outer = hashlib.sha256()
        for partition in sorted(partitions):
            count, hasher = partitions[partition]
            outer.update(f"{partition}:{count}:{_hex(hasher)}\n".encode())
        events = sum(count for count, _ in partitions.values())
        return DayCheckpoint(topic=topic, day=day, events=events, digest=outer.hexdigest())

    def checkpoints(self) -> list[DayCheckpoint]:
        return [self.checkpoint(topic, day) for topic, day in sorted(self.parts)]


def _hex(hasher: hashlib._Hash | str) -> str:
    return hasher if isinstance(hasher, str) else hasher.hexdigest()


def checkpoint_event(checkpoint: DayCheckpoint) -> Envelope:
    """The one event of (topic, day): the same bytes however often it is made."""
    subject = f"{checkpoint.topic}/{checkpoint.day.isoformat()}"
    id = uuid5(NAMESPACE, subject)
    end_of_day = datetime.combine(checkpoint.day + timedelta(days=1), time(), UTC)
    return Envelope(id=id, source=SOURCE, type=CHECKPOINT_RECORDED, subject=subject, time=end_of_day,
                    correlationid=id.hex, data=checkpoint.model_dump(mode="json")).chained(1, GENESIS_HASH)


async def recorded(history: History) -> dict[tuple[str, date], tuple[int, DayCheckpoint]]:
    """The checkpoints on the audit topic, with their offsets, by (topic, day); the first one wins."""
    found: dict[tuple[str, date], tuple[int, DayCheckpoint]] = {}
    consumer = reader(history, CHECKING_FETCH_MIB)
    await consumer.start()
    try:
        async for batch in read(consumer, await span(consumer, history, [AUDIT_CHECKPOINTS])):
            for record in batch:
                event = Envelope.from_kafka(record.headers, record.value)
                if event.type == CHECKPOINT_RECORDED:
                    day = DayCheckpoint.model_validate(event.data)
                    found.setdefault((day.topic, day.day), (record.offset, day))
    finally:
        await consumer.stop()
    return found


def _day_bounds(day: date) -> tuple[int, int]:
    start = datetime.combine(day, time(), UTC)
    return int(start.timestamp() * 1000), int((start + timedelta(days=1)).timestamp() * 1000) - 1


async def digest_days(history: History, day: date | None, *, until_ms: int) -> DayDigests:
    """The digests of `day` (or of every day up to `until_ms`) of every data topic."""
    since_ms, last_ms = _day_bounds(day) if day else (None, until_ms)
    digests = DayDigests()
    consumer = reader(history, CHECKING_FETCH_MIB)
    await consumer.start()
    try:
        spans = await span(consumer, history, DATA_TOPICS, since_ms=since_ms, until_ms=min(last_ms, until_ms))
        progress = Progress("checkpoint", total(spans))
        async for batch in read(consumer, spans):
            topic = history.topic_of(batch[0].topic).name
            for record in batch:
                digests.add(topic, record)
            progress.advance(len(batch))
        progress.close()
    finally:
        await consumer.stop()
    return digests


async def publish_checkpoints(history: History, day: date | None = None) -> list[DayCheckpoint]:
    """Checkpoint `day` (default: every complete day not checkpointed yet); returns what it published.
    Today is never checkpointed: its records are still coming."""
    today_ms = _day_bounds(datetime.now(UTC).date())[0]
    digests = await digest_days(history, day, until_ms=today_ms - 1)
    existing = await recorded(history)
    new = [c for c in digests.checkpoints() if (c.topic, c.day) not in existing and (day is None or c.day == day)]
    await create_topics(history, [AUDIT_CHECKPOINTS])
    out = producer(history)
    await out.start()
    try:
        await send_all(out, history.name(AUDIT_CHECKPOINTS), [(checkpoint_event(c).to_kafka(), None) for c in new])
    finally:
        await out.stop()
    return new


def rewritten_days(digests: DayDigests, checkpoints: Iterable[tuple[str, DayCheckpoint]],
                   topics: set[str]) -> list[str]:
    """What each checkpoint of `topics` (with where it is held) says against what the log holds
    now: one line per rewritten day, the first day that differs first."""
    problems = []
    for held_in, said in sorted(checkpoints, key=lambda pair: (pair[1].day, pair[1].topic)):
        if said.topic not in topics:
            continue
        now = digests.checkpoint(said.topic, said.day)
        if now.digest != said.digest:
            problems.append(
                f"{said.topic} pada {labels.day(said.day.isoformat())}: log kini memuat {labels.number(now.events)}"
                f" rekaman dengan digest {now.digest[:16]}…; {held_in} menyatakan {labels.number(said.events)}"
                f" rekaman dengan digest {said.digest[:16]}…: hari itu ditulis ulang")
    return problems


async def record_verification(history: History, verified: HistoryVerified) -> Envelope:
    """Publish what a verification against a signed file found, for the audit report to show."""
    subject = f"verification/{uuid4()}"
    event = Envelope(source=SOURCE, type=HISTORY_VERIFIED, subject=subject, correlationid=uuid4().hex,
                     data=verified.model_dump(mode="json")).chained(1, GENESIS_HASH)
    await create_topics(history, [AUDIT_CHECKPOINTS])
    out = producer(history)
    await out.start()
    try:
        await send_all(out, history.name(AUDIT_CHECKPOINTS), [(event.to_kafka(), None)])
    finally:
        await out.stop()
    return event


def on_topic(offset: int) -> str:
    return f"checkpoint pada offset {offset} di {AUDIT_CHECKPOINTS.name}"
