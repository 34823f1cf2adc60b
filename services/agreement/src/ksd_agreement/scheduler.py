"""Time's part in the lifecycle: `started`, `report_overdue` and `expired`, from a periodic task.

`domain.due` says what an agreement is owed on a day; this module emits it. Restart-safe and never
twice: each (agreement, what, period) is claimed in `schedule_emitted` in the transaction that
writes its outbox row, and only one instance runs a tick at a time (a transaction-scoped advisory
lock), so a second replica or a crash mid-tick cannot emit it again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import date

import asyncpg

from ksd_agreement import store
from ksd_agreement.domain import AgreementState, due, evolve
from ksd_agreement.handlers import Pending, commit
from ksd_contracts.submissions import today_wib

LOCK = 0x4B5344_0001  # "KSD" + 1: the agreement scheduler's advisory lock
INTERVAL_SECONDS = float(os.environ.get("KSD_AGREEMENT_SCHEDULE_SECONDS", "3600"))
log = logging.getLogger(__name__)


async def tick(pool: asyncpg.Pool, today: date | None = None) -> int:
    """Emit what is due today for every signed or running agreement; the number of events emitted
    (0 when another instance holds the lock)."""
    today = today or today_wib()
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK):
            return 0
        current: dict[str, AgreementState | None] = dict(await store.open_states(conn))
        owed = [(s, event_type, data) for s, state in current.items() if state
                for event_type, data in due(state, today)]
        fresh = await store.claim_due(conn, [(s, t, d.get("period") or "end") for s, t, d in owed])
        pending: list[Pending] = []
        for subject, event_type, data in owed:
            if (subject, event_type, data.get("period") or "end") in fresh:
                pending.append(Pending(None, event_type, subject, data))
                current[subject] = evolve(current[subject], event_type, data)
        if pending:
            await commit(conn, pending, current)
        return len(pending)


async def run(pool: asyncpg.Pool) -> None:
    """Tick every INTERVAL_SECONDS for the life of the service; a failed tick is retried next time."""
    while True:
        try:
            if emitted := await tick(pool):
                log.info("scheduler emitted %d events", emitted)
        except Exception:
            log.exception("scheduler tick failed")
        await asyncio.sleep(INTERVAL_SECONDS)
