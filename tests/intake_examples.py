"""One valid and one invalid `data` for every submission type, for a node of region `own` with a
partner region `partner`: the intake tests are driven by this table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID


def document(own: str, number: str = "KSB/001/2024") -> dict[str, Any]:
    return {"number": number, "signed_on": "2024-08-01", "signatories": [
        {"name": "Andi Harun", "position": "Wali Kota", "party": own, "capacity": "kepala_daerah"}]}


@dataclass(frozen=True)
class Example:
    type: str
    valid: dict[str, Any]
    invalid: dict[str, Any]
    invalid_field: str  # the loc the 422 names, dotted


def examples(own: str, partner: str, agreement: UUID) -> dict[str, Example]:
    """Every submission type but `agreement.correct` (which needs an earlier submission)."""
    a = str(agreement)
    doc = document(own)
    table = [
        Example("agreement.propose",
                {"kind": "KSDD", "title": "Pengelolaan sampah regional bersama", "initiated_on": "2024-07-02",
                 "parties": [{"type": "region", "code": own}, {"type": "region", "code": partner}],
                 "urusan": ["2.11"]},
                {"kind": "KSDD", "title": "Pengelolaan sampah regional bersama", "initiated_on": "2024-07-02",
                 "parties": [{"type": "region", "code": own}, {"type": "region", "code": partner}],
                 "urusan": ["9.99"]}, "body.data.urusan.0"),
        Example("agreement.record_tkksd_review",
                {"agreement_id": a, "reviewed_on": "2024-07-10", "feasible": True},
                {"agreement_id": a, "reviewed_on": "2999-01-01", "feasible": True}, "body.data.reviewed_on"),
        Example("agreement.record_offer", {"agreement_id": a, "document": doc},
                {"agreement_id": a, "document": {**doc, "signatories": []}}, "body.data.document.signatories"),
        Example("agreement.record_offer_response", {"agreement_id": a, "responded_on": "2024-07-20", "accepted": True},
                {"agreement_id": a, "responded_on": "2024-07-20"}, "body.data.accepted"),
        Example("agreement.record_ksb", {"agreement_id": a, "document": doc},
                {"agreement_id": a, "document": {**doc, "number": ""}}, "body.data.document.number"),
        Example("agreement.record_dprd_approval",
                {"agreement_id": a, "decision_number": "7/DPRD/2024", "approved_on": "2024-08-05"},
                {"agreement_id": a, "decision_number": "7/DPRD/2024", "approved_on": "kemarin"},
                "body.data.approved_on"),
        Example("agreement.record_central_approval",
                {"agreement_id": a, "authority": "kemendagri", "letter_number": "100/2024",
                 "approved_on": "2024-08-06"},
                {"agreement_id": a, "authority": "presiden", "letter_number": "100/2024",
                 "approved_on": "2024-08-06"},
                "body.data.authority"),
        Example("agreement.record_pks",
                {"agreement_id": a, "document": document(own, "PKS/9/2024"), "start_on": "2024-09-01",
                 "end_on": "2029-08-31", "funding": [{"amount_idr": 1500000000, "source": "apbd"}]},
                {"agreement_id": a, "document": document(own, "PKS/9/2024"), "start_on": "2024-09-01",
                 "end_on": "2029-08-31", "funding": [{"amount_idr": -1, "source": "apbd"}]},
                "body.data.funding.0.amount_idr"),
        Example("agreement.amend", {"agreement_id": a, "document": doc, "changes": {"end_on": "2030-12-31"}},
                {"agreement_id": a, "document": doc, "changes": {"end_on": "2030-12-31", "colour": "blue"}},
                "body.data.changes.colour"),
        Example("agreement.extend", {"agreement_id": a, "document": doc, "start_on": "2029-09-01",
                                     "end_on": "2034-08-31"},
                {"agreement_id": a, "document": doc, "start_on": "2029-09-01", "end_on": "2034-08-31",
                 "new_agreement_id": "nope"}, "body.data.new_agreement_id"),
        Example("agreement.terminate", {"agreement_id": a, "ended_on": "2024-10-01", "reason": "tujuan_tercapai"},
                {"agreement_id": a, "ended_on": "2024-10-01", "reason": "bosan"}, "body.data.reason"),
        Example("agreement.withdraw", {"agreement_id": a, "reason": "Tercatat dua kali oleh operator"},
                {"agreement_id": a}, "body.data.reason"),
        Example("agreement.raise_dispute",
                {"agreement_id": a, "raised_on": "2025-02-03", "subject": "Pembagian biaya operasional TPA"},
                {"agreement_id": a, "raised_on": "2025-02-30", "subject": "Pembagian biaya operasional TPA"},
                "body.data.raised_on"),
        Example("agreement.settle_dispute",
                {"agreement_id": a, "dispute_id": "0192f0c4-5f4e-7b2a-9d3e-2f1a6b7c8d9e", "settled_on": "2025-04-01",
                 "settled_by": "gubernur", "outcome": "Biaya dibagi menurut jumlah penduduk"},
                {"agreement_id": a, "dispute_id": "0192f0c4-5f4e-7b2a-9d3e-2f1a6b7c8d9e", "settled_on": "2025-04-01",
                 "settled_by": "presiden", "outcome": "Biaya dibagi menurut jumlah penduduk"},
                "body.data.settled_by"),
        Example("agreement.verify", {"agreement_id": a, "note": "Sesuai dokumen KSB"},
                {"agreement_id": a, "note": ""}, "body.data.note"),
        Example("agreement.return", {"agreement_id": a, "note": "Tanggal KSB tidak sesuai dokumen"},
                {"agreement_id": a}, "body.data.note"),
        Example("agreement.report_progress",
                {"agreement_id": a, "period": "2025-S1", "reported_on": "2025-07-15",
                 "achievements": "TPA regional beroperasi", "recommendation": "dilanjutkan"},
                {"agreement_id": a, "period": "2025-Q1", "reported_on": "2025-07-15",
                 "achievements": "TPA regional beroperasi", "recommendation": "dilanjutkan"}, "body.data.period"),
        Example("region.record_tkksd",
                {"region": own, "declared_on": "2024-03-01", "decree_number": "139/SK/2024",
                 "decree_date": "2024-02-20", "members": [{"name": "Sekda", "position": "Sekretaris Daerah",
                                                          "role": "ketua"}]},
                {"region": own, "declared_on": "2024-03-01", "decree_number": "139/SK/2024",
                 "decree_date": "2024-02-20", "members": []}, "body.data.members"),
        Example("region.declare_potential",
                {"region": own, "declared_on": "2024-03-01", "potentials": [
                    {"urusan": "2.11", "title": "Pengolahan sampah", "description": "Lahan TPA 20 ha"}]},
                {"region": own, "declared_on": "2024-03-01", "potentials": [
                    {"urusan": "9.99", "title": "Pengolahan sampah", "description": "Lahan TPA 20 ha"}]},
                "body.data.potentials.0.urusan"),
        Example("region.declare_cooperable_affairs", {"region": own, "declared_on": "2024-03-01", "offers": ["2.11"]},
                {"region": own, "declared_on": "2024-03-01", "offers": ["2.99"]}, "body.data.offers.0"),
        Example("region.declare_neighbours", {"region": own, "declared_on": "2024-03-01", "neighbours": [partner]},
                {"region": own, "declared_on": "2024-03-01", "neighbours": ["99.99"]}, "body.data.neighbours.0"),
    ]
    return {e.type: e for e in table}
