"""Reporting's handlers: events in, read models updated in batches (one read and one write per batch)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from ksd_common.consumer import consuming
from ksd_contracts.envelope import Envelope
from ksd_reporting import store
from ksd_reporting.domain import (
    AgreementRecord,
    Changes,
    Draft,
    RegionFacts,
    add_changes,
    fold,
    mapping_flags,
    moved,
    project_region,
    settle,
)

SERVICE = "reporting"


async def apply_agreement_events(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Load the batch's records in one query, fold every event onto its record, settle each changed
    record once (its legal summary) and save them at once."""
    loaded = await store.records(conn, sorted({e.subject for e in events}))
    before: dict[str, AgreementRecord] = {s: c.record for s, c in loaded.items() if c.record is not None}
    drafts: dict[str, Draft] = {}
    for event in events:
        with consuming(SERVICE, event):
            drafts[event.subject] = fold(drafts.get(event.subject) or Draft(before.get(event.subject)), event)
    after = {s: settle(d) for s, d in sorted(drafts.items())}
    changed = [s for s, record in after.items() if record is not None and record is not before.get(s)]
    ids = [UUID(s) for s in changed]
    await store.add_steps(conn, ids, -1)
    await store.save(conn, [r for s in changed if (r := after[s])])
    await store.add_steps(conn, ids, 1)
    total: Changes = {}
    for s in changed:
        add_changes(total, before.get(s), after[s], loaded[s].mapped)
    await store.add_counts(conn, moved(total))


async def apply_mapping_events(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Region facts (TKKSD decree, mapping) and mapping's flags on agreements, in one write each."""
    codes = sorted({str(e.data.get("region") or e.subject) for e in events})
    facts: dict[str, RegionFacts | None] = dict(await store.region_facts(conn, codes))
    changed: set[str] = set()
    flags: list[dict[str, Any]] = []
    for event in events:
        with consuming(SERVICE, event):
            code = str(event.data.get("region") or event.subject)
            updated = project_region(facts.get(code), event)
            if updated is not None and updated is not facts.get(code):
                facts[code] = updated
                changed.add(code)
            flags += mapping_flags(event)
    await store.save_region_facts(conn, [f for c in sorted(changed) if (f := facts[c])])
    if flags:
        # The flagged agreements locked and read before the flags are added (`store.records`): an
        # agreement not folded yet counts them when its events come.
        loaded = await store.records(conn, [f["agreement_id"] for f in flags])
        added = await store.save_mapping_flags(conn, flags)
        total: Changes = {}
        for s, c in loaded.items():
            if s in added and c.record is not None:
                add_changes(total, c.record, c.record, c.mapped, c.mapped | added[s])
        await store.add_counts(conn, moved(total))
