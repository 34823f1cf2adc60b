"""One SHA-256 over the content of every read model: the live service and `ksd audit rebuild` both
compute it, and an auditor compares the two (ARCHITECTURE.md: a rebuild gives identical results).

Rows are taken in primary-key order, one table after another by name, each as the SHA-256 of its
jsonb text, which PostgreSQL computes: jsonb has one text for one content (its own key order, no
optional whitespace), given the session's time zone and float format, which the digest fixes. (Each
row was parsed and encoded again as canonical JSON in Python: half a digest's time and a tenth of a
rebuild's, for the same determinism.) Bookkeeping that says how the rows were delivered, not what they say,
is left out: the inbox, the outbox, the chain heads, the migrations applied and the credentials;
and so are the regions' reminders and their mails, which record what was sent when.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import asyncpg

from ksd_contracts.envelope import canonical_json

BOOKKEEPING = ("inbox", "outbox", "schema_migrations", "credentials", "chain_heads", "reminders", "reminder_mails")

TOLD_EVERY = 2000
"""Rows hashed between two calls of a digest's `advance` (a progress bar's, in `ksd audit rebuild`)."""


async def _tables(conn: asyncpg.Connection) -> list[tuple[str, list[str]]]:
    """Every read-model table with its primary-key columns (in key order)."""
    rows = await conn.fetch(
        "SELECT c.relname AS name,"
        " ARRAY(SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        "       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        "       WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.n) AS key"
        " FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"
        " WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relname = ANY($1::text[])"
        " ORDER BY c.relname",
        list(BOOKKEEPING),
    )
    return [(r["name"], list(r["key"])) for r in rows]


async def rows(conn: asyncpg.Connection) -> int:
    """How many rows `digest` reads: what a progress bar of it counts to."""
    tables = await _tables(conn)
    return sum([await conn.fetchval(f'SELECT count(*) FROM "{table}"') for table, _ in tables])


async def digest(conn: asyncpg.Connection, advance: Callable[[int], None] | None = None) -> str:
    """The hex SHA-256 of every read model's rows, read in one consistent snapshot; `advance` is
    told of every `TOLD_EVERY` rows hashed."""
    hasher = hashlib.sha256()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute("SET LOCAL TIME ZONE 'UTC'; SET LOCAL extra_float_digits = 1;"
                           " SET LOCAL IntervalStyle = 'iso_8601'")
        for table, key in await _tables(conn):
            order = ", ".join(f'"{c}"' for c in key) or "1"
            hasher.update(canonical_json(["table", table]) + b"\n")
            hashed = 0
            async for row in conn.cursor(f"SELECT sha256(convert_to(to_jsonb(t)::text, 'UTF8')) AS row"
                                         f' FROM "{table}" AS t ORDER BY {order}', prefetch=2000):
                hasher.update(row["row"])
                hashed += 1
                if advance is not None and hashed == TOLD_EVERY:
                    advance(hashed)
                    hashed = 0
            if advance is not None:
                advance(hashed)
    return hasher.hexdigest()
