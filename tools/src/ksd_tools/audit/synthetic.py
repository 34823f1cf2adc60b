"""A synthetic chained history of `ksd.agreement.events`, as the agreement service writes it: for
benchmarks and checkpoint tests that need many events or events on past days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from uuid6 import uuid7

from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import AGREEMENT_PROPOSED, PARTY_REPORTED, AgreementProposed, PartyReported

SOURCE = "/services/agreement"


def _proposed(agreement_id: str, number: int) -> dict[str, object]:
    return AgreementProposed(
        agreement_id=agreement_id, registry_number=f"KSD-SIM-{number:07d}", kind="KSDD", mandatory=True,
        title=f"Pengelolaan sampah regional bersama nomor {number}",
        parties=[{"type": "region", "code": "53.71"}, {"type": "region", "code": "53.01"}],
        urusan=["2.11"], initiated_on=date(2024, 7, 2), submitted_by="53.71",
    ).model_dump(mode="json")


def _party_reported(agreement_id: str) -> dict[str, object]:
    return PartyReported(agreement_id=agreement_id, region="53.01", submission_type="agreement.propose",
                         submitted_by="53.01").model_dump(mode="json")


def agreement_events(agreements: int, per_agreement: int = 2, *, at: datetime | None = None,
                     spacing: timedelta = timedelta(0)) -> Iterator[Envelope]:
    """`agreements` chains of `per_agreement` events each (a proposal, then party reports), timed
    from `at` on, `spacing` apart, round-robin over the agreements."""
    moment = at or datetime.now(UTC)
    ids = [str(uuid7()) for _ in range(agreements)]
    heads = dict.fromkeys(ids, GENESIS_HASH)
    for step in range(per_agreement):
        for number, agreement_id in enumerate(ids):
            data = _proposed(agreement_id, number) if step == 0 else _party_reported(agreement_id)
            event = Envelope(source=SOURCE, type=AGREEMENT_PROPOSED if step == 0 else PARTY_REPORTED,
                             subject=agreement_id, time=moment, correlationid=agreement_id.replace("-", ""),
                             data=data).chained(step + 1, heads[agreement_id])
            heads[agreement_id] = event.hash or ""
            moment += spacing
            yield event
