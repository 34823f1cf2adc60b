"""The asyncpg pool, the migrations runner (each service's SQL files, applied once, in order), and
dropping or recreating a database that autovacuum may still be in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import asyncpg
from pydantic_core import from_json, to_json

from ksd_common import access
from ksd_common.settings import settings

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.AdminShutdownError, asyncpg.CrashShutdownError, asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
"""The database, not the request or the event, failed: refused or reset connections, a backend
terminated or restarting, no connection slot left, a timeout. Worth retrying as it was (a node gets
503 with Retry-After, not 500); never a verdict on the data."""


class RetryBatch(Exception):
    """A handler's word that it met a transient conflict (another transaction changed what it
    loaded): nothing was applied, and the same work succeeds when tried again from a fresh load."""


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database failed (DATABASE_UNAVAILABLE) or a transient conflict
    (`RetryBatch`), not the data: asyncpg's DataError (a value it cannot encode) is an
    InterfaceError too, but resending would not help. A consumer redelivers such a batch and never
    parks its events."""
    if isinstance(error, RetryBatch):
        return True
    return isinstance(error, DATABASE_UNAVAILABLE) and not isinstance(error, asyncpg.DataError)


def _jsonb_encode(value: Any) -> bytes:
    """pydantic-core's JSON writer (Rust): a fifth of json.dumps's cost on reporting's records,
    which every batch writes (bench/notes-audit-scale.md); PostgreSQL parses it into jsonb anyway."""
    return b"\x01" + to_json(value)


def _jsonb_decode(raw: bytes) -> Any:
    return from_json(raw[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    """jsonb as Python values, in the binary format so COPY (batched writes) can carry it too."""
    await conn.set_type_codec("jsonb", encoder=_jsonb_encode, decoder=_jsonb_decode, schema="pg_catalog",
                              format="binary")


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg has no type hints
    """A pool's connection, given back without asyncpg's reset statement (advisory unlock, CLOSE
    ALL, UNLISTEN, RESET ALL): that is a round trip on every release, one of the six of a lone
    submission's request and 3.5% of intake's event loop under load. Our pooled work keeps no state
    in the session (transaction-scoped locks and settings only, cursors inside transactions, an
    open transaction is still rolled back by the pool); what does (LISTEN, a session's advisory
    lock) takes its connection with `own_session`, which ends the session instead of giving it back."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(database: str, *, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        settings().database_dsn(database), min_size=1, max_size=max_size, init=_init_connection,
        connection_class=PooledConnection,
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def own_session(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of `pool` for work that leaves state in the session (LISTEN, a session-level
    advisory lock): closed at the end instead of given back, so its listens and locks end with it
    and never reach the next holder (the pool no longer resets a connection it is given back)."""
    async with pool.acquire() as conn:
        try:
            yield conn
        finally:
            conn.terminate()


Session = Callable[[asyncpg.Connection], Awaitable[None]]
"""Work held in a session of its own (`keep_session`): it runs while the connection is open."""


DATABASE_ERRORS: tuple[type[BaseException], ...] = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""Any error of the database or of the way to it: what a long-running loop on the database (the
outbox relay, the redriver) logs and outlives, trying again."""


async def keep_session(pool: asyncpg.Pool, work: Session, name: str, *,
                       failed: Callable[[BaseException], None] = lambda _: None,
                       pause: Callable[[], float] = lambda: 1.0) -> None:
    """`work` in a session of its own (`own_session`) for as long as the task runs. When the session
    is lost (PostgreSQL restarted, the connection cut) its LISTENs and session locks went with it:
    `work` returns (it loops while the connection is open) or raises, and after `pause` seconds a new
    session is taken and `work` begins again, its LISTEN and lock taken anew (the outbox relay's, the
    redriver's). A database error is logged and told to `failed`."""
    while True:
        try:
            async with own_session(pool) as conn:
                await work(conn)
        except DATABASE_ERRORS as error:
            log.warning("%s: its database session failed (%s); taking a new one", name, error)
            failed(error)
        await asyncio.sleep(pause())


async def drop_database(name: str, patience: float = 300) -> None:
    """Drop a database (a rebuild's, a bench's, a test's). FORCE ends our own sessions, but not an
    autovacuum worker that the fresh writes woke (it runs as the superuser), so wait for that one,
    for up to `patience` seconds: after the bench's rebuild of a million events it outlasted the 10 s
    this waited before (29 Nov, the audit section lost)."""
    conn = await asyncpg.connect(settings().server_dsn())
    deadline = asyncio.get_running_loop().time() + patience
    try:
        while True:
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def recreate_database(name: str) -> None:
    """A fresh, empty database under `name` (a test's, a bench's): one left by an earlier run is
    dropped first. A service's (by its name) is owned by the service's role (`ksd_common.access`)."""
    await drop_database(name)
    conn = await asyncpg.connect(settings().server_dsn())
    try:
        await access.create_database(conn, name)
    finally:
        await conn.close()


def _sql_files(package: str) -> list[tuple[str, Traversable]]:
    folder = resources.files(package).joinpath("migrations")
    files = [f for f in folder.iterdir() if f.name.endswith(".sql")]
    return [(f"{package}/{f.name}", f) for f in sorted(files, key=lambda f: f.name)]


async def migrate(pool: asyncpg.Pool, packages: list[str]) -> list[str]:
    """Apply the not-yet-applied SQL files of `packages` (common first), each in its own transaction.

    An advisory lock makes two replicas starting at once apply each file exactly once.
    """
    applied: list[str] = []
    async with own_session(pool) as conn:  # the lock ends with the session
        await conn.execute("SELECT pg_advisory_lock(4242)")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for package in packages:
            for name, file in _sql_files(package):
                if name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(file.read_text(encoding="utf-8"))
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                applied.append(name)
    return applied
