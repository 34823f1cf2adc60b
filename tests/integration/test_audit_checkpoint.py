"""Daily checkpoints on the real broker: published once per (topic, day), and a rewritten day is
told apart even where the hash chain alone cannot tell (the last event of a chain removed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from uuid import uuid4

import pytest

from ksd_contracts.envelope import KafkaRecord
from ksd_contracts.topics import AGREEMENT_EVENTS, AUDIT_CHECKPOINTS
from ksd_tools.audit.checkpoint import publish_checkpoints
from ksd_tools.audit.log import History, create_topics, delete_topics, producer, read, reader, send_all, span
from ksd_tools.audit.synthetic import agreement_events
from ksd_tools.audit.verify import verify

TODAY = datetime.combine(datetime.now(UTC).date(), time(), UTC)
EARLIER, LATER = TODAY - timedelta(days=3), TODAY - timedelta(days=2)


def _timed(at: datetime, agreements: int, per_agreement: int) -> list[tuple[KafkaRecord, int | None]]:
    return [(e.to_kafka(), int(e.time.timestamp() * 1000))
            for e in agreement_events(agreements, per_agreement, at=at + timedelta(hours=1),
                                      spacing=timedelta(minutes=1))]


@pytest.fixture
async def histories() -> AsyncIterator[list[History]]:
    made: list[History] = []
    yield made
    for history in made:
        await delete_topics(history, [AGREEMENT_EVENTS, AUDIT_CHECKPOINTS])


async def _write(history: History, topic: str, records: list[tuple[KafkaRecord, int | None]]) -> None:
    await create_topics(history, [AGREEMENT_EVENTS, AUDIT_CHECKPOINTS])
    out = producer(history)
    await out.start()
    try:
        await send_all(out, topic, records, partition_of={r.key: 0 for r, _ in records})
    finally:
        await out.stop()


async def _checkpoint_records(history: History) -> list[tuple[KafkaRecord, int | None]]:
    consumer = reader(history)
    await consumer.start()
    try:
        return [(KafkaRecord(key=r.key or b"", value=r.value or b"", headers=list(r.headers)), r.timestamp)
                async for batch in read(consumer, await span(consumer, history, [AUDIT_CHECKPOINTS]))
                for r in batch]
    finally:
        await consumer.stop()


async def test_a_rewritten_day_is_told_by_its_checkpoint(histories: list[History]) -> None:
    earlier, later = _timed(EARLIER, 2, 1), _timed(LATER, 2, 2)
    original = History(prefix=f"audit-test-{uuid4().hex[:10]}.")
    histories.append(original)
    await _write(original, original.name(AGREEMENT_EVENTS), [*earlier, *later])

    published = await publish_checkpoints(original)
    assert [(c.topic, c.day, c.events) for c in published] == [
        (AGREEMENT_EVENTS.name, EARLIER.date(), 2), (AGREEMENT_EVENTS.name, LATER.date(), 4)]
    assert await publish_checkpoints(original) == [], "a day is checkpointed once"
    assert (await verify(original, [AGREEMENT_EVENTS, AUDIT_CHECKPOINTS], checkpoints=True)).clean

    # The same history without the earlier day's last event: that chain of one simply ends sooner.
    rewritten = History(prefix=f"audit-test-{uuid4().hex[:10]}.")
    histories.append(rewritten)
    await _write(rewritten, rewritten.name(AGREEMENT_EVENTS), [*earlier[:-1], *later])
    await _write(rewritten, rewritten.name(AUDIT_CHECKPOINTS), await _checkpoint_records(original))

    assert (await verify(rewritten, [AGREEMENT_EVENTS])).clean, "the chains alone cannot tell"
    report = await verify(rewritten, [AGREEMENT_EVENTS, AUDIT_CHECKPOINTS], checkpoints=True)
    assert not report.clean and report.finding is None
    # Every later record moved up one offset, so the days after it no longer match either.
    assert len(report.rewritten) == 2
    assert report.rewritten[0].startswith(f"{AGREEMENT_EVENTS.name} on {EARLIER.date()}: the log now holds 1 records")
