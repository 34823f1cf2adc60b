"""A known event history for reporting's tests, published straight to the topics as the agreement
and mapping services would: valid envelopes (each `data` checked against its contract model), fresh
agreement ids, `source=/services/<name>`, hash-chained per subject from the genesis hash.

The history lies in Kalimantan Utara (65) and one agreement with Kota Balikpapan (64.71), and every
indicator of the summary has a known answer on it at AS_OF (see EXPECTED_DELTA).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from uuid6 import uuid7

from ksd_common.settings import Settings
from ksd_common.topics import consumer_group
from ksd_contracts import events as ev
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.topics import AGREEMENT_EVENTS, MAPPING_EVENTS

AS_OF = date(2025, 6, 30)
TKKSD = [{"name": "Ir. H. Datu Adiwijaya", "position": "Sekretaris Daerah", "role": "ketua"}]
RECORDED = datetime(2025, 6, 1, tzinfo=UTC)


def _region(code: str) -> dict[str, str]:
    return {"type": "region", "code": code}


def _document(number: str, signed_on: str, party: str = "65.71") -> dict[str, Any]:
    return {"number": number, "signed_on": signed_on,
            "signatories": [{"name": "Dr. Khairul", "position": "Wali Kota", "party": party,
                             "capacity": "kepala_daerah"}]}


@dataclass
class Stream:
    """One subject's events, chained as the publishing service would chain them."""

    subject: str
    source: str
    events: list[Envelope] = field(default_factory=list)
    submissions: dict[str, str] = field(default_factory=dict)

    def add(self, type: str, data: dict[str, Any], *, submitted_by: str | None = None, name: str | None = None) -> None:
        submission = str(uuid7())
        if name:
            self.submissions[name] = submission
        if type in ev.AGREEMENT_EVENT_MODELS:
            lifecycle = {"agreement_id": self.subject, "submitted_by": submitted_by,
                         "submission_id": submission if submitted_by else None}
            data = ev.AGREEMENT_EVENT_MODELS[type].model_validate({**lifecycle, **data}).model_dump(mode="json")
        elif type in ev.DECLARATION_EVENTS.values():
            declared = {"submission_id": submission, "submitted_by": self.subject}
            data = ev.MAPPING_EVENT_MODELS[type].model_validate({**declared, **data}).model_dump(mode="json")
        else:
            data = ev.MAPPING_EVENT_MODELS[type].model_validate(data).model_dump(mode="json")
        previous = self.events[-1].hash if self.events else GENESIS_HASH
        envelope = Envelope(source=self.source, type=type, subject=self.subject, data=data,
                            time=RECORDED + timedelta(minutes=len(self.events)), correlationid=uuid7().hex,
                            causationid=submission if submitted_by else None)
        self.events.append(envelope.chained(len(self.events) + 1, previous or GENESIS_HASH))


def _agreement(kind: str, title: str, parties: list[dict[str, Any]], urusan: list[str], initiated_on: str,
               by: str, **extra: Any) -> Stream:
    stream = Stream(str(uuid7()), "/services/agreement")
    number = f"KSD-{stream.subject[-8:].upper()}"
    stream.add(ev.AGREEMENT_PROPOSED, {"kind": kind, "title": title, "parties": parties, "urusan": urusan,
                                       "initiated_on": initiated_on, "registry_number": number, **extra},
               submitted_by=by)
    return stream


def _pks(number: str, signed_on: str, start: str, end: str, funding: list[tuple[str, int]],
         **extra: Any) -> dict[str, Any]:
    return {"document": _document(number, signed_on), "start_on": start, "end_on": end,
            "funding": [{"source": s, "amount_idr": a} for s, a in funding], **extra}


@dataclass
class History:
    agreements: dict[str, Stream]
    regions: list[Stream]

    def id(self, name: str) -> str:
        return self.agreements[name].subject

    @property
    def streams(self) -> list[Stream]:
        return [*self.agreements.values(), *self.regions]


def build() -> History:
    """Eight agreements, a ninth withdrawn (it counts nowhere), and three regions' declarations with
    a known answer for every indicator."""
    a1 = _agreement("KSDD", "Pengelolaan sampah regional Kota Tarakan dan Kabupaten Malinau",
                    [_region("65.71"), _region("65.02")], ["2.11"], "2023-01-10", "65.71", mandatory=True)
    a1.add(ev.PARTY_REPORTED, {"region": "65.02", "document_number": "180/12/2023",
                               "submission_type": "agreement.propose"}, submitted_by="65.02")
    a1.add(ev.OFFERED, {"document": _document("005/PEN/2023", "2023-02-01")}, submitted_by="65.71")
    a1.add(ev.OFFER_RESPONDED, {"responded_on": "2023-02-20", "accepted": True}, submitted_by="65.02")
    a1.add(ev.KSB_SIGNED, {"document": _document("01/KSB/2023", "2023-03-15")}, submitted_by="65.71")
    a1.add(ev.PKS_SIGNED, _pks("02/PKS/2023", "2023-06-15", "2023-07-01", "2025-08-15", [("apbd", 500_000_000)]),
           submitted_by="65.71")
    a1.add(ev.STARTED, {"start_on": "2023-07-01"})
    a1.add(ev.PROGRESS_REPORTED, {"period": "2024-S1", "reported_on": "2024-07-10", "achievements": "TPA terpadu",
                                  "recommendation": "dilanjutkan"}, submitted_by="65.71")
    a1.add(ev.REPORT_OVERDUE, {"period": "2024-S2", "due_on": "2025-01-31"})
    a1.add(ev.DISPUTE_RAISED, {"dispute_id": str(uuid7()), "raised_on": "2024-10-01",
                               "subject": "Pembagian biaya angkut sampah"}, submitted_by="65.02")

    a2 = _agreement("KSDD", "Layanan kesehatan perbatasan Nunukan dan Tana Tidung",
                    [_region("65.03"), _region("65.04")], ["1.02"], "2023-05-01", "65.03", mandatory=True)
    a2.add(ev.KSB_SIGNED, {"document": _document("03/KSB/2023", "2023-06-01"),
                           "flags": [{"rule": "ksb.without_tkksd", "detail": "no TKKSD review"}]},
           submitted_by="65.03")

    a3 = _agreement("KSDPK", "Penyediaan air minum Kabupaten Bulungan dengan PT Air Kaltara",
                    [_region("65.01"), {"type": "third_party", "name": "PT Air Kaltara", "category": "swasta"}],
                    ["1.03"], "2022-01-05", "65.01")
    a3.add(ev.KSB_SIGNED, {"document": _document("04/KSB/2022", "2022-02-01")}, submitted_by="65.01")
    a3.add(ev.PKS_SIGNED, _pks("05/PKS/2022", "2022-03-01", "2022-03-01", "2024-12-31",
                               [("pihak_ketiga", 1_000_000_000), ("apbd", 250_000_000)]), submitted_by="65.01")
    a3.add(ev.EXPIRED, {"end_on": "2024-12-31"})

    a4 = _agreement("KSDPL", "Promosi pariwisata Kalimantan Utara dan Sabah",
                    [_region("65"), {"type": "foreign", "name": "Sabah Tourism Board", "country": "MY",
                                     "category": "lembaga"}], ["3.26"], "2024-03-01", "65")
    a4.add(ev.CENTRAL_APPROVED, {"authority": "kemendagri", "letter_number": "100/KEMENDAGRI/2024",
                                 "approved_on": "2024-04-01"}, submitted_by="65")
    a4.add(ev.KSB_SIGNED, {"document": _document("06/KSB/2024", "2024-05-01", "65")}, submitted_by="65", name="ksb")
    a4.add(ev.DPRD_APPROVED, {"decision_number": "7/DPRD/2024", "approved_on": "2024-06-01"}, submitted_by="65")
    a4.add(ev.PKS_SIGNED, _pks("07/PKS/2024", "2024-08-01", "2024-08-01", "2027-07-31", [("apbn", 2_000_000_000)],
                               flags=[{"rule": "pks.no_plan_reference", "detail": "no RPJMD/RKPD program"}]),
           submitted_by="65")
    a4.add(ev.AMENDED, {"document": _document("08/ADD/2025", "2025-01-15", "65"),
                        "changes": {"title": "Promosi pariwisata dan budaya Kalimantan Utara dan Sabah",
                                    "end_on": "2027-12-31"}}, submitted_by="65")
    a4.add(ev.CORRECTED, {"supersedes": a4.submissions["ksb"], "superseded_type": ev.KSB_SIGNED,
                          "reason": "salah tanggal", "data": {"agreement_id": a4.subject,
                                                             "document": _document("06/KSB/2024", "2024-04-20", "65")}},
           submitted_by="65")
    a4.add(ev.REPORT_OVERDUE, {"period": "2024-S2", "due_on": "2025-01-31"})
    a4.add(ev.PROGRESS_REPORTED, {"period": "2024-S2", "reported_on": "2025-02-10", "achievements": "Pameran",
                                  "recommendation": "diperluas"}, submitted_by="65")

    a5 = _agreement("KSDD", "Pengembangan pelabuhan Tarakan dan Balikpapan",
                    [_region("65.71"), _region("64.71")], ["2.15"], "2021-01-01", "65.71", mandatory=False)
    a5.add(ev.PARTY_REPORTED, {"region": "64.71", "submission_type": "agreement.propose",
                               "flags": [{"rule": "party.report_differs", "detail": "initiated_on 2021-01-05"}]},
           submitted_by="64.71")
    a5.add(ev.KSB_SIGNED, {"document": _document("09/KSB/2021", "2021-02-01")}, submitted_by="65.71")
    a5.add(ev.PKS_SIGNED, _pks("10/PKS/2021", "2021-03-01", "2021-03-01", "2026-03-01", []), submitted_by="65.71")
    a5_dispute = str(uuid7())
    a5.add(ev.DISPUTE_RAISED, {"dispute_id": a5_dispute, "raised_on": "2022-05-02", "subject": "Jadwal sandar kapal"},
           submitted_by="64.71")
    a5.add(ev.DISPUTE_SETTLED, {"dispute_id": a5_dispute, "settled_on": "2022-09-01", "settled_by": "menteri",
                                "outcome": "Jadwal bergilir per pekan"}, submitted_by="65.71")
    a5.add(ev.TERMINATED, {"ended_on": "2024-01-10", "reason": "kesepakatan_para_pihak"}, submitted_by="65.71")

    a7_id = str(uuid7())
    a6 = _agreement("KSDD", "Transportasi sungai Tarakan dan Bulungan",
                    [_region("65.71"), _region("65.01")], ["2.15"], "2020-01-15", "65.71")
    a6.add(ev.PKS_SIGNED, _pks("11/PKS/2020", "2020-06-01", "2020-06-01", "2024-06-01", [],
                               legal_basis="Perda 3/2019",
                               flags=[{"rule": "pks.without_ksb", "detail": "no prior KSB"}]), submitted_by="65.71")
    a6.add(ev.EXTENDED, {"new_agreement_id": a7_id, "document": _document("12/PKS/2024", "2024-05-20"),
                         "start_on": "2024-06-01", "end_on": "2029-06-01"}, submitted_by="65.71")
    a7 = Stream(a7_id, "/services/agreement")
    a7.add(ev.AGREEMENT_PROPOSED, {"kind": "KSDD", "title": "Transportasi sungai Tarakan dan Bulungan tahap II",
                                   "parties": [_region("65.71"), _region("65.01")], "urusan": ["2.15"],
                                   "initiated_on": "2024-05-01", "registry_number": "KSD-A7",
                                   "parent_id": a6.subject}, submitted_by="65.71")

    a8 = _agreement("KSDPK", "Pelatihan vokasi Malinau dengan Politeknik Negeri",
                    [_region("65.02"), {"type": "third_party", "name": "Politeknik Negeri Malinau",
                                        "category": "perguruan_tinggi"}], ["2.07"], "2024-09-01", "65.02")
    a8.add(ev.OFFERED, {"document": _document("13/PEN/2024", "2024-09-10", "65.02")}, submitted_by="65.02")
    a8.add(ev.OFFER_RESPONDED, {"responded_on": "2024-10-01", "accepted": False, "reason": "anggaran"},
           submitted_by="65.02")

    a9 = _agreement("KSDPK", "Pelatihan vokasi Malinau dengan Politeknik Negeri (tercatat dua kali)",
                    [_region("65.02"), {"type": "third_party", "name": "Politeknik Negeri Malinau",
                                        "category": "perguruan_tinggi"}], ["2.07"], "2024-09-01", "65.02")
    a9.add(ev.OFFERED, {"document": _document("13/PEN/2024", "2024-09-10", "65.02")}, submitted_by="65.02")
    a9.add(ev.WITHDRAWN, {"reason": "Tercatat dua kali: sama dengan a8"}, submitted_by="65.02")

    flag = Stream(a2.subject, "/services/mapping")
    flag.add(ev.MAPPING_FLAGGED, {"agreement_id": a2.subject, "flags": [
        {"rule": "urusan.outside_mapping", "detail": "1.02 not in 65.04's declared affairs"}]})
    tarakan = Stream("65.71", "/services/mapping")
    tarakan.add(ev.TKKSD_RECORDED, {"region": "65.71", "decree_number": "188.45/12/HK/2024",
                                    "decree_date": "2024-02-01", "declared_on": "2024-02-05", "members": TKKSD})
    tarakan.add(ev.AFFAIRS_DECLARED, {"region": "65.71", "offers": ["2.11"], "needs": ["2.15"],
                                      "declared_on": "2024-03-01"})
    province = Stream("65", "/services/mapping")
    province.add(ev.TKKSD_RECORDED, {"region": "65", "decree_number": "188.44/K.100/2023",
                                     "decree_date": "2023-05-02", "declared_on": "2023-05-10", "members": TKKSD})
    return History({"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a5": a5, "a6": a6, "a7": a7, "a8": a8, "a9": a9},
                   [flag, tarakan, province])


EXPECTED_DELTA: dict[str, Any] = {
    "total": 8,
    "by_kind": {"KSDD": 5, "KSDPK": 2, "KSDPL": 1},
    # a6's term ended on 2024-06-01 (a7 carries it on): expired, beside a3; running are a1 and a4,
    # as the funnel counts them.
    "by_status": {"running": 2, "ksb_signed": 1, "expired": 2, "ended": 1, "initiated": 1, "declined": 1},
    "by_urusan": {"2.11": 1, "1.02": 1, "1.03": 1, "3.26": 1, "2.15": 3, "2.07": 1},
    "by_province": {"65": 8, "64": 1},
    "by_region": {"65.71": 4, "65.02": 2, "65.03": 1, "65.04": 1, "65.01": 3, "65": 1, "64.71": 1},
    "by_month": {"2023-01": 1, "2023-05": 1, "2022-01": 1, "2024-03": 1, "2021-01": 1, "2020-01": 1,
                 "2024-05": 1, "2024-09": 1},
    "foreign_by_country": {"MY": 1},
    "foreign_by_partner": {"Sabah Tourism Board": 1},
    "value_by_urusan_idr": {"2.11": 500_000_000, "1.03": 1_250_000_000, "3.26": 2_000_000_000},
    "value_by_funding_source_idr": {"apbd": 750_000_000, "pihak_ketiga": 1_000_000_000, "apbn": 2_000_000_000},
    "flags_by_rule": {"ksb.without_tkksd": 1, "pks.no_plan_reference": 1, "party.report_differs": 1,
                      "pks.without_ksb": 1, "urusan.outside_mapping": 1,
                      "ksdd.wajib_without_confirmed_border": 2},  # a1 and a2, raised by the mapping service
    "funnel": {"offered": 2, "accepted": 1, "ksb": 5, "pks": 5, "running": 2},
    "ksb_pks": {"followed": 4, "dormant": 1},
    "expiring": {"30": 0, "60": 1, "90": 1},
    "expired_without_extension_or_evaluation": 1,
    # Owed by the legal dates, whether or not the scheduler has noticed: a1 2023-S2 and 2024-S2; a3
    # all six semesters of 2022-2024; a5 2021-S1 to 2024-S1 (its term ended on 2024-01-10); a6 2020-S1
    # to 2024-S1. a4's 2024-S2 was reported late, before AS_OF.
    "overdue_reports": {"agreements": 4, "periods": 24},
    "ksdd_reports": {"one_sided": 3, "disagreeing": 1},
    "mandatory_not_carried_out": 1,  # a2: wajib, KSB signed on 2023-06-01 and no PKS two years on
    "disputes_open": {"agreements": 1, "disputes": 1},  # a1's, since 2024-10-01 (a5's was settled in 2022)
    "party_reports": 10,  # each agreement's proposer, and the other sides of a1 and a5
    "value_idr": 3_750_000_000,
}
"""What the history adds to the summary of province 65 at AS_OF. The KSB→PKS days are 92 (a1),
28 (a3), 103 (a4, after its KSB date was corrected to 2024-04-20) and 28 (a5): median 60."""
EXPECTED_MEDIAN_DAYS = 60.0


async def publish(history: History, settings: Settings | None = None) -> None:
    """Produce every stream in order (keyed by subject, so each stream keeps its order)."""
    producer = AIOKafkaProducer(**(settings or Settings()).kafka_options(),
                                enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for stream in history.streams:
            topic = MAPPING_EVENTS if stream.source == "/services/mapping" else AGREEMENT_EVENTS
            for event in stream.events:
                record = event.to_kafka()
                await producer.send_and_wait(topic.name, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()


async def caught_up(group_prefix: str, timeout: float = 120) -> None:
    """Until reporting's consumer groups have committed every record the two topics hold now: other
    runs share the topics, and a summary read before this may still be missing some of their past."""
    settings = Settings()
    consumer = AIOKafkaConsumer(**settings.kafka_options())
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await consumer.start()
    await admin.start()
    try:
        for topic in (AGREEMENT_EVENTS, MAPPING_EVENTS):
            partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
            ends = await consumer.end_offsets(partitions)
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                committed = await admin.list_consumer_group_offsets(consumer_group(group_prefix, "reporting", topic))
                if all((committed.get(p) and committed[p].offset >= ends[p]) or not ends[p] for p in partitions):
                    break
                assert asyncio.get_running_loop().time() < deadline, f"reporting has not caught up on {topic.name}"
                await asyncio.sleep(0.25)
    finally:
        await admin.close()
        await consumer.stop()
