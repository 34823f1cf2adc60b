"""Connections to PostgreSQL as the settings make them, on the real server: plain over loopback
(TLS there only costs), TLS where asked for (a remote host keeps it configurable); a pool's
connection given back without a statement, a session's own state ended with it."""

from __future__ import annotations

import asyncio

import asyncpg
from conftest import SUFFIX

from ksd_common.db import create_pool, drop_database, own_session, recreate_database
from ksd_common.settings import Settings, settings

SCRATCH = f"ksd_pool{SUFFIX}"


async def _uses_tls(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        used: bool = await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        return used
    finally:
        await conn.close()


async def test_a_loopback_connection_is_plain() -> None:
    assert await _uses_tls(settings().server_dsn()) is False


async def test_tls_when_the_settings_ask_for_it() -> None:
    """Debian's server has TLS on (its snakeoil certificate), so `require` gets it over loopback too."""
    assert await _uses_tls(Settings(pg_sslmode="require").server_dsn()) is True


def test_the_sslmode_rule() -> None:
    remote = "postgresql://ksd:ksd@db.kemendagri.internal:5432"
    assert Settings(pg_dsn="postgresql://k:k@127.0.0.1:5432").server_dsn().endswith("/postgres?sslmode=disable")
    assert Settings(pg_dsn="postgresql://k:k@localhost").database_dsn("x").endswith("/x?sslmode=disable")
    assert Settings(pg_dsn="postgresql://k@/?host=/run/postgresql").database_dsn("x").endswith("sslmode=disable")
    assert Settings(pg_dsn=remote).database_dsn("x") == f"{remote}/x"  # asyncpg's default, prefer
    assert Settings(pg_dsn=remote, pg_sslmode="verify-full").database_dsn("x") == f"{remote}/x?sslmode=verify-full"
    assert Settings(pg_dsn=f"{remote}?sslmode=require", pg_sslmode="disable").database_dsn("x").endswith(
        "?sslmode=require")


async def test_a_pooled_connection_is_given_back_as_left_and_a_sessions_own_state_ends_with_it() -> None:
    """The pool gives a connection back without asyncpg's reset statement (a round trip on every
    release): the backend's last statement is still the work's own. A session's LISTEN and
    advisory lock (the relay's, the redriver's, the migrations') end with its connection instead of
    reaching the next holder."""
    await recreate_database(SCRATCH)
    pool = await create_pool(SCRATCH, max_size=1)
    watcher = await asyncpg.connect(settings().database_dsn(SCRATCH))  # advisory locks are per database
    try:
        async with pool.acquire() as conn:
            worker = await conn.fetchval("SELECT pg_backend_pid() /* the work's own */")
        last = await watcher.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", worker)
        assert last == "SELECT pg_backend_pid() /* the work's own */"

        async with own_session(pool) as conn:
            session = await conn.fetchval("SELECT pg_backend_pid()")
            await conn.execute("LISTEN ksd_pool_test; SELECT pg_advisory_lock(4299)")
        for _ in range(100):  # the backend ends as soon as it reads the closed socket
            if not await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", session):
                break
            await asyncio.sleep(0.05)
        assert await watcher.fetchval("SELECT pg_try_advisory_lock(4299)") is True
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") != session
            assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
    finally:
        await watcher.close()
        await pool.close()
        await drop_database(SCRATCH)
