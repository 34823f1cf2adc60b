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

from ksd_common.access import principal
from ksd_common.auth import Auditor, readable_region
from ksd_common.params import IsoDay, IsoInstant
from ksd_common.problems import invalid, not_found
from ksd_common.settings import settings
from ksd_contracts.envelope import Envelope, format_time
from ksd_contracts.events import HISTORY_VERIFIED
from ksd_contracts.language import say
from ksd_contracts.topics import AUDIT_CHECKPOINTS
from ksd_reporting import audit_page, auditing, store

router = APIRouter(tags=["audit"])

RecordedAsOf = Annotated[IsoInstant | None, Query(
    description="Recorded as of R: an RFC 3339 time, or YYYY-MM-DD (the end of that day, WIB). Default: now.")]
InForceOn = Annotated[IsoDay | None, Query(description="In force on D, YYYY-MM-DD. Default: R's day (WIB).")]
ChangesSince = Annotated[IsoInstant | None, Query(
    description="Also list what was recorded after this time up to R (added, corrected, withdrawn).")]


def question(recorded_as_of: datetime | None, in_force_on: date | None) -> auditing.Question:
    return auditing.Question.of(recorded_as_of or datetime.now(UTC), in_force_on)


async def recorded_verification() -> dict[str, Any] | None:
    """The last verification on the audit topic, read as reporting's own principal."""
    return await last_verification(settings().kafka_options(principal("reporting")), AUDIT_CHECKPOINTS.name)


async def last_verification(kafka: dict[str, Any], topic: str, window: int = 200) -> dict[str, Any] | None:
    """The latest result of `ksd audit verify --checkpoints FILE --record` on the audit topic (one
    partition), read back from its end a window at a time; None when none was recorded. `kafka`:
    the reader's client options (`Settings.kafka_options`)."""
    consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False, group_id=None)
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
    record = await store.record(conn, agreement_id)
    if record is None:
        return None
    known = auditing.as_recorded(record, asked.recorded_as_of)
    report = {"subject": {"agreement_id": str(agreement_id)}, "answer": auditing.answer(record, asked),
              "timeline": [auditing.row(s) for s in (known or {"timeline": []})["timeline"]]}
    if since is not None:
        report["changes"] = auditing.changes(record, since, asked)
    return report


REPORT_ORDER = 'coalesce(registry_number, \'\') COLLATE "C", agreement_id'
"""The order of a region's or the nation's report: by registry number (as Python compares text),
then id; the page cursor is the last agreement listed."""


async def region_report(conn: asyncpg.Connection, code: str | None, asked: auditing.Question,
                        cursor: UUID | None = None, limit: int | None = None) -> dict[str, Any]:
    """A region's audit report (a province includes its regencies/cities), or without `code` the
    nation's: its agreements the register knew on R with their stage on D, `limit` of them after
    `cursor` (all without `limit`), and the count per stage over the whole scope. The records are
    read through a server-side cursor, so the nation is answered in bounded memory."""
    where = store.scoped(store.Where(), code)
    tally = auditing.ScopeAnswer(code, asked, limit)
    after = await _position(conn, cursor)
    async with conn.transaction():
        async for row in conn.cursor(f"SELECT record, coalesce(registry_number, '') AS number FROM agreements"
                                     f" WHERE {where.sql} ORDER BY {REPORT_ORDER}", *where.args, prefetch=1000):
            record = row["record"]
            tally.add(record, after is None or (row["number"], record["agreement_id"]) > after)
    subject: dict[str, Any] = {"region": code} if code is not None else {"nation": True}
    return {"subject": subject, "answer": tally.to_json()}


async def _position(conn: asyncpg.Connection, cursor: UUID | None) -> tuple[str, str] | None:
    """Where a page cursor (the last agreement of the previous page) stands in the report's order."""
    if cursor is None:
        return None
    number = await conn.fetchval("SELECT coalesce(registry_number, '') FROM agreements WHERE agreement_id = $1",
                                 cursor)
    if number is None:
        raise invalid([{"loc": ["query", "cursor"], "code": "invalid_cursor",
                        "msg": say(f"{cursor} bukan kerja sama dalam register: gunakan next_cursor halaman sebelumnya.",
                                   f"{cursor} is no agreement of the register: use the previous page's next_cursor.")}])
    return number, str(cursor)


@router.get("/v1/audit/agreements/{agreement_id}")
async def audit_agreement(request: Request, caller: Auditor, agreement_id: UUID, recorded_as_of: RecordedAsOf = None,
                          in_force_on: InForceOn = None, changes_since: ChangesSince = None) -> dict[str, Any]:
    """As recorded on R, what was in force on D for one agreement: its stage, the acts in force,
    the reports owed; its timeline as recorded on R; with `changes_since`, what changed up to R."""
    async with request.app.state.pool.acquire() as conn:
        report = await agreement_report(conn, agreement_id, question(recorded_as_of, in_force_on), changes_since)
    if report is None:
        raise not_found(say(f"Tidak ada kerja sama {agreement_id} dalam register.",
                            f"There is no agreement {agreement_id} in the register."))
    return report | {"verification": await recorded_verification()}


@router.get("/v1/audit/agreements/{agreement_id}/report.html", response_class=HTMLResponse)
async def audit_agreement_page(request: Request, caller: Auditor, agreement_id: UUID,
                               recorded_as_of: RecordedAsOf = None, in_force_on: InForceOn = None,
                               changes_since: ChangesSince = None) -> HTMLResponse:
    """The same report as a page in Bahasa Indonesia, to read or print (`ksd audit report --pdf`)."""
    report = await audit_agreement(request, caller, agreement_id, recorded_as_of, in_force_on, changes_since)
    return HTMLResponse(audit_page.agreement_page(report))


Cursor = Annotated[UUID | None, Query(description="`next_cursor` of the previous page.")]


@router.get("/v1/audit/regions/{code}")
async def audit_region(request: Request, caller: Auditor, code: str, recorded_as_of: RecordedAsOf = None,
                       in_force_on: InForceOn = None, cursor: Cursor = None,
                       limit: Annotated[int | None, Query(ge=1, le=5000, description=(
                           "Agreements per page (all when not given); `next_cursor` fetches the next."))] = None,
                       ) -> dict[str, Any]:
    """As recorded on R, what was in force on D for a region's agreements (a province with its
    regencies/cities), a page at a time with `limit`; the count per stage is over the region."""
    readable_region(caller, code, ("path", "code"))
    return await _scope(request, code, question(recorded_as_of, in_force_on), cursor, limit)


@router.get("/v1/audit/nation")
async def audit_nation(request: Request, caller: Auditor, recorded_as_of: RecordedAsOf = None,
                       in_force_on: InForceOn = None, cursor: Cursor = None,
                       limit: Annotated[int, Query(ge=1, le=5000, description="Agreements per page.")] = 500,
                       ) -> dict[str, Any]:
    """As recorded on R, what was in force on D for every agreement of the nation, a page at a time;
    the count per stage and the total are over the nation."""
    return await _scope(request, None, question(recorded_as_of, in_force_on), cursor, limit)


async def _scope(request: Request, code: str | None, asked: auditing.Question, cursor: UUID | None,
                 limit: int | None) -> dict[str, Any]:
    async with request.app.state.pool.acquire() as conn:
        report = await region_report(conn, code, asked, cursor, limit)
    return report | {"verification": await recorded_verification()}


@router.get("/v1/audit/regions/{code}/report.html", response_class=HTMLResponse)
async def audit_region_page(request: Request, caller: Auditor, code: str, recorded_as_of: RecordedAsOf = None,
                            in_force_on: InForceOn = None, cursor: Cursor = None,
                            limit: Annotated[int | None, Query(ge=1, le=5000)] = None) -> HTMLResponse:
    """The region's report as a page in Bahasa Indonesia."""
    return HTMLResponse(audit_page.region_page(await audit_region(request, caller, code, recorded_as_of,
                                                                  in_force_on, cursor, limit)))


@router.get("/v1/audit/nation/report.html", response_class=HTMLResponse)
async def audit_nation_page(request: Request, caller: Auditor, recorded_as_of: RecordedAsOf = None,
                            in_force_on: InForceOn = None, cursor: Cursor = None,
                            limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> HTMLResponse:
    """The nation's report as a page in Bahasa Indonesia, a page of agreements at a time."""
    return HTMLResponse(audit_page.region_page(await audit_nation(request, caller, recorded_as_of, in_force_on,
                                                                  cursor, limit)))
