"""Mapping's queries on ksd_mapping."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def save_classifications(conn: asyncpg.Connection, classified: list[dict[str, Any]]) -> None:
    """All of a batch's classifications in one statement."""
    rows = [(UUID(c["agreement_id"]), u, c["method"]) for c in classified for u in c["urusan"]]
    if rows:
        ids, urusan, methods = zip(*rows, strict=True)
        await conn.execute(
            "INSERT INTO agreement_urusan (agreement_id, urusan, method)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            list(ids), list(urusan), list(methods),
        )
