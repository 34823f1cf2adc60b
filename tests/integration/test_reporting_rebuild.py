"""Read models rebuilt from the log give identical tables: however the events are batched, however
the subjects interleave, and when a batch is delivered twice (PostgreSQL, no broker needed). The
counts and the nation's steps the handlers keep up to date equal a recount from the agreements table
every time."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from uuid import uuid4

import asyncpg
import httpx
import pytest
from conftest import SUFFIX, Platform, ksd
from reporting_history import History, build
from test_intake_submissions import example, post

from ksd_common.db import create_pool, drop_database, migrate, recreate_database
from ksd_contracts.envelope import Envelope
from ksd_reporting.digest import digest, tables
from ksd_reporting.handlers import apply_agreement_events, apply_mapping_events
from ksd_reporting.store import recount, refold

Rebuild = Callable[[list[list[Envelope]]], Awaitable[str]]


@asynccontextmanager
async def fresh_reporting(label: str, max_size: int = 2) -> AsyncIterator[asyncpg.Pool]:
    """A new reporting database with its migrations, dropped afterwards."""
    name = f"ksd_reporting{SUFFIX}_{label}"
    await recreate_database(name)
    pool = await create_pool(name, max_size=max_size)
    try:
        await migrate(pool, ["ksd_common", "ksd_reporting"])
        yield pool
    finally:
        await pool.close()
        await drop_database(name)


@pytest.fixture
async def rebuild() -> AsyncIterator[Rebuild]:
    """`await rebuild(batches)`: apply the batches to a fresh reporting database; its digest."""
    made = 0

    async def run(batches: list[list[Envelope]]) -> str:
        nonlocal made
        made += 1
        async with fresh_reporting(f"rebuild{made}") as pool, pool.acquire() as conn:
            for batch in batches:
                async with conn.transaction():
                    await apply_agreement_events(conn, [e for e in batch if ".agreement." in e.type])
                    await apply_mapping_events(conn, [e for e in batch if ".mapping." in e.type])
            kept = await conn.fetch("SELECT * FROM counts ORDER BY scope, month, dimension, key")
            steps = await conn.fetch("SELECT * FROM nation_steps ORDER BY grain, day, measure, key")
            await recount(conn)
            assert await conn.fetch("SELECT * FROM counts ORDER BY scope, month, dimension, key") == kept
            assert await conn.fetch("SELECT * FROM nation_steps ORDER BY grain, day, measure, key") == steps
            return await digest(pool)

    yield run


def _interleaved(history: History, seed: int) -> list[Envelope]:
    """Every event, each subject's in its order, subjects interleaved at random (as partitions are)."""
    queues = [list(s.events) for s in history.streams]
    rng = random.Random(seed)
    events: list[Envelope] = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        events.append(queue.pop(0))
    return events


def _batches(events: list[Envelope], seed: int) -> list[list[Envelope]]:
    rng = random.Random(seed)
    batches: list[list[Envelope]] = []
    while events:
        size = rng.randint(1, 7)
        batches.append(events[:size])
        events = events[size:]
    return batches


async def test_a_rebuild_gives_the_same_digest_however_the_log_is_batched(rebuild: Rebuild) -> None:
    history = build()
    in_one = await rebuild([_interleaved(history, 0)])
    for seed in (1, 2):
        assert await rebuild(_batches(_interleaved(history, seed), seed)) == in_one


async def test_a_batch_delivered_twice_changes_nothing(rebuild: Rebuild) -> None:
    history = build()
    events = _interleaved(history, 3)
    once = await rebuild([events])
    assert await rebuild([events[:20], events[:30], events[20:], events]) == once
    assert await rebuild([events[:-1]]) != once  # and the digest does see a missing event


async def test_the_digested_tables_keep_built_in_types_only() -> None:
    """The digest hashes each row's binary form, which names every column's type by its OID: a type
    of reporting's own (an enum, a domain) would have another OID in a rebuilt database, and the
    digests of identical read models would differ."""
    async with fresh_reporting("types", max_size=1) as pool, pool.acquire() as conn:
        digested = [table for table, _ in await tables(conn)]
        own = await conn.fetch(
            "SELECT c.relname, a.attname, format_type(a.atttypid, NULL) AS type FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = ANY($1::text[]) AND a.attnum > 0"
            " AND NOT a.attisdropped AND a.atttypid >= 16384", digested)  # FirstNormalObjectId
    assert "agreements" in digested
    assert [dict(r) for r in own] == []


async def test_records_an_older_fold_compiled_are_compiled_again_in_place() -> None:
    """Records whose fold is older than `FOLD_VERSION` (here: their stage lists, status and counts
    spoilt, their fold version removed) are compiled again from their own timelines by `refold`, as
    the service does when it starts: the read models' digest is the live one again."""
    async with fresh_reporting("refold") as pool:
        async with pool.acquire() as conn:
            async with conn.transaction():
                events = _interleaved(build(), 4)
                await apply_agreement_events(conn, [e for e in events if ".agreement." in e.type])
                await apply_mapping_events(conn, [e for e in events if ".mapping." in e.type])
            live = await digest(pool)
            await conn.execute("UPDATE agreements SET status = 'initiated', stage_dates = '{}', stage_names = '{}',"
                               " record = record - 'fold_version'")
            await conn.execute("DELETE FROM counts WHERE dimension = 'kind'")
            assert await digest(pool) != live
        assert await refold(pool) == len(build().agreements)
        assert await refold(pool) == 0
        assert await digest(pool) == live


async def test_admin_refold_folds_every_state_and_record_again_on_demand(platform: Platform) -> None:
    """`ksd admin refold --all`, beside the running services: every agreement state and every
    compiled record is folded again from its own log, and each service says how many."""
    agreement = uuid4()
    token = await platform.token("regency", "64.72")
    proposal = example("regency", "agreement.propose", agreement).valid | {"agreement_id": str(agreement)}
    assert (await post(platform, token, {"type": "agreement.propose", "data": proposal})).status_code == 202
    ministry = {"Authorization": f"Bearer {await platform.token('directorate')}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(240):  # until reporting has it, so both services hold at least this one
            if (await client.get(f"{platform.url['reporting']}/v1/agreements/{agreement}",
                                 headers=ministry)).status_code == 200:
                break
            await asyncio.sleep(0.25)
    counted = {}
    for service in ("agreement", "reporting"):
        conn = await platform.database(service)
        try:
            counted[service] = await conn.fetchval("SELECT count(*) FROM agreements")
        finally:
            await conn.close()
    done = ksd("admin", "refold", "--all")
    assert done.returncode == 0, done.stderr
    said = {line["layanan"]: line for line in map(json.loads, done.stdout.splitlines())}
    assert set(said) == {"agreement", "reporting"}
    for service, n in counted.items():
        assert said[service]["dilipat_ulang"] >= n > 0  # the platform may have taken more since
        assert said[service]["pesan"].endswith("disusun ulang dari riwayatnya")
    assert [json.loads(line)["dilipat_ulang"] for line in ksd("admin", "refold").stdout.splitlines()] == [0, 0]
