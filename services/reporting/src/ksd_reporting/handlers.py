"""Reporting's handler: lifecycle events in, read models updated in batches."""

from __future__ import annotations

import asyncpg

from ksd_common.consumer import consuming
from ksd_contracts.envelope import Envelope
from ksd_reporting import store
from ksd_reporting.domain import AgreementRecord, project

SERVICE = "reporting"


async def apply_agreement_events(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Load the batch's records in one query, project every event, save the changed ones at once."""
    current: dict[str, AgreementRecord | None] = dict(
        await store.records(conn, sorted({e.subject for e in events}))
    )
    changed: set[str] = set()
    for event in events:
        with consuming(SERVICE, event):
            record = project(current.get(event.subject), event)
            if record is not None:
                current[event.subject] = record
                changed.add(event.subject)
    await store.save(conn, [r for s in sorted(changed) if (r := current[s])])
