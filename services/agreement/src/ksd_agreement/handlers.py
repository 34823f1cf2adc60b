"""The agreement service's handler: a batch of submissions in, lifecycle events out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from ksd_agreement import store
from ksd_agreement.domain import (
    AgreementState,
    Reason,
    decide,
    evolve,
    join_target,
    numbered,
    reconciliation_key,
    waiting_for,
)
from ksd_common import outbox
from ksd_common.consumer import consuming
from ksd_common.telemetry import current_traceparent
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import AGREEMENT_PROPOSED, PARTY_REPORTED, Submitted
from ksd_contracts.lifecycle import revised
from ksd_contracts.submissions import today_wib
from ksd_contracts.topics import AGREEMENT_EVENTS

SERVICE = "agreement"
SOURCE = "/services/agreement"


@dataclass
class Pending:
    """An event decided in this batch, before its registry number (if any) is drawn."""

    cause: Envelope | None
    type: str
    subject: str
    data: dict[str, Any]
    traceparent: str | None = None  # the span that decided it, so the trace runs on to the consumers


async def _number(conn: asyncpg.Connection, pending: list[Pending],
                  current: dict[str, AgreementState | None]) -> None:
    """Draw the registry numbers of the batch's proposals in one query, into events and states."""
    proposals = [p for p in pending if p.type == AGREEMENT_PROPOSED]
    drawn = await store.draw_numbers(conn, [p.data["registry_number"] for p in proposals])
    for proposal, sequence in zip(proposals, drawn, strict=True):
        proposal.data["registry_number"] = numbered(proposal.data["registry_number"], sequence)
        if (state := current.get(proposal.subject)) is not None:
            current[proposal.subject] = revised(state, registry_number=proposal.data["registry_number"])


async def commit(conn: asyncpg.Connection, pending: list[Pending], current: dict[str, AgreementState | None]) -> None:
    """Number, append to the outbox and the event store, and save the changed states: one round each."""
    await _number(conn, pending, current)
    emitted = [outbox.new_event(source=SOURCE, type=p.type, subject=p.subject, data=p.data, cause=p.cause,
                                traceparent=p.traceparent) for p in pending]
    published = await outbox.append(conn, AGREEMENT_EVENTS, emitted)
    versions: dict[str, int] = {link.event.subject: link.event.sequence or 0 for link in published}
    loaded = {s: state.version for s in versions if (state := current.get(s))}
    changed = {s: revised(state, version=v) for s, v in versions.items() if (state := current.get(s))}
    await store.append(conn, published, changed, loaded)


@dataclass
class Joins:
    """Both sides' reports of one agreement, joined by reconciliation key when their ids differ:
    the aliases known (stored and made in this batch) and the keys registered in this batch."""

    aliases: dict[str, str]
    keyed: dict[str, list[str]]
    registered: list[tuple[str, str]] = field(default_factory=list)
    joined: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """New agreements opened because their report could be any of several: the candidates."""

    def agreements(self) -> set[UUID]:
        """The agreements the batch may join or resolve to, whose states the batch must load."""
        return {UUID(a) for a in (*self.aliases.values(), *(a for group in self.keyed.values() for a in group))}

    def resolve(self, submitted: Submitted, current: dict[str, AgreementState | None]) -> Submitted:
        """The submission as it applies: to the agreement its id is an alias of; or, a new report,
        to the agreement of its key its region has not reported (else it opens one under the key)."""
        agreement = str(submitted.agreement_id)
        if agreement in self.aliases:
            return submitted.model_copy(update={"agreement_id": UUID(self.aliases[agreement])})
        key = _key(submitted)
        if key is None or submitted.region is None or current.get(agreement) is not None:
            return submitted
        match = join_target((current.get(a) for a in self.keyed.get(key, [])), submitted.region, submitted.payload)
        target = match.target
        if target is None:
            self.keyed.setdefault(key, []).append(agreement)
            self.registered.append((key, agreement))
            if match.ambiguous:
                self.ambiguous[agreement] = match.ambiguous
            return submitted
        self.aliases[agreement] = self.joined[agreement] = target.agreement_id
        return submitted.model_copy(update={"agreement_id": UUID(target.agreement_id)})


def _key(submitted: Submitted) -> str | None:
    """The reconciliation key of a region's proposal; other submissions have none."""
    if submitted.submission_type != "agreement.propose" or submitted.region is None:
        return None
    return reconciliation_key(submitted.payload)


async def _joins(conn: asyncpg.Connection, received: list[Submitted], ids: list[UUID]) -> Joins:
    """The aliases among the batch's ids, and the agreements registered under its proposals' keys
    (those keys locked first, so the states loaded after are the ones a concurrent batch left)."""
    keys = [k for s in received if (k := _key(s))]
    regions = sorted({s.region for s in received if s.region and _key(s)})
    return Joins(await store.aliases(conn, ids), await store.keyed(conn, keys, regions) if keys else {})


async def apply_submissions(conn: asyncpg.Connection, submissions: list[Envelope], today: date | None = None) -> None:
    """Decide every submission of the batch against states loaded in one query, then append all
    resulting events and states at once (in the consumer's transaction). `region.*` submissions
    are mapping's: skipped here, not dead-lettered."""
    received = [(event, s) for event in submissions
                if (s := Submitted.model_validate(event.data)).submission_type.startswith("agreement.")]
    ids = [s.agreement_id for _, s in received if s.agreement_id]
    joins = await _joins(conn, [s for _, s in received], ids)
    current: dict[str, AgreementState | None] = dict(await store.states(conn, list({*ids, *joins.agreements()})))
    pending: list[Pending] = []
    for event, sent in received:
        with consuming(SERVICE, event):
            submitted = joins.resolve(sent, current)
            for event_type, data in decide(current.get(str(submitted.agreement_id)), submitted,
                                           today or today_wib()).events:
                if submitted is not sent and event_type == PARTY_REPORTED:
                    data["reported_as"] = str(sent.agreement_id)
                if event_type == AGREEMENT_PROPOSED and (maybe := joins.ambiguous.get(data["agreement_id"])):
                    candidates = ", ".join(maybe)
                    data["flags"] = [*data["flags"], Reason(
                        "reconciliation.ambiguous",
                        f"bertanggal dekat dengan beberapa laporan pihak lain (jenis dan daerah sama): {candidates}",
                        f"dated near several reports of the same kind and regions by the other side: {candidates}",
                    ).to_json()]
                subject = data.get("agreement_id") or str(submitted.agreement_id)
                pending.append(Pending(event, event_type, subject, data, current_traceparent()))
                current[subject] = evolve(current.get(subject), event_type, data)
    reported = {a for _, a in joins.registered} | {p.subject for p in pending if p.type == PARTY_REPORTED}
    await store.save_joins(conn, joins.registered, joins.joined, {a: waiting_for(current.get(a)) for a in reported})
    if pending:
        await commit(conn, pending, current)
