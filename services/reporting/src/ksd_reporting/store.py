"""Reporting's queries on ksd_reporting."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from ksd_reporting.domain import AgreementRecord


async def records(conn: asyncpg.Connection, ids: list[str]) -> dict[str, AgreementRecord]:
    rows = await conn.fetch("SELECT agreement_id, record FROM agreements WHERE agreement_id = ANY($1::uuid[])",
                            [UUID(i) for i in ids])
    return {str(r["agreement_id"]): r["record"] for r in rows}


async def save(conn: asyncpg.Connection, changed: list[AgreementRecord]) -> None:
    """Upsert the changed records in one statement; the filter columns are taken from the record."""
    if not changed:
        return
    await conn.execute(
        "INSERT INTO agreements (agreement_id, kind, status, title, regions, provinces, urusan, version, record)"
        " SELECT (r->>'agreement_id')::uuid, r->>'kind', r->>'status', r->>'title',"
        " ARRAY(SELECT jsonb_array_elements_text(r->'regions')),"
        " ARRAY(SELECT jsonb_array_elements_text(r->'provinces')),"
        " ARRAY(SELECT jsonb_array_elements_text(r->'urusan')), (r->>'version')::int, r"
        " FROM jsonb_array_elements($1::jsonb) AS r"
        " ON CONFLICT (agreement_id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status,"
        " title = EXCLUDED.title, regions = EXCLUDED.regions, provinces = EXCLUDED.provinces,"
        " urusan = EXCLUDED.urusan, version = EXCLUDED.version, record = EXCLUDED.record",
        changed,
    )


def _scope(region: str | None) -> tuple[str, list[Any]]:
    if region is None:
        return "true", []
    column = "provinces" if len(region) == 2 else "regions"
    return f"$1 = ANY({column})", [region]


async def summary(pool: asyncpg.Pool, region: str | None) -> dict[str, Any]:
    """Counts by kind, status and urusan for the nation, a province (with its regions) or a region."""
    where, args = _scope(region)
    async with pool.acquire() as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM agreements WHERE {where}", *args)
        by_kind = await conn.fetch(f"SELECT kind AS k, count(*) AS n FROM agreements WHERE {where} GROUP BY 1", *args)
        by_status = await conn.fetch(
            f"SELECT status AS k, count(*) AS n FROM agreements WHERE {where} GROUP BY 1", *args)
        by_urusan = await conn.fetch(
            f"SELECT u AS k, count(*) AS n FROM agreements, unnest(urusan) AS u WHERE {where} GROUP BY 1", *args)
    return {
        "region": region, "total": total,
        "by_kind": {r["k"]: r["n"] for r in by_kind},
        "by_status": {r["k"]: r["n"] for r in by_status},
        "by_urusan": {r["k"]: r["n"] for r in by_urusan},
    }
