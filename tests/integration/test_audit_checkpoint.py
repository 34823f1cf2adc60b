"""Daily checkpoints on the real broker: published once per (topic, day), and a rewritten day is
told apart even where the hash chain alone cannot tell (the last event of a chain removed)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from conftest import ksd

from ksd_contracts import labels
from ksd_contracts.envelope import GENESIS_HASH, Envelope, KafkaRecord
from ksd_contracts.events import AGREEMENT_PROPOSED
from ksd_contracts.topics import AGREEMENT_EVENTS, AUDIT_CHECKPOINTS
from ksd_tools.audit import signing
from ksd_tools.audit.checkpoint import publish_checkpoints, recorded
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
    for workers in (1, 2):  # one process, or two each digesting its share of the partitions
        report = await verify(rewritten, [AGREEMENT_EVENTS, AUDIT_CHECKPOINTS], checkpoints=True, workers=workers)
        assert not report.clean and report.finding is None
        # Every later record moved up one offset, so the days after it no longer match either.
        assert len(report.rewritten) == 2
        assert report.rewritten[0].startswith(
            f"{AGREEMENT_EVENTS.name} pada {labels.day(EARLIER.date().isoformat())}: log kini memuat 1 rekaman")


def _rechained(records: list[tuple[KafkaRecord, int | None]], title: str) -> list[tuple[KafkaRecord, int | None]]:
    """The forger's copy: each proposal retitled, and every chain hashed again from its genesis,
    with the original timestamps. Every hash and sequence holds; only the content differs."""
    heads: dict[str, str] = {}
    out = []
    for record, timestamp in records:
        event = Envelope.from_kafka(record.headers, record.value)
        data = {**event.data, "title": title} if event.type == AGREEMENT_PROPOSED else event.data
        forged = event.model_copy(update={"data": data}).chained(event.sequence or 1, heads.get(event.subject,
                                                                                                 GENESIS_HASH))
        heads[event.subject] = forged.hash or ""
        out.append((forged.to_kafka(), timestamp))
    return out


async def test_a_topic_rewritten_wholesale_fails_against_the_signed_export(
    histories: list[History], tmp_path: Path,
) -> None:
    earlier, later = _timed(EARLIER, 2, 1), _timed(LATER, 2, 2)
    original = History(prefix=f"audit-test-{uuid4().hex[:10]}.")
    histories.append(original)
    await _write(original, original.name(AGREEMENT_EVENTS), [*earlier, *later])
    await publish_checkpoints(original)
    key = tmp_path / "ministry.key"
    public = signing.generate(key)
    exported = tmp_path / "checkpoints.json"
    signing.export([day for _, day in (await recorded(original)).values()], key, exported)
    assert len(exported.read_bytes()) < 2000, "a small file to publish"

    # Someone who can write the topics rewrites the later day and recomputes every hash and checkpoint.
    forged = History(prefix=f"audit-test-{uuid4().hex[:10]}.")
    histories.append(forged)
    await _write(forged, forged.name(AGREEMENT_EVENTS), [*earlier, *_rechained(later, "Judul yang dipalsukan")])
    await publish_checkpoints(forged)
    assert (await verify(forged, [AGREEMENT_EVENTS, AUDIT_CHECKPOINTS], checkpoints=True)).clean, \
        "its own chains and checkpoints cannot tell"

    held = signing.load(exported, public)
    assert (held.last_day, len(held.checkpoints)) == (LATER.date().isoformat(), 2)
    untouched = await verify(original, [AGREEMENT_EVENTS], signed=held)
    assert untouched.clean and untouched.rests_on and untouched.rests_on.startswith("checkpoints.json, ditandatangani")
    report = await verify(forged, [AGREEMENT_EVENTS], signed=held)
    assert report.finding is None and len(report.rewritten) == 1
    later_day = labels.day(LATER.date().isoformat())
    assert report.rewritten[0].startswith(f"{AGREEMENT_EVENTS.name} pada {later_day}: log kini memuat 4 rekaman")
    assert "berkas bertanda tangan checkpoints.json" in report.rewritten[0]

    # The command line says the same, from the real broker, with the published public key.
    common = ["--topics", AGREEMENT_EVENTS.name, "--checkpoints", str(exported), "--public-key", str(public)]
    passed = ksd("audit", "verify", "--prefix", original.prefix, *common)
    assert passed.returncode == 0 and "riwayat utuh: setiap rantai hash tersambung" in passed.stdout, passed.stderr
    failed = ksd("audit", "verify", "--prefix", forged.prefix, *common, "--workers", "2")
    assert failed.returncode == 1
    assert f"HARI PERTAMA YANG BERBEDA: {AGREEMENT_EVENTS.name} pada {later_day}" in failed.stderr, failed.stderr

    # A file changed after signing, or signed by another key, is refused before any record is read.
    document = json.loads(exported.read_text())
    document["checkpoints"][-1]["digest"] = "0" * 64
    exported.write_text(json.dumps(document))
    with pytest.raises(signing.BadSignature, match="tidak sah: berkas diubah"):
        signing.load(exported, public)
    with pytest.raises(signing.BadSignature, match="kunci lain"):
        signing.load(exported, signing.generate(tmp_path / "forger.key"))
