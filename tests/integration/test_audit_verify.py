"""`ksd audit verify` on the real broker: a copy of a chained history, tampered with in each of the
five ways, names the right record; the untouched copy verifies clean. Each case in one process and
on two, each checking its share of the subjects (`verify.Share`): the same answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import pytest

from ksd_contracts.envelope import GENESIS_HASH, Envelope, KafkaRecord
from ksd_contracts.events import AGREEMENT_PROPOSED
from ksd_contracts.topics import AGREEMENT_EVENTS
from ksd_tools.audit.log import History, create_topics, delete_topics, producer, send_all
from ksd_tools.audit.synthetic import agreement_events
from ksd_tools.audit.verify import Report, Share, verify

AGREEMENTS, PER_AGREEMENT = 3, 4
"""Offsets on partition 0: agreement i's event of sequence s sits at (s - 1) * 3 + i."""

Write = Callable[..., Awaitable[tuple[str, Report]]]


@pytest.fixture(scope="module")
def original() -> list[KafkaRecord]:
    """The agreements' ids are new each time: drawn again until two processes each get some of them
    (three ids all fall in one share one time in four)."""
    while True:
        records = [e.to_kafka() for e in agreement_events(AGREEMENTS, PER_AGREEMENT)]
        if all(any(Share(index, 2).checks(r.key) for r in records) for index in range(2)):
            return records


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"])
async def copy_and_verify(request: pytest.FixtureRequest, original: list[KafkaRecord]) -> AsyncIterator[Write]:
    """Write records to partition 0 of a fresh copy of ksd.agreement.events (and some to partition
    1), and verify it on one process or two."""
    workers: int = request.param
    shares = {index for r in original for index in range(workers) if Share(index, workers).checks(r.key)}
    assert len(shares) == workers, "each process has agreements of its own to check"
    made: list[History] = []

    async def write(records: list[KafkaRecord], on_partition_one: list[KafkaRecord] = []) -> tuple[str, Report]:  # noqa: B006
        history = History(prefix=f"audit-test-{uuid4().hex[:10]}.")
        made.append(history)
        await create_topics(history, [AGREEMENT_EVENTS])
        out = producer(history)
        await out.start()
        try:
            partition_zero = {r.key: 0 for r in records}
            await send_all(out, history.name(AGREEMENT_EVENTS), [(r, None) for r in records],
                           partition_of=partition_zero)
            await send_all(out, history.name(AGREEMENT_EVENTS), [(r, None) for r in on_partition_one],
                           partition_of={r.key: 1 for r in on_partition_one})
        finally:
            await out.stop()
        return history.name(AGREEMENT_EVENTS), await verify(history, [AGREEMENT_EVENTS], workers=workers)

    yield write
    for history in made:
        await delete_topics(history, [AGREEMENT_EVENTS])


def _event(record: KafkaRecord) -> Envelope:
    return Envelope.from_kafka(record.headers, record.value)


def _bad_at(topic: str, report: Report, offset: int, record: KafkaRecord, words: str) -> None:
    assert report.finding is not None, "verify found nothing"
    assert (report.finding.topic, report.finding.partition, report.finding.offset) == (topic, 0, offset)
    assert report.finding.id == str(_event(record).id)
    assert words in report.finding.problem, report.finding.problem


async def test_the_untouched_copy_verifies_clean(original: list[KafkaRecord], copy_and_verify: Write) -> None:
    _, report = await copy_and_verify(original)
    assert report.clean and report.finding is None
    assert report.counts == {AGREEMENT_EVENTS.name: AGREEMENTS * PER_AGREEMENT}
    assert report.subjects == AGREEMENTS


async def test_a_changed_payload_is_named(original: list[KafkaRecord], copy_and_verify: Write) -> None:
    changed = original[1].model_copy(update={"value": original[1].value.replace(b"sampah", b"limbah")})
    topic, report = await copy_and_verify([*original[:1], changed, *original[2:]])
    _bad_at(topic, report, 1, changed, "hash tidak cocok dengan isinya")


async def test_a_deleted_event_is_named_by_the_one_after_it(
    original: list[KafkaRecord], copy_and_verify: Write,
) -> None:
    topic, report = await copy_and_verify([*original[:4], *original[5:]])
    _bad_at(topic, report, 6, original[7], "urutan 3 subjek")
    assert "yang diharapkan 2" in (report.finding.problem if report.finding else "")


async def test_a_reordered_pair_is_named(original: list[KafkaRecord], copy_and_verify: Write) -> None:
    swapped = list(original)
    swapped[4], swapped[7] = original[7], original[4]
    topic, report = await copy_and_verify(swapped)
    _bad_at(topic, report, 4, original[7], "tertukar")


async def test_a_duplicate_is_named(original: list[KafkaRecord], copy_and_verify: Write) -> None:
    """The same fact again under a new id, rightly hashed: consumers would apply it twice."""
    event = _event(original[4])
    assert event.sequence is not None and event.prevhash is not None
    duplicate = event.model_copy(update={"id": uuid4()}).chained(event.sequence, event.prevhash).to_kafka()
    topic, report = await copy_and_verify([*original, duplicate])
    _bad_at(topic, report, len(original), duplicate, "muncul lagi setelah")


async def test_a_redelivered_identical_copy_is_counted_not_failed(
    original: list[KafkaRecord], copy_and_verify: Write,
) -> None:
    """What a relay killed between Kafka's acknowledgement and its outbox delete leaves: the same
    records again, which consumers drop by id."""
    _, report = await copy_and_verify([*original[:6], original[4], original[5], *original[6:]])
    assert report.clean and report.copies == 2
    assert report.counts == {AGREEMENT_EVENTS.name: AGREEMENTS * PER_AGREEMENT}


async def test_an_injected_event_with_a_forged_source_is_named(
    original: list[KafkaRecord], copy_and_verify: Write,
) -> None:
    genuine = _event(original[0])
    forged = Envelope(source="/nodes/53.71", type=AGREEMENT_PROPOSED, subject=str(uuid4()),
                      correlationid="forged", data={**genuine.data}).chained(1, GENESIS_HASH).to_kafka()
    topic, report = await copy_and_verify([*original[:6], forged, *original[6:]])
    _bad_at(topic, report, 6, forged, "sumber /nodes/53.71 tidak berhak menerbitkan")


async def test_a_second_chain_of_a_subject_in_another_partition_is_named(
    original: list[KafkaRecord], copy_and_verify: Write,
) -> None:
    """A subject's chain begun again, rightly hashed, in a partition its key does not go to: one
    process meets both chains of the subject whatever the partitions (why verify shares its work
    out by key, not by partition)."""
    event = _event(original[0])
    again = event.model_copy(update={"id": uuid4()}).chained(1, GENESIS_HASH).to_kafka()
    _, report = await copy_and_verify(original, on_partition_one=[again])
    assert report.finding is not None, "verify found nothing"
    assert f"urutan 1 subjek {event.subject} muncul lagi" in report.finding.problem, report.finding.problem
