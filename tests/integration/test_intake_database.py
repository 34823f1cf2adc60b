"""Intake tells the truth when PostgreSQL fails under a submission, on the real database: before
the commit nothing was written (503 database_unavailable, Retry-After); during the commit the
outcome is uncertain (503 outcome_uncertain); after it the submission stands and is answered.
Each time, resending with the same Idempotency-Key leaves exactly one submission."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest
from conftest import SUFFIX, Platform
from intake_examples import examples
from test_intake_submissions import post

from ksd_common.credentials import Caller
from ksd_common.db import _init_connection, drop_database, migrate, recreate_database
from ksd_common.outbox import RELAY_LOCK
from ksd_common.problems import Problem
from ksd_common.settings import Settings
from ksd_intake.domain import parse
from ksd_intake.handlers import Outcome, submit_parsed

OWN, PARTNER = "35.76", "35.16"
CALLER = Caller(role="regency", region=OWN, actor="token:000000000000")
SCRATCH = f"ksd_intake_faults{SUFFIX}"


def _proposal() -> dict[str, object]:
    return {"type": "agreement.propose", "data": examples(OWN, PARTNER, uuid4())["agreement.propose"].valid}


async def test_a_database_lost_before_the_commit_answers_503_and_nothing_was_written(platform: Platform) -> None:
    token = await platform.token("regency", OWN)
    key, body = str(uuid4()), _proposal()
    blocker, watcher = await platform.database("intake"), await platform.database("intake")
    try:
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE submissions IN EXCLUSIVE MODE")  # intake's INSERT waits here
            sent = asyncio.create_task(post(platform, token, body, key))
            for _ in range(200):  # end intake's backend while it waits, before its commit
                if await watcher.fetchval(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname ="
                        " current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO submissions%'"):
                    break
                await asyncio.sleep(0.05)
            answer = await sent
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"].isdigit()
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["code"] == "database_unavailable" and "Idempotency-Key yang sama" in problem["detail"]
        assert await watcher.fetchval("SELECT count(*) FROM submissions WHERE idempotency_key = $1", key) == 0

        again = await post(platform, token, body, key)  # the resend the answer asks for
        assert again.status_code == 202, again.text
        assert await watcher.fetchval("SELECT count(*) FROM submissions WHERE idempotency_key = $1", key) == 1
    finally:
        await blocker.close()
        await watcher.close()


@pytest.fixture
async def scratch() -> AsyncIterator[str]:
    """An intake database of the test's own (its migrations applied), to break at chosen moments."""
    await recreate_database(SCRATCH)
    dsn = Settings().database_dsn(SCRATCH)
    pool = await _pool(dsn)
    try:
        await migrate(pool, ["ksd_common", "ksd_intake"])
    finally:
        await pool.close()
    yield dsn
    await drop_database(SCRATCH)


async def _pool(dsn: str, **options: object) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1, init=_init_connection, **options)
    assert pool is not None
    return pool


async def _submit(pool: asyncpg.Pool, key: str, body: dict[str, object]) -> Outcome:
    return (await submit_parsed(pool, CALLER, {0: (key, parse(body))}))[0]


async def test_a_connection_lost_after_the_commit_still_answers_202(scratch: str) -> None:
    async def die_on_release(conn: asyncpg.Connection) -> None:
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    key, body = str(uuid4()), _proposal()
    breaking = await _pool(scratch, reset=die_on_release)
    try:
        accepted = await _submit(breaking, key, body)  # the release after the commit fails
    finally:
        breaking.terminate()
    assert accepted.status == "accepted" and accepted.problem is None
    healthy = await _pool(scratch)
    try:
        assert (await _submit(healthy, key, body)).id == accepted.id  # the resend answers the first
        assert await healthy.fetchval("SELECT count(*) FROM submissions") == 1
    finally:
        await healthy.close()


async def test_a_connection_lost_during_the_commit_answers_that_the_outcome_is_uncertain(scratch: str) -> None:
    conn = await asyncpg.connect(scratch)
    try:  # the backend ends itself at COMMIT, when deferred constraint triggers fire
        await conn.execute(
            "CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$;"
            " CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON submissions DEFERRABLE INITIALLY DEFERRED"
            " FOR EACH ROW EXECUTE FUNCTION die_at_commit()")
        key, body = str(uuid4()), _proposal()
        pool = await _pool(scratch)
        try:
            with pytest.raises(Problem) as raised:
                await _submit(pool, key, body)
            assert raised.value.code == "outcome_uncertain" and raised.value.status == 503
            assert raised.value.headers and raised.value.headers["Retry-After"].isdigit()
            await conn.execute("DROP TRIGGER die_at_commit ON submissions")
            resent = await _submit(pool, key, body)  # safe: recorded now, or answered as the first
            assert resent.status == "accepted"
            assert await conn.fetchval("SELECT count(*) FROM submissions WHERE idempotency_key = $1", key) == 1
        finally:
            pool.terminate()
    finally:
        await conn.close()


async def _relay_lock_holder(conn: asyncpg.Connection) -> int | None:
    """The backend holding the outbox relay's advisory lock in this database, if any."""
    holder: int | None = await conn.fetchval(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1"
        " AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        RELAY_LOCK)
    return holder


async def test_a_relay_whose_lock_session_is_cut_takes_the_lock_again_and_publishes(platform: Platform) -> None:
    """The outbox relay holds its lock in a session of its own. Cut that session, as a restart of
    PostgreSQL or a lost connection does, and the relay takes the lock again in a new one and goes on
    publishing: it never publishes without the lock, which keeps a second replica's relay waiting."""
    token = await platform.token("regency", OWN)
    watcher = await platform.database("intake")
    try:
        cut = await _relay_lock_holder(watcher)
        assert cut is not None, "no relay holds its lock"
        await watcher.execute("SELECT pg_terminate_backend($1)", cut)
        holder: int | None = cut
        for _ in range(200):
            holder = await _relay_lock_holder(watcher)
            if holder not in (None, cut):
                break
            await asyncio.sleep(0.05)
        assert holder not in (None, cut), "the relay did not take its lock again"
        answer = await post(platform, token, _proposal())
        assert answer.status_code == 202, answer.text
        for _ in range(200):  # published, then deleted from the outbox
            if not await watcher.fetchval("SELECT count(*) FROM outbox"):
                break
            await asyncio.sleep(0.05)
        assert await watcher.fetchval("SELECT count(*) FROM outbox") == 0
        assert await _relay_lock_holder(watcher) == holder
    finally:
        await watcher.close()
