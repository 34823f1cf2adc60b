"""The auditor's endpoints: as recorded on R, what was in force on D, for one agreement or a
region, with what changed between two recording dates. Auditor tokens only (`ksd_common.auth.auditor`):
an auditor needs a token, not Kafka. `ksd audit report` answers through the same functions
(`auditing`, and `agreement_report`/`region_report` here) from a history it rebuilds itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ksd_common.auth import Auditor, readable_region
from ksd_common.params import IsoDay, IsoInstant
from ksd_common.problems import Problem
from ksd_common.settings import settings
from ksd_contracts.envelope import Envelope, format_time
from ksd_contracts.events import HISTORY_VERIFIED
from ksd_contracts.topics import AUDIT_CHECKPOINTS
from ksd_reporting import audit_page, auditing, store
from ksd_reporting.domain import AgreementRecord

router = APIRouter(tags=["audit"])

RecordedAsOf = Annotated[IsoInstant | None, Query(
    description="Recorded as of R: an RFC 3339 time, or YYYY-MM-DD (the end of that day, WIB). Default: now.")]
InForceOn = Annotated[IsoDay | None, Query(description="In force on D, YYYY-MM-DD. Default: R's day (WIB).")]
ChangesSince = Annotated[IsoInstant | None, Query(
    description="Also list what was recorded after this time up to R (added, corrected, withdrawn).")]


def question(recorded_as_of: datetime | None, in_force_on: date | None) -> auditing.Question:
    return auditing.Question.of(recorded_as_of or datetime.now(UTC), in_force_on)


async def last_verification(bootstrap: str, topic: str, window: int = 200) -> dict[str, Any] | None:
    """The latest result of `ksd audit verify --checkpoints FILE --record` on the audit topic (one
    partition), read back from its end a window at a time; None when none was recorded."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            return None
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        begin = (await consumer.beginning_offsets([partition]))[partition]
        end = (await consumer.end_offsets([partition]))[partition]
        while end > begin:
            start = max(begin, end - window)
            consumer.seek(partition, start)
            found: dict[str, Any] | None = None
            while (position := await consumer.position(partition)) < end:
                for record in (await consumer.getmany(partition, timeout_ms=1000)).get(partition, []):
                    event = Envelope.from_kafka(record.headers, record.value)
                    if record.offset < end and event.type == HISTORY_VERIFIED:
                        found = {**event.data, "verified_at": format_time(event.time)}
                if await consumer.position(partition) == position:
                    break
            if found is not None:
                return found
            end = start
        return None
    finally:
        await consumer.stop()


async def agreement_report(conn: asyncpg.Connection, agreement_id: UUID, asked: auditing.Question,
                           since: datetime | None) -> dict[str, Any] | None:
    """One agreement's audit report: its answer to (R, D), its timeline as recorded on R (legal and
    recorded dates, who acted) and, with `since`, what changed from `since` to R."""
    record: AgreementRecord | None = (await store.records(conn, [str(agreement_id)])).get(str(agreement_id))
    if record is None:
        return None
    known = auditing.as_recorded(record, asked.recorded_as_of)
    report = {"subject": {"agreement_id": str(agreement_id)}, "answer": auditing.answer(record, asked),
              "timeline": [auditing.row(s) for s in (known or {"timeline": []})["timeline"]]}
    if since is not None:
        report["changes"] = auditing.changes(record, since, asked)
    return report


async def region_report(conn: asyncpg.Connection, code: str, asked: auditing.Question) -> dict[str, Any]:
    """A region's audit report (a province includes its regencies/cities): each of its agreements
    the register knew on R, with its stage on D."""
    where = store.scoped(store.Where(), code)
    rows = await conn.fetch(f"SELECT record FROM agreements WHERE {where.sql} ORDER BY agreement_id", *where.args)
    return {"subject": {"region": code}, "answer": auditing.region_answer(code, [r["record"] for r in rows], asked)}


@router.get("/v1/audit/agreements/{agreement_id}")
async def audit_agreement(request: Request, caller: Auditor, agreement_id: UUID, recorded_as_of: RecordedAsOf = None,
                          in_force_on: InForceOn = None, changes_since: ChangesSince = None) -> dict[str, Any]:
    """As recorded on R, what was in force on D for one agreement: its stage, the acts in force,
    the reports owed; its timeline as recorded on R; with `changes_since`, what changed up to R."""
    async with request.app.state.pool.acquire() as conn:
        report = await agreement_report(conn, agreement_id, question(recorded_as_of, in_force_on), changes_since)
    if report is None:
        raise Problem(404, "not-found", "Not found", f"Tidak ada kerja sama {agreement_id} dalam register.")
    return report | {"verification": await last_verification(settings().kafka_bootstrap, AUDIT_CHECKPOINTS.name)}


@router.get("/v1/audit/agreements/{agreement_id}/report.html", response_class=HTMLResponse)
async def audit_agreement_page(request: Request, caller: Auditor, agreement_id: UUID,
                               recorded_as_of: RecordedAsOf = None, in_force_on: InForceOn = None,
                               changes_since: ChangesSince = None) -> HTMLResponse:
    """The same report as a page in Bahasa Indonesia, to read or print (`ksd audit report --pdf`)."""
    report = await audit_agreement(request, caller, agreement_id, recorded_as_of, in_force_on, changes_since)
    return HTMLResponse(audit_page.agreement_page(report))


@router.get("/v1/audit/regions/{code}")
async def audit_region(request: Request, caller: Auditor, code: str, recorded_as_of: RecordedAsOf = None,
                       in_force_on: InForceOn = None) -> dict[str, Any]:
    """As recorded on R, what was in force on D for a region's agreements (a province with its
    regencies/cities)."""
    readable_region(caller, code, ("path", "code"))
    async with request.app.state.pool.acquire() as conn:
        report = await region_report(conn, code, question(recorded_as_of, in_force_on))
    return report | {"verification": await last_verification(settings().kafka_bootstrap, AUDIT_CHECKPOINTS.name)}


@router.get("/v1/audit/regions/{code}/report.html", response_class=HTMLResponse)
async def audit_region_page(request: Request, caller: Auditor, code: str, recorded_as_of: RecordedAsOf = None,
                            in_force_on: InForceOn = None) -> HTMLResponse:
    """The region's report as a page in Bahasa Indonesia."""
    return HTMLResponse(audit_page.region_page(await audit_region(request, caller, code, recorded_as_of,
                                                                  in_force_on)))
