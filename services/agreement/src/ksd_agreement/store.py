"""The agreement service's queries on ksd_agreement: the event store and the states."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from ksd_agreement.domain import AgreementState
from ksd_contracts.envelope import Envelope


async def states(conn: asyncpg.Connection, ids: list[UUID]) -> dict[str, AgreementState]:
    """The current state of each agreement of a batch, in one query."""
    rows = await conn.fetch("SELECT agreement_id, state FROM agreements WHERE agreement_id = ANY($1::uuid[])", ids)
    return {str(r["agreement_id"]): AgreementState.from_json(r["state"]) for r in rows}


async def append(conn: asyncpg.Connection, events: list[Envelope], changed: dict[str, AgreementState]) -> None:
    """Append the batch's events and save the changed states. A version taken twice violates the
    primary key and aborts the transaction: optimistic concurrency."""
    await conn.copy_records_to_table(
        "agreement_events",
        records=[(UUID(e.subject), e.sequence, e.id, e.type, e.time, e.model_dump(mode="json")) for e in events],
        columns=["agreement_id", "version", "event_id", "type", "recorded_at", "envelope"],
    )
    if changed:
        await conn.execute(
            "INSERT INTO agreements (agreement_id, version, state)"
            " SELECT * FROM unnest($1::uuid[], $2::int[], $3::jsonb[])"
            " ON CONFLICT (agreement_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state",
            [UUID(k) for k in changed], [s.version for s in changed.values()], [s.to_json() for s in changed.values()],
        )
