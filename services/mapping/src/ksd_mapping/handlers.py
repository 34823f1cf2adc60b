"""Mapping's handler: classify agreements as their events arrive, and announce it."""

from __future__ import annotations

import asyncpg

from ksd_common import outbox
from ksd_common.consumer import consuming
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import URUSAN_CLASSIFIED
from ksd_contracts.topics import MAPPING_EVENTS
from ksd_mapping import store
from ksd_mapping.domain import classify

SERVICE = "mapping"
SOURCE = "/services/mapping"


async def apply_agreement_events(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    classified = []
    emitted = []
    for event in events:
        with consuming(SERVICE, event):
            result = classify(event)
            if result is not None:
                classified.append(result)
                emitted.append(outbox.new_event(
                    source=SOURCE, type=URUSAN_CLASSIFIED, subject=event.subject, data=result, cause=event))
    await store.save_classifications(conn, classified)
    await outbox.append(conn, MAPPING_EVENTS, emitted)
