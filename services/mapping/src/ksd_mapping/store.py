"""Mapping's queries on ksd_mapping."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def save_classifications(conn: asyncpg.Connection, classified: list[dict[str, Any]]) -> None:
    rows = [(UUID(c["agreement_id"]), u, c["method"]) for c in classified for u in c["urusan"]]
    await conn.executemany(
        "INSERT INTO agreement_urusan (agreement_id, urusan, method) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", rows
    )
