"""Nothing lost, nothing twice, on the real broker: poison records go to the dead-letter topic and
the partition keeps moving; a submission delivered twice is applied once."""

from __future__ import annotations

import json
from typing import Any, TypeAlias
from uuid import uuid4

from aiokafka import AIOKafkaProducer, ConsumerRecord
from conftest import Platform, header

from ksd_common.settings import Settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import Submitted, submission_type
from ksd_contracts.topics import AGREEMENT_EVENTS, SUBMISSIONS

Produced: TypeAlias = tuple[bytes, bytes, list[tuple[str, bytes]], int | None]
"""A record as `_produce` sends it: key, value, headers, partition (None: by key)."""


def _proposal(agreement_id: str) -> Envelope:
    submission_id = uuid4()
    data = Submitted(
        submission_id=submission_id, submission_type="agreement.propose", role="regency", region="35.76",
        agreement_id=agreement_id,
        payload={"kind": "KSDD", "title": "Kerja sama pengelolaan air minum Kota dan Kabupaten Mojokerto",
                 "parties": [{"type": "region", "code": "35.76"}, {"type": "region", "code": "35.16"}],
                 "urusan": ["1.03"], "initiated_on": "2023-03-01"},
    )
    return Envelope(id=submission_id, source="/nodes/35.76", type=submission_type("agreement.propose"),
                    subject=agreement_id, correlationid=str(uuid4()), data=data.model_dump(mode="json")
                    ).chained(1, GENESIS_HASH)


async def _produce(records: list[Produced]) -> None:
    producer = AIOKafkaProducer(**Settings().kafka_options(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for key, value, headers, partition in records:
            await producer.send_and_wait(SUBMISSIONS.name, value, key=key, headers=headers, partition=partition)
    finally:
        await producer.stop()


async def test_poison_records_go_to_the_dlq_and_the_partitions_keep_moving(platform: Platform, tail: Any) -> None:
    dlq = await tail(SUBMISSIONS.dlq)
    events = await tail(AGREEMENT_EVENTS.name)
    marker = str(uuid4())
    not_json = [(marker.encode(), b"{not json", [("ce_id", marker.encode())], p) for p in range(SUBMISSIONS.partitions)]
    no_envelope: list[Produced] = [(marker.encode(), json.dumps({"hello": "world"}).encode(), [], p)
                                   for p in range(SUBMISSIONS.partitions)]
    behind = [_proposal(str(uuid4())) for _ in range(SUBMISSIONS.partitions)]
    await _produce(not_json + no_envelope)
    await _produce([(e.to_kafka().key, e.to_kafka().value, e.to_kafka().headers, p) for p, e in enumerate(behind)])

    consumers = ("agreement", "mapping")  # every consumer of the topic dead-letters what it cannot read
    dead = await dlq.wait_for(lambda r: r.key == marker.encode(), count=2 * SUBMISSIONS.partitions * len(consumers),
                              distinct=_dead_letter)  # a batch redelivered after a rebalance letters again
    assert {header(r, "ksd_origin_topic") for r in dead} == {SUBMISSIONS.name}
    assert {header(r, "ksd_consumer") for r in dead} == set(consumers)
    assert all(header(r, "ksd_error") and header(r, "ksd_origin_offset") for r in dead)
    assert {r.value for r in dead} == {b"{not json", b'{"hello": "world"}'}
    # The valid submissions behind the poison on every partition were applied.
    applied = await events.wait_for(lambda r: header(r, "ce_causationid") in {str(e.id) for e in behind},
                                    count=len(behind))
    assert len(applied) == len(behind)


def _dead_letter(record: ConsumerRecord[bytes, bytes]) -> tuple[str | None, ...]:
    """Which consumer dead-lettered which record."""
    return tuple(header(record, h) for h in ("ksd_consumer", "ksd_origin_partition", "ksd_origin_offset"))


async def test_a_submission_delivered_twice_is_applied_once(platform: Platform, tail: Any) -> None:
    events = await tail(AGREEMENT_EVENTS.name)
    submission = _proposal(str(uuid4()))
    record = submission.to_kafka()
    await _produce([(record.key, record.value, record.headers, None)] * 3)
    applied = await events.wait_for(lambda r: header(r, "ce_causationid") == str(submission.id), settle=2)
    assert len(applied) == 1
    assert header(applied[0], "ce_sequence") == "1"


async def test_an_event_its_handler_cannot_apply_is_dead_lettered_alone(platform: Platform, tail: Any) -> None:
    """A well-formed envelope whose data breaks the handler goes to the DLQ; its batch-mates apply."""
    dlq = await tail(SUBMISSIONS.dlq)
    events = await tail(AGREEMENT_EVENTS.name)
    good = _proposal(str(uuid4()))
    bad = Envelope(source="/nodes/35.76", type=submission_type("agreement.propose"), subject=str(uuid4()),
                   correlationid="c", data={"submission_id": "not-a-uuid"}).chained(1, GENESIS_HASH)
    await _produce([(e.to_kafka().key, e.to_kafka().value, e.to_kafka().headers, 0) for e in (bad, good)])
    [dead] = await dlq.wait_for(lambda r: header(r, "ce_id") == str(bad.id))
    assert "submission_id" in (header(dead, "ksd_error") or "")
    await events.wait_for(lambda r: header(r, "ce_causationid") == str(good.id))
