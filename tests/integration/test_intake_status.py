"""GET /v1/submissions/{id} follows the answers on the real broker: an event caused by the
submission (agreement or mapping side) means applied; a rejection means rejected with its rule."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from conftest import Platform
from intake_examples import examples
from test_intake_submissions import post

from ksd_common.settings import Settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import REGION_SUBMISSION_REJECTED, URUSAN_CLASSIFIED, SubmissionRejected
from ksd_contracts.topics import MAPPING_EVENTS


async def _publish(*events: Envelope) -> None:
    """The events in one produce request, in order: intake's consumer then reads them in one batch."""
    producer = AIOKafkaProducer(**Settings().kafka_options(), enable_idempotence=True, acks="all",
                                linger_ms=100)
    await producer.start()
    try:
        sent = [await producer.send(MAPPING_EVENTS.name, r.value, key=r.key, headers=r.headers)
                for r in (e.to_kafka() for e in events)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _status(platform: Platform, token: str, id: str, expected: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            status = (await client.get(f"{platform.url['intake']}/v1/submissions/{id}",
                                       headers={"Authorization": f"Bearer {token}"})).json()
            if status["status"] == expected:
                return dict(status)
            await asyncio.sleep(0.1)
    raise AssertionError(f"{id} is {status['status']}, not {expected}")


async def test_mapping_answers_region_declarations(platform: Platform) -> None:
    token = await platform.token("regency", "64.72")
    table = examples("64.72", "64.71", uuid4())
    applied, rejected = [
        (await post(platform, token, {"type": t, "data": table[t].valid})).json()["id"]
        for t in ("region.declare_neighbours", "region.declare_potential")]
    await _publish(Envelope(source="/services/mapping", type=URUSAN_CLASSIFIED, subject="64.72",
                            correlationid="c", causationid=applied, data={}).chained(1, GENESIS_HASH))
    reasons = [{"rule": "region.potential_duplicate", "detail": "declared already"}]
    data = SubmissionRejected(submission_id=rejected, submission_type="region.declare_potential", reasons=reasons)
    await _publish(Envelope(source="/services/mapping", type=REGION_SUBMISSION_REJECTED, subject="64.72",
                            correlationid="c", causationid=rejected, data=data.model_dump(mode="json")
                            ).chained(2, GENESIS_HASH))
    assert (await _status(platform, token, applied, "applied"))["agreement_id"] is None
    assert (await _status(platform, token, rejected, "rejected"))["reasons"] == reasons


async def test_a_report_joined_to_the_other_sides_agreement_shows_that_agreement(platform: Platform) -> None:
    """Kota and Kabupaten Kupang each propose their one agreement from their own register, with no
    shared id: the second side's status names the agreement it joined, the one reporting shows."""
    # A day no other report of these two regions is near (the service joins within 30 days of one).
    initiated_on = (date(1901, 1, 1) + timedelta(days=random.randrange(36500))).isoformat()
    answers = []
    for own, partner in (("53.71", "53.01"), ("53.01", "53.71")):
        token = await platform.token("regency", own)
        data = examples(own, partner, uuid4())["agreement.propose"].valid | {"initiated_on": initiated_on}
        submitted = (await post(platform, token, {"type": "agreement.propose", "data": data})).json()["id"]
        answers.append(await _status(platform, token, submitted, "applied"))
    first, second = answers
    assert first["agreement_id"] and second["agreement_id"] == first["agreement_id"]


async def test_a_rejection_stands_beside_an_applied_event_of_the_same_submission(platform: Platform) -> None:
    """Two submissions, each answered twice in one batch of intake's consumer, by an event it caused
    and by its rejection, in either order: the rejection is final and shows, whatever the order."""
    token = await platform.token("regency", "64.72")
    reasons = [{"rule": "region.potential_duplicate", "detail": "declared already"}]
    answers: list[Envelope] = []
    submitted: list[str] = []
    for rejection_first in (False, True):
        data = examples("64.72", "64.71", uuid4())["region.declare_potential"].valid
        id = (await post(platform, token, {"type": "region.declare_potential", "data": data})).json()["id"]
        rejection = SubmissionRejected(submission_id=id, submission_type="region.declare_potential", reasons=reasons)
        pair = [Envelope(source="/services/mapping", type=URUSAN_CLASSIFIED, subject="64.72",
                         correlationid="c", causationid=id, data={}),
                Envelope(source="/services/mapping", type=REGION_SUBMISSION_REJECTED, subject="64.72",
                         correlationid="c", causationid=id, data=rejection.model_dump(mode="json"))]
        answers += reversed(pair) if rejection_first else pair
        submitted.append(id)
    await _publish(*(e.chained(n + 1, GENESIS_HASH) for n, e in enumerate(answers)))
    for id in submitted:
        assert (await _status(platform, token, id, "rejected"))["reasons"] == reasons
