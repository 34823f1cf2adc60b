"""Intake's queries on ksd_intake."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

SUBMISSION_COLUMNS = "id, type, status, reasons, agreement_id, request_hash"


async def insert_submission(
    conn: asyncpg.Connection, *, id: UUID, node: str, key: str, request_hash: str, type: str,
    role: str, region: str | None, subject: str, agreement_id: UUID | None,
) -> bool:
    """Record a new submission; False when (node, key) exists already. Waits for a concurrent
    transaction with the same key to finish, so two requests with one key cannot both win."""
    inserted = await conn.fetchval(
        "INSERT INTO submissions (id, node, idempotency_key, request_hash, type, role, region, subject, agreement_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (node, idempotency_key) DO NOTHING RETURNING true",
        id, node, key, request_hash, type, role, region, subject, agreement_id,
    )
    return bool(inserted)


async def submission_by_key(conn: asyncpg.Connection, node: str, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE node = $1 AND idempotency_key = $2", node, key
    )


async def submission(pool: asyncpg.Pool, id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(f"SELECT {SUBMISSION_COLUMNS}, region FROM submissions WHERE id = $1", id)


Answer = tuple[UUID, str, list[dict[str, Any]], UUID | None]


async def record_answers(conn: asyncpg.Connection, answers: list[Answer]) -> None:
    """(submission id, status, reasons, agreement id) from the agreement service, in one statement.
    `rejected` is final; `applied` never overwrites it."""
    if not answers:
        return
    rows = [{"id": str(i), "status": st, "reasons": r, "agreement_id": str(a) if a else None}
            for i, st, r, a in answers]
    await conn.execute(
        "UPDATE submissions s SET status = a.status, reasons = a.reasons,"
        " agreement_id = COALESCE(s.agreement_id, a.agreement_id), answered_at = now()"
        " FROM jsonb_to_recordset($1::jsonb) AS a(id uuid, status text, reasons jsonb, agreement_id uuid)"
        " WHERE s.id = a.id AND s.status <> 'rejected'",
        rows,
    )
