"""Intake's queries on ksd_intake: each a single statement over a whole batch."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from ksd_common.auth import in_scope_sql
from ksd_common.credentials import Caller
from ksd_intake.domain import Submission, Superseded

SUBMISSION_COLUMNS = "id, type, status, reasons, agreement_id, request_hash, actor"


@dataclass
class NewSubmission:
    """A submission about to be recorded, with the ids intake gave it."""

    id: UUID
    key: str
    submission: Submission
    agreement_id: UUID | None = field(default=None)

    def __post_init__(self) -> None:
        self.agreement_id = self.agreement_id or self.submission.agreement_id

    @property
    def subject(self) -> str | None:
        """Its stream: the region code of a declaration, else the agreement id (None until a new
        agreement has its id)."""
        if self.submission.region_code is not None:
            return self.submission.region_code
        return str(self.agreement_id) if self.agreement_id else None

    @property
    def stream(self) -> str:
        assert self.subject is not None, "a new agreement gets its id before it is recorded"
        return self.subject


async def insert_submissions(conn: asyncpg.Connection, new: list[tuple[Caller, NewSubmission]]) -> set[UUID]:
    """Record the new submissions, each with its caller (a group commit joins several callers');
    returns the ids inserted (a (node, key) that exists already is left alone). Rows go in (node,
    key) order, so two transactions sharing keys cannot deadlock; a concurrent transaction with the
    same key is waited for, so two requests with one key cannot both win."""
    rows = sorted(new, key=lambda r: (r[0].node, r[1].key))
    inserted = await conn.fetch(
        "INSERT INTO submissions (id, node, idempotency_key, request_hash, type, role, region, subject, agreement_id,"
        " actor) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
        " $7::text[], $8::text[], $9::uuid[], $10::text[])"
        " ON CONFLICT (node, idempotency_key) DO NOTHING RETURNING id",
        [n.id for _, n in rows], [c.node for c, _ in rows], [n.key for _, n in rows],
        [n.submission.request_hash for _, n in rows], [n.submission.type for _, n in rows],
        [c.role for c, _ in rows], [c.region for c, _ in rows], [n.stream for _, n in rows],
        [n.agreement_id for _, n in rows], [c.actor for c, _ in rows],
    )
    return {r["id"] for r in inserted}


async def submissions_by_key(conn: asyncpg.Connection,
                             keys: list[tuple[str, str]]) -> dict[tuple[str, str], asyncpg.Record]:
    """The recorded submissions of these (node, Idempotency-Key) pairs."""
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT s.* FROM submissions s JOIN unnest($1::text[], $2::text[]) AS k(node, key)"
        " ON s.node = k.node AND s.idempotency_key = k.key",
        [n for n, _ in keys], [k for _, k in keys],
    )
    return {(r["node"], r["idempotency_key"]): r for r in rows}


async def submission(pool: asyncpg.Pool, id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(f"SELECT {SUBMISSION_COLUMNS}, region FROM submissions WHERE id = $1", id)


async def submissions_of(pool: asyncpg.Pool, scope: str | None, status: str | None, cursor: UUID | None,
                         limit: int) -> list[asyncpg.Record]:
    """The submissions of a region (a province's with its regencies'/cities'; every region's for
    None), newest first, after `cursor` (the last id of the previous page)."""
    where: list[str] = ["true"]
    args: list[Any] = [limit]
    if scope is not None:
        args.append(scope)
        where.append(in_scope_sql("region", "$2", scope))  # a province's: migration 0006's index
    if status is not None:
        args.append(status)
        where.append(f"status = ${len(args)}")
    if cursor is not None:
        args.append(cursor)
        where.append(f"(accepted_at, id) < (SELECT accepted_at, id FROM submissions WHERE id = ${len(args)})")
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT {SUBMISSION_COLUMNS}, region, idempotency_key, accepted_at, answered_at FROM submissions"
        f" WHERE {' AND '.join(where)} ORDER BY accepted_at DESC, id DESC LIMIT $1", *args)
    return rows


async def superseded(conn: asyncpg.Pool | asyncpg.Connection, ids: Collection[UUID]) -> dict[UUID, Superseded]:
    """The submissions that corrections name, by id."""
    if not ids:
        return {}
    rows = await conn.fetch("SELECT id, type, agreement_id FROM submissions WHERE id = ANY($1::uuid[])", list(ids))
    return {r["id"]: Superseded(r["type"], r["agreement_id"]) for r in rows}


async def known_submissions(conn: asyncpg.Connection, ids: Collection[UUID]) -> set[UUID]:
    """Those of `ids` that are submissions recorded here."""
    if not ids:
        return set()
    rows = await conn.fetch("SELECT id FROM submissions WHERE id = ANY($1::uuid[])", list(ids))
    return {r["id"] for r in rows}


async def parties(conn: asyncpg.Pool | asyncpg.Connection, agreements: Collection[UUID]) -> dict[UUID, list[str]]:
    """The party regions of those agreements intake has seen proposed."""
    if not agreements:
        return {}
    rows = await conn.fetch(
        "SELECT agreement_id, regions FROM agreement_parties WHERE agreement_id = ANY($1::uuid[])", list(agreements))
    return {r["agreement_id"]: list(r["regions"]) for r in rows}


async def agreements_known(pool: asyncpg.Pool, agreements: Collection[UUID | None]) -> set[UUID]:
    """Those of `agreements` intake has seen proposed (so the other services have them on record)."""
    wanted = [a for a in set(agreements) if a is not None]
    if not wanted:
        return set()
    rows = await pool.fetch("SELECT DISTINCT agreement_id FROM agreement_parties WHERE agreement_id = ANY($1::uuid[])",
                            wanted)
    return {r["agreement_id"] for r in rows}


async def record_parties(conn: asyncpg.Connection, parties: dict[UUID, list[str]]) -> None:
    if parties:
        await conn.execute(
            "INSERT INTO agreement_parties (agreement_id, regions)"
            " SELECT a, string_to_array(r, ',') FROM unnest($1::uuid[], $2::text[]) AS p(a, r)"
            " ON CONFLICT (agreement_id) DO UPDATE SET regions = EXCLUDED.regions",
            list(parties), [",".join(r) for r in parties.values()],
        )


Answer = tuple[UUID, str, list[dict[str, Any]], UUID | None]
ANSWER_RANK: dict[str, int] = {"accepted": 0, "held": 1, "applied": 2, "rejected": 3}
"""Which status may replace which: only one of equal or higher rank."""


async def record_answers(conn: asyncpg.Connection, answers: list[Answer]) -> None:
    """(submission id, status, reasons, joined agreement id) from the agreement or mapping service,
    in one statement. A status replaces only a weaker one (ANSWER_RANK): `rejected` is final,
    `applied` never goes back, and `held` (the service parked it) never hides an answer, whichever
    order they arrive in (a held notice is keyed by the submission, so on another partition than
    the answer). The agreement id, when given, is the one the submission's report was joined to,
    and replaces the id it came with."""
    if not answers:
        return
    rows: dict[UUID, dict[str, Any]] = {}
    for i, st, r, a in answers:  # one row per submission: UPDATE ... FROM applies only one of several
        row = rows.setdefault(i, {"id": str(i), "status": st, "reasons": r, "agreement_id": None})
        if ANSWER_RANK[st] > ANSWER_RANK[row["status"]]:
            row.update(status=st, reasons=r)
        row["agreement_id"] = str(a) if a else row["agreement_id"]
    await conn.execute(
        "UPDATE submissions s SET status = a.status, reasons = a.reasons,"
        " agreement_id = COALESCE(a.agreement_id, s.agreement_id), answered_at = now()"
        " FROM jsonb_to_recordset($1::jsonb) AS a(id uuid, status text, reasons jsonb, agreement_id uuid)"
        " WHERE s.id = a.id AND s.status <> 'rejected'"
        " AND ($2::jsonb ->> a.status)::int >= ($2::jsonb ->> s.status)::int",
        list(rows.values()), ANSWER_RANK,
    )


# --- register rows ---------------------------------------------------------------------------------

async def register_rows(conn: asyncpg.Connection, region: str, keys: Collection[str]) -> dict[str, UUID]:
    """The agreements that rows of `region` with these keys created."""
    rows = await conn.fetch("SELECT row_key, agreement_id FROM register_rows WHERE region = $1"
                            " AND row_key = ANY($2::text[])", region, list(keys))
    return {r["row_key"]: r["agreement_id"] for r in rows}


async def record_register_rows(conn: asyncpg.Connection, region: str, rows: dict[str, UUID]) -> None:
    if rows:
        await conn.execute("INSERT INTO register_rows SELECT $1, k, a FROM unnest($2::text[], $3::uuid[]) AS r(k, a)"
                           " ON CONFLICT DO NOTHING", region, list(rows), list(rows.values()))


async def proposed_by(conn: asyncpg.Connection, node: str, agreements: Collection[UUID]) -> set[UUID]:
    """Those of `agreements` this node proposed."""
    rows = await conn.fetch("SELECT agreement_id FROM submissions WHERE node = $1 AND type = 'agreement.propose'"
                            " AND agreement_id = ANY($2::uuid[])", node, list(agreements))
    return {r["agreement_id"] for r in rows}


async def imported_steps(conn: asyncpg.Connection, node: str, agreements: Collection[UUID]) -> list[asyncpg.Record]:
    """The submissions this node's register uploads made for these agreements, oldest first."""
    return list(await conn.fetch(
        "SELECT id, type, agreement_id, idempotency_key, status FROM submissions WHERE node = $1"
        " AND agreement_id = ANY($2::uuid[]) AND idempotency_key LIKE 'import:%' ORDER BY accepted_at, id",
        node, list(agreements)))
