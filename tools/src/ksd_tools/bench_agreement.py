"""The agreement service's consumer path (inbox, decide under the rules, registry numbers, outbox,
event store, states) on realistic lifecycles, in the service's batches beside the naive consumer
that takes one database transaction per submission, both measured in the same run.

Both run the service's own `BatchConsumer.process` with `apply_submissions` on a scratch database,
fed the records Kafka would deliver (intake's envelopes of the simulator's lifecycles), so the
figures are the database path alone; Kafka's own rates are the limits section's.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, TypeAlias

import asyncpg
from aiokafka.structs import ConsumerRecord

from ksd_agreement.handlers import apply_submissions
from ksd_common.collector import tune_collector
from ksd_common.consumer import BatchConsumer
from ksd_common.db import create_pool, drop_database, migrate
from ksd_common.settings import settings
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import Submitted, submission_type
from ksd_contracts.topics import SUBMISSIONS
from ksd_tools.audit.rebuild import create_database
from ksd_tools.benchkit import Context, figure
from ksd_tools.simulate import workload
from ksd_tools.simulate.runner import role_of

ORDER = 40
Delivered: TypeAlias = ConsumerRecord[bytes, bytes]
"""A record as the consumer receives it from `ksd.intake.submissions`."""
SUBMISSIONS_CAP = 40_000
"""A rate, not a capacity: some 40,000 submissions (from 6,666 lifecycles) give it."""
NAIVE_CAP = 2_000
"""One transaction per submission commits (and flushes WAL) each time: a couple thousand give the rate."""
TODAY = date(2026, 11, 23)
"""The lifecycles' day, fixed so every run decides the same history the same way."""


@dataclass(frozen=True)
class _Pool:
    pool: asyncpg.Pool


def delivered(count: int, seed: int) -> list[Delivered]:
    """About `count` agreement submissions as intake publishes them: the simulator's lifecycles
    (with their planned rule breaks), less what intake itself refuses."""
    steps = (s for s in workload(max(count // 6, 1), seed, TODAY).steps
             if s.type.startswith("agreement.") and s.expect != "invalid")
    records = []
    for offset, step in enumerate(steps):
        data = Submitted(submission_id=uuid.uuid4(), submission_type=step.type, role=role_of(step.node),
                         region=step.node, agreement_id=step.data["agreement_id"], payload=step.data)
        event = Envelope(id=data.submission_id, source=f"/nodes/{step.node}", type=submission_type(step.type),
                         subject=str(data.agreement_id), correlationid="bench", data=data.model_dump(mode="json"))
        kafka = event.to_kafka()
        records.append(Delivered(SUBMISSIONS.name, 0, offset, 0, 0, kafka.key, kafka.value, None,
                                 len(kafka.key or b""), len(kafka.value), list(kafka.headers)))
    return records[:count]


@contextmanager
def as_the_service() -> Iterator[None]:
    """The collector as a service runs it (`tune_collector`), put back after: the bench's other
    sections measure this same process."""
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    tune_collector()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen:  # run by `ksd bench`, the process was tuned already and stays so
            gc.unfreeze()


def _batches(records: list[Delivered], size: int) -> Iterator[list[Delivered]]:
    for start in range(0, len(records), size):
        yield records[start:start + size]


async def consume(records: list[Delivered], batch: int) -> tuple[int, float]:
    """Lifecycle events appended and the seconds it took, applying `records` in batches of `batch`
    on a fresh database with the agreement service's migrations."""
    name = f"ksd_agreement_bench_{uuid.uuid4().hex[:8]}"
    await create_database(f"{name}{settings().db_suffix}")
    pool = await create_pool(name, max_size=2)
    try:
        await migrate(pool, ["ksd_common", "ksd_agreement"])
        handle = partial(apply_submissions, today=TODAY)
        consumer = BatchConsumer("agreement", _Pool(pool), SUBMISSIONS, handle, group="bench")
        started = time.perf_counter()
        for chunk in _batches(records, batch):
            await consumer.process(chunk)
        seconds = time.perf_counter() - started
        events: int = await pool.fetchval("SELECT count(*) FROM agreement_events")
        return events, seconds
    finally:
        await pool.close()
        await drop_database(f"{name}{settings().db_suffix}")


async def figures(context: Context) -> dict[str, Any]:
    records = delivered(min(context.events // 20, SUBMISSIONS_CAP), context.seed)
    batch = settings().batch_max_records
    with as_the_service():
        events, seconds = await consume(records, batch)
        naive_events, naive_seconds = await consume(records[:NAIVE_CAP], 1)
    naive = naive_events / naive_seconds
    return {
        "submissions decided": figure(len(records), "submissions"),
        f"agreement events applied (batches of {batch})": figure(
            events / seconds, "events/s", naive, "one transaction per submission"),
        "agreement submissions decided per second": figure(
            len(records) / seconds, "submissions/s", min(len(records), NAIVE_CAP) / naive_seconds,
            "one transaction per submission"),
    }
