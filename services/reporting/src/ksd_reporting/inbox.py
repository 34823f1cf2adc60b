"""A region's inbox: its reminders (`ksd_reporting.reminders`), read in the caller's scope like every
read (a province sees its regencies/cities' too, the directorate the nation's), marked read by the
region's own operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from ksd_common.auth import CallerDep, RegionScope, found_in_scope, in_scope_sql
from ksd_common.problems import forbidden
from ksd_contracts import labels
from ksd_contracts.language import Words, say

router = APIRouter(tags=["inbox"])
LARGEST_ID = 2**63 - 1
"""A reminder's id is a bigserial: a larger cursor or id is refused by name, not sent to PostgreSQL."""

COLUMNS = "id, region, kind, agreement_id, threshold, day, subject, body, created_at, read_at"


def _item(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"], "region": row["region"], "kind": row["kind"], "kind_name": labels.REMINDERS[row["kind"]],
        "agreement_id": str(row["agreement_id"]), "threshold": row["threshold"],
        "day": row["day"].isoformat() if row["day"] else None,
        "day_text": labels.day(row["day"].isoformat()) if row["day"] else None,
        "subject": row["subject"], "body": row["body"], "created_at": row["created_at"].isoformat(),
        "read_at": row["read_at"].isoformat() if row["read_at"] else None,
    }


@router.get("/v1/inbox")
async def inbox(
    request: Request, scope: RegionScope,
    unread: Annotated[bool, Query(description="Only the reminders not read yet.")] = False,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$", description="Only one kind of reminder.")] = None,
    cursor: Annotated[int | None, Query(ge=1, le=LARGEST_ID, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The reminders of the scope, newest first: expiry (90/60/30/7/0 days), reports due and overdue,
    KSBs without a PKS, KSDD awaiting the region's own report, records the province returned; each
    with its subject and text in Bahasa Indonesia, as mailed. `unread` counts the scope's unread."""
    clauses: list[str] = ["true"]
    args: list[Any] = []
    if scope is not None:
        args.append(scope)
        clauses.append(in_scope_sql("region", f"${len(args)}", scope))  # a province's: migration 0014's index
    scoped = " AND ".join(clauses)
    chosen = list(clauses)
    if unread:
        chosen.append("read_at IS NULL")
    if kind:
        args.append(kind)
        chosen.append(f"kind = ${len(args)}")
    if cursor:
        args.append(cursor)
        chosen.append(f"id < ${len(args)}")
    args.append(limit)
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT {COLUMNS} FROM reminders WHERE {' AND '.join(chosen)}"
                                f" ORDER BY id DESC LIMIT ${len(args)}", *args)
        waiting = await conn.fetchval(f"SELECT count(*) FROM reminders WHERE {scoped} AND read_at IS NULL",
                                      *args[:1 if scope is not None else 0])
    items = [_item(r) for r in rows]
    return {"region": scope, "unread": waiting, "items": items,
            "next_cursor": items[-1]["id"] if len(items) == limit else None}


@router.post("/v1/inbox/{reminder_id}/read", status_code=204, response_class=Response,
             responses={204: {"description": "Marked read"}})
async def mark_read(request: Request, caller: CallerDep,
                    reminder_id: Annotated[int, Path(ge=1, le=LARGEST_ID)]) -> Response:
    """Mark a reminder read: by its own region's callers only (another region in scope, e.g. the
    province, reads it but leaves it unread for the region); outside the scope it does not exist."""
    async with request.app.state.pool.acquire() as conn:
        found = await conn.fetchrow("SELECT id, region FROM reminders WHERE id = $1", reminder_id)
        reminder = found_in_scope(caller, found, lambda r: [r["region"]],
                                  Words(f"pengingat {reminder_id}", f"reminder {reminder_id}"))
        if caller.region != reminder["region"]:
            raise forbidden(say(f"hanya daerah {reminder['region']} yang menandai pengingatnya sudah dibaca",
                                f"only region {reminder['region']} marks its reminders read"))
        await conn.execute("UPDATE reminders SET read_at = coalesce(read_at, now()) WHERE id = $1", reminder_id)
    return Response(status_code=204)
