"""Sample submissions and an in-memory agreement stream for the agreement tests (unit and
integration): the payloads each step takes, and a Stream that decides and evolves as the service does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from ksd_agreement.domain import AgreementState, Decision, decide, evolve
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import AGREEMENT_EVENT_MODELS, Submitted

TODAY = date(2026, 11, 23)
KUPANG, KAB_KUPANG, MOJOKERTO = "53.71", "53.01", "35.76"
HEAD = {"name": "dr. Christian Widodo", "position": "Wali Kota", "party": KUPANG, "capacity": "kepala_daerah"}
DISPUTE = "0192f0c4-5f4e-7b2a-9d3e-2f1a6b7c8d9e"
PARTNER = {"name": "Partner", "position": "Direktur", "party": "PT Mitra", "capacity": "mitra"}


def doc(*signatories: dict[str, Any], number: str = "001/KS/2024", signed_on: str = "2024-09-01") -> dict[str, Any]:
    return {"number": number, "signed_on": signed_on, "signatories": list(signatories or (HEAD, PARTNER))}


PROPOSALS: dict[str, dict[str, Any]] = {
    "KSDD": {"kind": "KSDD", "mandatory": True, "title": "Pengelolaan sampah regional Kupang",
             "parties": [{"type": "region", "code": KUPANG}, {"type": "region", "code": KAB_KUPANG}],
             "urusan": ["2.11"], "initiated_on": "2024-07-02"},
    "KSDPK": {"kind": "KSDPK", "title": "Air minum Kota Kupang dengan PT Mitra",
              "parties": [{"type": "region", "code": KUPANG},
                          {"type": "third_party", "name": "PT Mitra", "category": "swasta"}],
              "urusan": ["1.03"], "initiated_on": "2024-07-02"},
    "KSDPL": {"kind": "KSDPL", "title": "Sister city Kupang dan Darwin",
              "parties": [{"type": "region", "code": KUPANG},
                          {"type": "foreign", "name": "City of Darwin", "country": "AU",
                           "category": "pemerintah_daerah"}],
              "urusan": ["2.16"], "initiated_on": "2024-07-02"},
    "Sinergi": {"kind": "Sinergi", "title": "Sinergi Kupang dengan Kementerian PUPR",
                "parties": [{"type": "region", "code": KUPANG}, {"type": "central", "name": "Kementerian PUPR"}],
                "urusan": ["1.03"], "initiated_on": "2024-07-02"},
}

STEPS: dict[str, dict[str, Any]] = {
    "agreement.record_tkksd_review": {"reviewed_on": "2024-07-20", "feasible": True},
    "agreement.record_offer": {"document": doc(signed_on="2024-08-01")},
    "agreement.record_offer_response": {"responded_on": "2024-08-10", "accepted": True},
    "agreement.record_ksb": {"document": doc()},
    "agreement.record_dprd_approval": {"decision_number": "DPRD/12/2024", "approved_on": "2024-09-20"},
    "agreement.record_central_approval": {"authority": "kemendagri", "letter_number": "100/KMD", "approved_on":
                                          "2024-09-25"},
    "agreement.record_pks": {"document": doc(signed_on="2024-10-01"), "start_on": "2024-10-01",
                             "end_on": "2027-09-30"},
    "agreement.amend": {"document": doc(signed_on="2025-03-01"), "changes": {"title": "Sampah regional, diperluas"}},
    "agreement.extend": {"document": doc(signed_on="2027-09-01"), "start_on": "2027-10-01", "end_on": "2030-09-30"},
    "agreement.terminate": {"ended_on": "2025-06-01", "reason": "kesepakatan_para_pihak"},
    "agreement.withdraw": {"reason": "Tercatat dua kali: sama dengan KSDD/53.71/2024/000012"},
    "agreement.raise_dispute": {"dispute_id": DISPUTE, "raised_on": "2025-02-03",
                                "subject": "Pembagian biaya operasional TPA"},
    "agreement.settle_dispute": {"dispute_id": DISPUTE, "settled_on": "2025-05-20", "settled_by": "gubernur",
                                 "outcome": "Dibagi rata"},
    "agreement.verify": {"note": "Sesuai dokumen"},
    "agreement.return": {"note": "Nomor KSB tidak sesuai dokumen"},
    "agreement.report_progress": {"period": "2025-S1", "reported_on": "2025-07-05", "achievements": "Berjalan",
                                  "recommendation": "dilanjutkan"},
}


@dataclass
class Stream:
    """One agreement's history as the service keeps it: submissions in, events and state out."""

    agreement_id: UUID = field(default_factory=uuid4)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    state: AgreementState | None = None
    submitted: dict[str, UUID] = field(default_factory=dict)

    def submit(self, kind: str, region: str | None = KUPANG, **changes: Any) -> Decision:
        payload = (PROPOSALS[changes.pop("agreement_kind", "KSDD")] if kind == "agreement.propose"
                   else STEPS.get(kind, {})) | changes
        if kind != "agreement.propose":
            payload = payload | {"agreement_id": str(self.agreement_id)}
        role = "province" if region is not None and len(region) == 2 else "regency"
        submission = Submitted(submission_id=uuid4(), submission_type=kind, role=role, region=region,
                               agreement_id=self.agreement_id, payload=payload)
        self.submitted[kind] = submission.submission_id
        decision = decide(self.state, submission, TODAY)
        for event_type, data in decision.events:
            AGREEMENT_EVENT_MODELS[event_type].model_validate(data)
            if data.get("agreement_id", str(self.agreement_id)) == str(self.agreement_id):
                self.events.append((event_type, data))
                self.state = evolve(self.state, event_type, data)
        return decision

    def through(self, *steps: str | tuple[str, str], agreement_kind: str = "KSDD") -> Stream:
        """Proposed by Kota Kupang, then each step applied: by Kota Kupang, or (step, region) by that region."""
        self.submit("agreement.propose", agreement_kind=agreement_kind)
        for step in steps:
            kind, region = (step, KUPANG) if isinstance(step, str) else step
            assert not self.submit(kind, region=region).rejected, step
        return self


def chained(events: list[tuple[str, dict[str, Any]]], subject: str) -> list[Envelope]:
    """A stream's events as the outbox publishes them: chained envelopes, one minute apart."""
    chained: list[Envelope] = []
    for sequence, (event_type, data) in enumerate(events, start=1):
        envelope = Envelope(source="/services/agreement", type=event_type, subject=subject, data=data,
                            time=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=sequence),
                            correlationid="c" * 32)
        chained.append(envelope.chained(sequence, chained[-1].hash or GENESIS_HASH if chained else GENESIS_HASH))
    return chained
