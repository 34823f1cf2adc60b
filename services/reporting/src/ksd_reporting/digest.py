"""One SHA-256 over the content of every read model: the live service and `ksd audit rebuild` both
compute it, and an auditor compares the two (ARCHITECTURE.md: a rebuild gives identical results).

Rows are taken in primary-key order, one table after another by name, each as the SHA-256 of its
binary form (`record_send`: every column's type and its value as PostgreSQL sends it to a client
asking for binary), which PostgreSQL computes: jsonb has one form for one content (its own key
order, no optional whitespace), and every other type's binary form is its value, whatever the
session's time zone, date style or float format; text is sent in the client's encoding, which the
digest fixes. Each type is named by its OID, so the read models keep built-in types only: a type of
their own would have another OID in a rebuilt database (the rebuild test compares a live digest and
a rebuilt one). (Each row was parsed and encoded again as canonical JSON in Python: half a digest's
time and a tenth of a rebuild's, for the same determinism; then made a jsonb of its columns and
written out as text, a third more than its binary form.) Bookkeeping that says how the rows were
delivered, not what they say, is left out: the inbox, the outbox, the chain heads, the migrations
applied and the credentials; and so are the regions' reminders and their mails, which record what
was sent when.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg

from ksd_contracts.envelope import canonical_json

BOOKKEEPING = ("inbox", "outbox", "schema_migrations", "credentials", "chain_heads", "reminders", "reminder_mails")

TOLD_EVERY = 2000
"""Rows hashed between two calls of a digest's `advance` (a progress bar's, in `ksd audit rebuild`)."""


async def tables(conn: asyncpg.Connection) -> list[tuple[str, list[str]]]:
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


SETTINGS = "SET LOCAL client_encoding = 'UTF8'"
"""What fixes the binary form of a row (its text columns' encoding) in a digest's transactions."""

SHARED_FROM_ROWS = 20_000
"""A table of at least this many rows is hashed by all of a digest's connections at once, each a
range of its key; a smaller one by the first alone."""


@asynccontextmanager
async def _joined(pool: asyncpg.Pool, snapshot: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of `pool` in a read-only transaction that sees the exported `snapshot`."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        await conn.execute(SETTINGS)
        yield conn


async def _bounds(conn: asyncpg.Connection, table: str, order: str, parts: int, count: int) -> list[asyncpg.Record]:
    """The keys that cut `table` of `count` rows into `parts` ranges of about as many rows (none for
    a small table)."""
    if parts == 1 or order == "1" or count < SHARED_FROM_ROWS:  # one part, or no key to cut it by
        return []
    return [await conn.fetchrow(f'SELECT {order} FROM "{table}" ORDER BY {order} OFFSET $1 LIMIT 1',
                                count * i // parts) for i in range(1, parts)]


async def _hashed(conn: asyncpg.Connection, table: str, order: str, low: asyncpg.Record | None,
                  high: asyncpg.Record | None, into: Callable[[bytes], object],
                  advance: Callable[[int], None] | None) -> None:
    """The SHA-256 of each row of `table` with a key from `low` up to `high` (open ends when None), in
    key order, each given to `into`."""
    where: list[str] = []
    args: list[object] = []
    for bound, op in ((low, ">="), (high, "<")):
        if bound is not None:
            marks = ", ".join(f"${len(args) + i + 1}" for i in range(len(bound)))
            where.append(f"({order}) {op} ({marks})")
            args += list(bound)
    hashed = 0
    async for row in conn.cursor(f"SELECT sha256(record_send(t)) AS row FROM \"{table}\" AS t"
                                 f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order}", *args,
                                 prefetch=2000):
        into(row["row"])
        hashed += 1
        if advance is not None and hashed == TOLD_EVERY:
            advance(hashed)
            hashed = 0
    if advance is not None:
        advance(hashed)


async def digest(pool: asyncpg.Pool, advance: Callable[[int], None] | None = None, parts: int = 1, *,
                 sized: Callable[[int], None] | None = None) -> str:
    """The hex SHA-256 of every read model's rows, read in one consistent snapshot; `sized` is told
    how many rows that is before any is hashed, `advance` of every `TOLD_EVERY` rows hashed (a
    progress bar's). Each table is counted once, in the snapshot (a rebuild's digest counted its
    largest table twice, half a second at a million events). `parts` connections of `pool` share each large table
    by ranges of its key, all in the first one's snapshot (exported), and the ranges' row hashes
    are taken in key order: the same digest as one connection's, in about 1/parts of the time
    where PostgreSQL has the cores (at a million events a single connection's digest was an eighth
    of a rebuild, alone after the feed)."""
    hasher = hashlib.sha256()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True), \
            AsyncExitStack() as helpers:
        await conn.execute(SETTINGS)
        connections = [conn]
        if parts > 1:
            snapshot: str = await conn.fetchval("SELECT pg_export_snapshot()")
            connections += [await helpers.enter_async_context(_joined(pool, snapshot)) for _ in range(parts - 1)]
        listed = await tables(conn)
        counts = {table: await conn.fetchval(f'SELECT count(*) FROM "{table}"') if sized or parts > 1 else 0
                  for table, _ in listed}
        if sized is not None:
            sized(sum(counts.values()))
        for table, key in listed:
            order = ", ".join(f'"{c}"' for c in key) or "1"
            hasher.update(canonical_json(["table", table]) + b"\n")
            cuts: list[asyncpg.Record | None] = [None, *await _bounds(conn, table, order, parts, counts[table]),
                                                 None]
            later: list[list[bytes]] = [[] for _ in cuts[2:]]  # the first range goes straight in
            await asyncio.gather(*(
                _hashed(c, table, order, low, high, into, advance)
                for c, low, high, into in zip(connections, cuts, cuts[1:], [hasher.update, *(p.append for p in later)],
                                              strict=False)))
            for hashes in later:
                hasher.update(b"".join(hashes))
    return hasher.hexdigest()
