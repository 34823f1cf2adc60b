"""The agreement service's handler: a batch of submissions in, lifecycle events out."""

from __future__ import annotations

from dataclasses import replace

import asyncpg

from ksd_agreement import store
from ksd_agreement.domain import AgreementState, decide, evolve
from ksd_common import outbox
from ksd_common.consumer import consuming
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import Submitted
from ksd_contracts.topics import AGREEMENT_EVENTS

SERVICE = "agreement"
SOURCE = "/services/agreement"


async def apply_submissions(conn: asyncpg.Connection, submissions: list[Envelope]) -> None:
    """Decide every submission of the batch against states loaded in one query, then append all
    resulting events and states at once (in the consumer's transaction)."""
    received = [(event, Submitted.model_validate(event.data)) for event in submissions]
    current: dict[str, AgreementState | None] = dict(
        await store.states(conn, [s.agreement_id for _, s in received if s.agreement_id])
    )
    emitted: list[Envelope] = []
    for event, submitted in received:
        with consuming(SERVICE, event):
            subject = str(submitted.agreement_id)
            for event_type, data in decide(current.get(subject), submitted).events:
                emitted.append(
                    outbox.new_event(source=SOURCE, type=event_type, subject=subject, data=data, cause=event))
                current[subject] = evolve(current.get(subject), event_type, data)
    published = await outbox.append(conn, AGREEMENT_EVENTS, emitted)
    versions: dict[str, int] = {e.subject: e.sequence or 0 for e in published}
    changed = {s: replace(state, version=v) for s, v in versions.items() if (state := current.get(s))}
    await store.append(conn, published, changed)
