"""Connections to PostgreSQL as the settings make them, on the real server: plain over loopback
(TLS there only costs), TLS where asked for (a remote host keeps it configurable)."""

from __future__ import annotations

import asyncpg

from ksd_common.settings import Settings, settings


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
