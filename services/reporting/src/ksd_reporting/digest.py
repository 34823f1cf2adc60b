"""The digest of the read models: equal digests mean equal tables, row for row.

`ksd audit rebuild` rebuilds the read models from the log into a fresh database and compares this
digest with the live one's. (Minimal version; the audit work may replace its body.)
"""

from __future__ import annotations

import hashlib
import json

import asyncpg

READ_MODELS: dict[str, str] = {
    "agreements": "agreement_id", "region_facts": "region", "mapping_flags": "event_id",
    "counts": "scope, dimension, key",
}
"""Every read-model table with its primary key, in a fixed order."""


async def digest(conn: asyncpg.Connection) -> str:
    """SHA-256 over every read-model table's rows, in primary-key order, as canonical JSON."""
    sha = hashlib.sha256()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        for table, key in READ_MODELS.items():
            sha.update(f"{table}\n".encode())
            async for row in conn.cursor(f"SELECT to_jsonb(t)::text AS j FROM {table} t ORDER BY {key}"):
                canonical = json.dumps(json.loads(row["j"]), sort_keys=True, separators=(",", ":"),
                                       ensure_ascii=False)
                sha.update(canonical.encode() + b"\n")
    return sha.hexdigest()
