"""`ksd admin dlq list | show | redrive`: the events a service parked (ksd_common.parking).

The command reads the service's own `parked` table and, for a redrive, marks the streams of the
chosen events and wakes the service: the service applies them with its own handler (the fixed
release), each claimed in its inbox only as it applies, so a redrive twice applies nothing twice.
Output is one JSON object per line, with a stable `code` and a `pesan` for people.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from ksd_common.db import create_pool
from ksd_common.parking import REDRIVE_CHANNEL
from ksd_contracts.envelope import Envelope
from ksd_contracts.topics import NAMESPACE

COLUMNS = ("event_id, topic, event_type, subject, origin_partition, origin_offset, error, behind, attempts,"
           " parked_at, redrive_requested_at, resolved_at, resolution")


@dataclass(frozen=True)
class Filters:
    """Which parked events: by topic (with or without the test prefix), error text, event ids."""

    topic: str | None = None
    error: str | None = None
    ids: tuple[UUID, ...] = ()
    resolved: bool = False

    def where(self) -> tuple[str, list[Any]]:
        """A WHERE clause over `parked` and its arguments."""
        clauses = [] if self.resolved else ["resolved_at IS NULL"]
        args: list[Any] = []
        if self.topic:
            args += [self.topic, NAMESPACE + self.topic]
            clauses.append(f"topic IN (${len(args) - 1}, ${len(args)})")
        if self.error:
            args.append(f"%{self.error}%")
            clauses.append(f"error ILIKE ${len(args)}")
        if self.ids:
            args.append(list(self.ids))
            clauses.append(f"event_id = ANY(${len(args)}::uuid[])")
        return " AND ".join(clauses) or "TRUE", args


def _json(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, UUID) else v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in dict(row).items()}


def _print(line: dict[str, Any]) -> None:
    print(json.dumps(line, ensure_ascii=False, default=str), flush=True)


async def list_parked(conn: asyncpg.Connection, filters: Filters) -> list[dict[str, Any]]:
    where, args = filters.where()
    rows = await conn.fetch(f"SELECT {COLUMNS} FROM parked WHERE {where} ORDER BY id", *args)
    return [_json(r) for r in rows]


async def show(conn: asyncpg.Connection, event_id: UUID) -> dict[str, Any] | None:
    """One parked event with its envelope (as the service received it)."""
    row = await conn.fetchrow(f"SELECT {COLUMNS}, value, headers FROM parked WHERE event_id = $1"
                              " ORDER BY id DESC LIMIT 1", event_id)
    if row is None:
        return None
    found = _json(row)
    del found["value"], found["headers"]
    envelope = Envelope.from_kafka([(k, v.encode()) for k, v in row["headers"]], row["value"])
    found["envelope"] = envelope.model_dump(mode="json")
    return found


async def redrive(pool: asyncpg.Pool, filters: Filters, *, wait: float) -> list[dict[str, Any]]:
    """Mark the whole streams of the chosen events (their later events parked behind them) and wake
    the service; wait until it has tried each; the outcome of every marked event."""
    where, args = filters.where()
    async with pool.acquire() as conn, conn.transaction():
        marked: list[UUID] = [r["event_id"] for r in await conn.fetch(
            "UPDATE parked SET redrive_requested_at = now() WHERE resolved_at IS NULL AND (topic, subject) IN"
            f" (SELECT topic, subject FROM parked WHERE {where} AND resolved_at IS NULL) RETURNING event_id",
            *args)]
        await conn.execute("SELECT pg_notify($1, '')", REDRIVE_CHANNEL)
    if not marked:
        return []
    deadline = asyncio.get_running_loop().time() + wait
    while asyncio.get_running_loop().time() < deadline:
        waiting = await pool.fetchval("SELECT count(*) FROM parked WHERE event_id = ANY($1::uuid[])"
                                      " AND resolved_at IS NULL AND redrive_requested_at IS NOT NULL", marked)
        if not waiting:
            break
        await asyncio.sleep(0.25)
    rows = await pool.fetch(f"SELECT {COLUMNS} FROM parked WHERE event_id = ANY($1::uuid[]) ORDER BY id", marked)
    return [_outcome(_json(r)) for r in rows]


def _outcome(row: dict[str, Any]) -> dict[str, Any]:
    """What became of one marked event, for people and for scripts."""
    if row["resolution"] == "applied":
        code, message = "dlq.applied", "Diterapkan sekali."
    elif row["resolution"] == "duplicate":
        code, message = "dlq.duplicate", "Sudah diterapkan sebelumnya; tidak diterapkan lagi."
    elif row["redrive_requested_at"] is not None:
        code, message = "dlq.pending", "Belum dicoba oleh layanan (layanan tidak berjalan?); permintaan tetap tercatat."
    else:
        code, message = "dlq.still_parked", f"Masih ditahan: {row['error']}"
    return {"event_id": row["event_id"], "topic": row["topic"], "subject": row["subject"], "code": code,
            "pesan": message}


async def _run(args: argparse.Namespace) -> int:
    filters = Filters(getattr(args, "topic", None), getattr(args, "error", None),
                      tuple(getattr(args, "id", None) or ()), getattr(args, "all", False))
    pool = await create_pool(f"ksd_{args.service}", max_size=2)
    try:
        if args.dlq_command == "list":
            async with pool.acquire() as conn:
                for line in await list_parked(conn, filters):
                    _print(line)
            return 0
        if args.dlq_command == "show":
            async with pool.acquire() as conn:
                found = await show(conn, args.event_id)
            if found is None:
                raise ValueError(f"tidak ada peristiwa {args.event_id} yang ditahan di {args.service} (dlq.not_found)")
            _print(found)
            return 0
        outcomes = await redrive(pool, filters, wait=args.wait)
        if not outcomes:
            _print({"code": "dlq.nothing", "pesan": "Tidak ada peristiwa tertahan yang cocok; tidak ada yang diubah."})
        for line in outcomes:
            _print(line)
        left = sum(1 for o in outcomes if o["code"] in ("dlq.pending", "dlq.still_parked"))
        if left:
            print(f"ksd: {left} peristiwa masih ditahan", file=sys.stderr)
        return 1 if left else 0
    finally:
        await pool.close()


def run(args: argparse.Namespace) -> None:
    """The `ksd admin dlq` command; exits 1 when a redrive left events parked."""
    if status := asyncio.run(_run(args)):
        sys.exit(status)
