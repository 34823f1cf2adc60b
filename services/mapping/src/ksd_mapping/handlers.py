"""Mapping's handlers: region declarations from intake, agreements from the agreement service.

Each batch is decided in memory against state loaded in one query per table, then written at once
with its outbox rows, in the consumer's transaction (inbox discipline: ksd_common.consumer).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from ksd_common import outbox
from ksd_common.consumer import consuming
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import (
    AGREEMENT_PROPOSED,
    DECLARATION_EVENTS,
    MAPPING_FLAGGED,
    REGION_SUBMISSION_REJECTED,
    URUSAN_CLASSIFIED,
    Flag,
    Submitted,
    submission_type,
)
from ksd_contracts.topics import MAPPING_EVENTS
from ksd_mapping import domain, store

SERVICE = "mapping"
SOURCE = "/services/mapping"
DECLARATIONS = {submission_type(kind) for kind in DECLARATION_EVENTS}


def _event(type: str, subject: str, data: dict[str, Any], cause: Envelope) -> Envelope:
    return outbox.new_event(source=SOURCE, type=type, subject=subject, data=data, cause=cause)


async def apply_region_submissions(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Record `region.*` declarations, or answer with the rules they broke; `agreement.*`
    submissions belong to the agreement service and are passed over."""
    received = [(e, Submitted.model_validate(e.data)) for e in events if e.type in DECLARATIONS]
    if not received:
        return
    read = [(e, sub, domain.read_declaration(sub)) for e, sub in received]
    codes = {d.step.region for _, _, d in read if isinstance(d, domain.Declaration)}
    borders = await store.borders_of(conn, codes)
    last: dict[tuple[str, str], date] = await store.last_declared(conn, codes)
    latest: dict[tuple[str, str], domain.Declaration] = {}
    emitted: list[Envelope] = []
    for event, submitted, declaration in read:
        with consuming(SERVICE, event):
            if isinstance(declaration, list):
                emitted.append(_rejection(event, submitted, declaration))
                continue
            key = (declaration.step.region, declaration.kind)
            if reasons := domain.check(declaration, last.get(key)):
                emitted.append(_rejection(event, submitted, reasons))
                continue
            outcome = domain.apply(declaration, borders)
            last[key], latest[key] = declaration.step.declared_on, declaration
            emitted += [_event(t, declaration.step.region, data, event) for t, data in outcome.events]
    await store.save_declarations(conn, list(latest.values()), borders)
    await outbox.append(conn, MAPPING_EVENTS, emitted)


def _rejection(event: Envelope, submitted: Submitted, reasons: list[domain.Reason]) -> Envelope:
    data = {"submission_id": str(submitted.submission_id), "submission_type": submitted.submission_type,
            "reasons": reasons}
    return _event(REGION_SUBMISSION_REJECTED, event.subject, data, event)


async def apply_agreement_events(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Classify each proposed agreement by urusan and check it against the regions' mapping."""
    proposed = [(e, domain.Proposal.model_validate(e.data)) for e in events if e.type == AGREEMENT_PROPOSED]
    if not proposed:
        return
    parties = {code for _, p in proposed for code in p.region_codes}
    borders = await store.borders_of(conn, parties)
    affairs = await store.declared_affairs(conn, parties)
    classified, emitted, flagged = [], [], []
    for event, agreement in proposed:
        with consuming(SERVICE, event):
            result = domain.classify(agreement)
            flags = _flags(agreement, result, borders, affairs)
            if result is not None:
                classified.append(result)
                emitted.append(_event(URUSAN_CLASSIFIED, event.subject, result, event))
            if flags:
                flagged += [(agreement.agreement_id, f) for f in flags]
                data = {"agreement_id": str(agreement.agreement_id), "region": None,
                        "flags": [f.model_dump() for f in flags]}
                emitted.append(_event(MAPPING_FLAGGED, event.subject, data, event))
    await store.save_agreements(conn, [p for _, p in proposed])
    await store.save_classifications(conn, classified)
    await store.save_flags(conn, flagged)
    await outbox.append(conn, MAPPING_EVENTS, emitted)


def _flags(agreement: domain.Proposal, result: dict[str, Any] | None, borders: domain.Borders,
           affairs: dict[str, set[str]]) -> list[Flag]:
    if result is None:
        flags = [domain.unclassifiable_flag(agreement)]
    else:
        mine = {code: affairs.get(code, set()) for code in agreement.region_codes}
        flags = domain.outside_mapping_flags(result["urusan"], mine)
    if agreement.mandatory and (wajib := domain.wajib_flag(agreement.region_codes, borders)):
        flags.append(wajib)
    return flags
