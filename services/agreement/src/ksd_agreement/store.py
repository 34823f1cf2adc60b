"""The agreement service's queries on ksd_agreement: the event store, the states, the registry
sequences and what the scheduler emitted."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import asyncpg

from ksd_agreement.domain import AgreementState, fold, waiting_for
from ksd_common.db import RetryBatch
from ksd_contracts.envelope import Link
from ksd_contracts.lifecycle import FOLD_VERSION


async def states(conn: asyncpg.Connection, ids: list[UUID]) -> dict[str, AgreementState]:
    """The current state of each agreement of a batch, in one query."""
    rows = await conn.fetch("SELECT agreement_id, state FROM agreements WHERE agreement_id = ANY($1::uuid[])", ids)
    return {str(r["agreement_id"]): AgreementState.from_json(r["state"]) for r in rows}


class ConcurrentChange(RetryBatch):
    """Another transaction saved one of the batch's agreements after this one loaded it: the batch
    is retried from a fresh load (the consumer's transaction rolls back and the records come again)."""


async def append(conn: asyncpg.Connection, events: list[Link], changed: dict[str, AgreementState],
                 loaded: dict[str, int]) -> None:
    """Append the batch's events and save the changed states, each only where the stored version is
    still the one it was loaded at (`loaded`; 0 for an agreement new in this batch): optimistic
    concurrency, so the scheduler racing a consumer batch cannot save a state that misses the
    other's events. A version taken twice also violates the event store's primary key."""
    await conn.copy_records_to_table(
        "agreement_events",
        records=[(UUID(e.subject), e.sequence, e.id, e.type, e.time, link.document)
                 for link in events if (e := link.event)],
        columns=["agreement_id", "version", "event_id", "type", "recorded_at", "envelope"],
    )
    if changed:
        saved = await conn.fetchval(
            "WITH r AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::jsonb[], $4::int[])"
            " AS r(id, v, state, loaded)),"
            " saved AS (INSERT INTO agreements (agreement_id, version, state) SELECT id, v, state FROM r"
            " ON CONFLICT (agreement_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state"
            " WHERE agreements.version = (SELECT loaded FROM r WHERE r.id = agreements.agreement_id) RETURNING 1)"
            " SELECT count(*) FROM saved",
            [UUID(k) for k in changed], [s.version for s in changed.values()], [s.to_json() for s in changed.values()],
            [loaded.get(k, 0) for k in changed],
        )
        if saved != len(changed):
            raise ConcurrentChange(f"{len(changed) - saved} of {len(changed)} agreements changed since loaded")


async def draw_numbers(conn: asyncpg.Connection, prefixes: list[str]) -> list[int]:
    """The next sequence for each prefix, in order (a prefix twice gets two numbers), in one query.
    The row lock holds until the transaction ends, so concurrent batches never share a number."""
    if not prefixes:
        return []
    counts = Counter(prefixes)
    rows = await conn.fetch(
        "INSERT INTO registry_sequences (prefix, last) SELECT * FROM unnest($1::text[], $2::int[])"
        " ON CONFLICT (prefix) DO UPDATE SET last = registry_sequences.last + EXCLUDED.last"
        " RETURNING prefix, last",
        list(counts), list(counts.values()),
    )
    following = {r["prefix"]: r["last"] - counts[r["prefix"]] for r in rows}
    drawn = []
    for prefix in prefixes:
        following[prefix] += 1
        drawn.append(following[prefix])
    return drawn


async def open_states(conn: asyncpg.Connection) -> dict[str, AgreementState]:
    """The agreements time can still act on: signed or running (expired ones may still owe reports)."""
    rows = await conn.fetch("SELECT agreement_id, state FROM agreements"
                            " WHERE state->>'status' IN ('pks_signed', 'running', 'expired')")
    return {str(r["agreement_id"]): AgreementState.from_json(r["state"]) for r in rows}


async def claim_due(conn: asyncpg.Connection, owed: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """Claims each (agreement, what, period) not emitted before, in one query: the claimed ones."""
    if not owed:
        return set()
    rows = await conn.fetch(
        "INSERT INTO schedule_emitted (agreement_id, what, period)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING"
        " RETURNING agreement_id, what, period",
        [UUID(a) for a, _, _ in owed], [w for _, w, _ in owed], [p for _, _, p in owed])
    return {(str(r["agreement_id"]), r["what"], r["period"]) for r in rows}


async def aliases(conn: asyncpg.Connection, ids: list[UUID]) -> dict[str, str]:
    """The agreement each id of a batch was joined to, for the ids that are aliases."""
    rows = await conn.fetch("SELECT alias, agreement_id FROM agreement_aliases WHERE alias = ANY($1::uuid[])", ids)
    return {str(r["alias"]): str(r["agreement_id"]) for r in rows}


async def keyed(conn: asyncpg.Connection, keys: list[str], regions: list[str]) -> dict[str, list[str]]:
    """The agreements registered under each key that wait for a report of one of `regions` (the
    batch's reporting regions), in registration order: the only ones a report may join. Each key
    is locked first (in one order, so two batches cannot deadlock) until the transaction ends: a
    concurrent batch waits, then sees what this one registered.

    Before `waiting`, every agreement of the key was loaded: two regions with 10,000 agreements
    (one side's register imported) made each decision load and scan all of them, 5.3 ms of CPU a
    decision in `test_ten_thousand_rows_are_imported_in_batches`."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) k ORDER BY k",
                       sorted(set(keys)))
    rows = await conn.fetch("SELECT key, agreement_id FROM reconciliation_keys WHERE key = ANY($1::text[])"
                            " AND (waiting IS NULL OR waiting && $2::text[]) ORDER BY position", keys, regions)
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r["key"], []).append(str(r["agreement_id"]))
    return found


async def save_joins(conn: asyncpg.Connection, registered: list[tuple[str, str]], joined: dict[str, str],
                     waiting: dict[str, list[str]]) -> None:
    """The batch's new (key, agreement) registrations, in order, its new aliases, and whom each
    agreement reported in this batch now waits for (`domain.waiting_for`; a region listed is
    separated from the next by a comma, none by an empty text)."""
    if registered:
        await conn.execute("INSERT INTO reconciliation_keys (key, agreement_id, waiting)"
                           " SELECT k, a, string_to_array(w, ',') FROM unnest($1::text[], $2::uuid[], $3::text[])"
                           " WITH ORDINALITY AS t(k, a, w, n) ORDER BY n",
                           [k for k, _ in registered], [UUID(a) for _, a in registered],
                           [",".join(waiting.get(a, [])) for _, a in registered])
    new = {a for _, a in registered}
    if reported := {a: w for a, w in waiting.items() if a not in new}:
        await _set_waiting(conn, reported)
    if joined:
        await conn.execute("INSERT INTO agreement_aliases SELECT * FROM unnest($1::uuid[], $2::uuid[])",
                           [UUID(a) for a in joined], [UUID(c) for c in joined.values()])


async def refold(pool: asyncpg.Pool, chunk: int = 500, *, everything: bool = False) -> int:
    """Fold again, from the event store, every state an older fold wrote (`FOLD_VERSION`; every
    state, `everything`), so that a corrected rule reaches existing agreements; the number of states
    refolded. Each chunk is saved only where the state is still at the version it was folded to, so
    it is safe beside a consumer."""
    async with pool.acquire() as conn:
        stale = [r["agreement_id"] for r in await conn.fetch(
            "SELECT agreement_id FROM agreements WHERE coalesce((state->>'fold_version')::int, 0) < $1",
            FOLD_VERSION + everything)]
    for start in range(0, len(stale), chunk):
        ids = stale[start:start + chunk]
        async with pool.acquire() as conn, conn.transaction():
            streams: dict[UUID, list[tuple[str, dict[str, object]]]] = {i: [] for i in ids}
            for r in await conn.fetch("SELECT agreement_id, type, envelope->'data' AS data FROM agreement_events"
                                      " WHERE agreement_id = ANY($1::uuid[]) ORDER BY agreement_id, version", ids):
                streams[r["agreement_id"]].append((r["type"], r["data"]))
            states = {i: state for i, events in streams.items() if (state := fold(events)) is not None}
            await conn.execute(
                "UPDATE agreements a SET state = s.state FROM unnest($1::uuid[], $2::int[], $3::jsonb[])"
                " AS s(id, version, state) WHERE a.agreement_id = s.id AND a.version = s.version",
                list(states), [s.version for s in states.values()], [s.to_json() for s in states.values()])
    await _fill_waiting(pool, chunk)
    return len(stale)


async def _fill_waiting(pool: asyncpg.Pool, chunk: int) -> None:
    """Whom each registered agreement waits for, where migration 0005 left it unknown (NULL), from
    its stored state by `domain.waiting_for`, the rule the batches keep it by. A refused proposal's
    key (no state) waits for no one."""
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT r.agreement_id, a.state FROM reconciliation_keys r LEFT JOIN agreements a USING (agreement_id)"
                " WHERE r.waiting IS NULL LIMIT $1 FOR UPDATE OF r", chunk)
            if not rows:
                return
            await _set_waiting(conn, {str(r["agreement_id"]): waiting_for(
                AgreementState.from_json(r["state"]) if r["state"] else None) for r in rows})


async def _set_waiting(conn: asyncpg.Connection, waiting: dict[str, list[str]]) -> None:
    await conn.execute("UPDATE reconciliation_keys r SET waiting = string_to_array(t.w, ',')"
                       " FROM unnest($1::uuid[], $2::text[]) AS t(a, w) WHERE r.agreement_id = t.a",
                       [UUID(a) for a in waiting], [",".join(w) for w in waiting.values()])
