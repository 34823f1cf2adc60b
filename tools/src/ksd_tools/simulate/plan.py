"""The workload of `ksd simulate`, planned before anything is sent: pure, and the same for a seed.

Each agreement is a track of ordered steps drawn from DOMAIN.md's lifecycle (persiapan, penawaran,
KSB, DPRD and central approvals, PKS, reports, amendment, extension, ending); each region that
takes part declares its TKKSD and mapping on a track of its own. Most steps are valid; a few are
invalid on purpose (intake answers 422) and a few break a lifecycle rule (the agreement service
rejects them), each followed by the node's corrected resubmission, as a real node would do.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

from ksd_contracts.regions import Region, autonomous_codes, region, regions
from ksd_contracts.submissions import EndReason, today_wib
from ksd_contracts.urusan import urusan
from ksd_tools.simulate import names

Expect = Literal["applied", "invalid", "rejected"]
Dated = tuple[date, str, dict[str, Any], Expect, str | None]
"""A step after the PKS with the date it is sent on, so they can be sent in the order they happen."""
EARLIEST = date(2014, 1, 1)
"""UU 23/2014: the oldest cooperation back-filled into the register."""


@dataclass(frozen=True)
class Step:
    """One submission of one node. `expect` says what the platform should answer: `invalid`
    (422 at intake) and `rejected` (a hard lifecycle rule, named in `rule`) are planned on purpose."""

    node: str
    key: str
    type: str
    data: dict[str, Any]
    expect: Expect = "applied"
    rule: str | None = None

    @property
    def body(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data}


@dataclass(frozen=True)
class Track:
    """Steps that must arrive in order: one agreement's lifecycle, or one region's declarations."""

    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Workload:
    seed: int
    tracks: tuple[Track, ...]

    @property
    def steps(self) -> Iterator[Step]:
        return (s for t in self.tracks for s in t.steps)

    @property
    def nodes(self) -> list[str]:
        return sorted({s.node for s in self.steps})


def _iso(day: date) -> str:
    return day.isoformat()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _number(rng: random.Random, prefix: str, day: date) -> str:
    """A document number as a Bagian Kerja Sama writes it: 415.4/123/KS/2023."""
    return f"{prefix}/{rng.randint(1, 999)}/{rng.choice(['KS', 'Pem', 'HK', 'Setda'])}/{day.year}"


@dataclass
class _Draft:
    """A track being written: steps get their idempotency keys in the order they are sent."""

    name: str
    seed: int
    steps: list[Step] = field(default_factory=list)

    def add(
        self, node: str, type_: str, data: dict[str, Any], expect: Expect = "applied", rule: str | None = None
    ) -> None:
        key = f"sim-{self.seed}-{self.name}-{len(self.steps):02d}"
        self.steps.append(Step(node, key, type_, data, expect, rule))

    def track(self) -> Track:
        return Track(self.name, tuple(self.steps))


class _Lifecycle:
    """Writes one agreement's steps; the clock stops at today, so recent agreements stay unfinished."""

    def __init__(
        self,
        draft: _Draft,
        rng: random.Random,
        today: date,
        kind: str,
        initiator: str,
        partner: str | dict[str, str],
        subject: tuple[str, str],
        objects: str,
    ) -> None:
        self.draft, self.rng, self.today, self.kind = draft, rng, today, kind
        self.initiator, self.partner = initiator, partner
        self.urusan, self.title = subject
        self.objects = objects
        self.proposal: dict[str, Any] = {}
        self.partner_reported = False
        self.id = _uuid(rng)
        self.day = today - timedelta(days=rng.randint(30, (today - EARLIEST).days))
        self.partner_region = partner if isinstance(partner, str) else None

    def later(self, low: int, high: int) -> bool:
        """Move the clock on; False when that would pass today (the agreement is still under way)."""
        day = self.day + timedelta(days=self.rng.randint(low, high))
        if day > self.today:
            return False
        self.day = day
        return True

    def step(
        self,
        type_: str,
        data: dict[str, Any],
        node: str | None = None,
        expect: Expect = "applied",
        rule: str | None = None,
    ) -> None:
        self.draft.add(node or self.initiator, type_, {"agreement_id": self.id} | data, expect, rule)

    def parties(self, first: str) -> list[dict[str, str]]:
        other = self.partner if isinstance(self.partner, dict) else {"type": "region", "code": self.partner}
        mine = {"type": "region", "code": first}
        if first == self.initiator:
            return [mine, other]
        return [mine, {"type": "region", "code": self.initiator}]

    def head(self, code: str) -> dict[str, str]:
        return {
            "name": names.person(code, "head"),
            "position": names.head_position(code),
            "party": code,
            "capacity": "kepala_daerah",
        }

    def partner_signatory(self) -> dict[str, str]:
        if self.partner_region:
            return self.head(self.partner_region)
        assert isinstance(self.partner, dict)
        return {
            "name": names.person(self.partner["name"], "mitra"),
            "position": "Pimpinan",
            "party": self.partner["name"],
            "capacity": "mitra",
        }

    def document(self, prefix: str, signatories: list[dict[str, str]], node: str | None = None) -> dict[str, Any]:
        code = node or self.initiator
        return {
            "number": _number(self.rng, f"{prefix}.{code}", self.day),
            "signed_on": _iso(self.day),
            "signatories": signatories,
        }

    # --- the stages -------------------------------------------------------------------------

    def propose(self) -> None:
        data: dict[str, Any] = {
            "kind": self.kind,
            "title": self.title,
            "parties": self.parties(self.initiator),
            "urusan": [self.urusan],
            "initiated_on": _iso(self.day),
        }
        if self.kind == "KSDD":
            data["mandatory"] = self.rng.random() < 0.4
        if self.rng.random() < 0.02:  # a date typed wrongly: in the future
            self.step(
                "agreement.propose",
                data | {"initiated_on": _iso(self.today + timedelta(days=40))},
                expect="invalid",
                rule="initiated_on: date in the future",
            )
        self.step("agreement.propose", data)
        self.proposal = data

    def mistaken_duplicate(self) -> None:
        """The same cooperation entered a second time by mistake (a new id), then withdrawn."""
        duplicate = _uuid(self.rng)
        self.draft.add(self.initiator, "agreement.propose", self.proposal | {"agreement_id": duplicate})
        self.draft.add(self.initiator, "agreement.withdraw", {
            "agreement_id": duplicate, "reason": "Tercatat dua kali oleh operator; catatan yang benar tetap berlaku"})

    def verdict(self) -> None:
        """The province of a regency/city initiator checks the record as it now stands: most are
        verified, some returned with a note (drawn apart from the plan's own draws, so the rest of a
        seed's plan stays as it was)."""
        own = region(self.initiator)
        if own is None or own.is_province:
            return
        draw = random.Random(self.id).random()
        if draw < 0.3:
            self.draft.add(own.province_code, "agreement.verify", {"agreement_id": self.id})
        elif draw < 0.35:
            self.draft.add(own.province_code, "agreement.return", {
                "agreement_id": self.id, "note": "Lampirkan dokumen KSB dan periksa tanggal penandatanganannya"})

    def partner_propose(self) -> None:
        """The other region reports the same agreement, under the same id, often with its own number."""
        assert self.partner_region
        data = self.proposal | {"parties": self.parties(self.partner_region)}
        if self.rng.random() < 0.6:
            data["document_number"] = _number(self.rng, f"415.4.{self.partner_region}", self.day)
        if self.rng.random() < 0.1:  # the sides disagree on the initiation date
            data["initiated_on"] = _iso(
                date.fromisoformat(data["initiated_on"]) - timedelta(days=self.rng.randint(3, 30))
            )
        self.step("agreement.propose", data, node=self.partner_region)

    def review(self) -> bool:
        feasible = self.rng.random() < 0.93
        self.step(
            "agreement.record_tkksd_review",
            {
                "reviewed_on": _iso(self.day),
                "feasible": feasible,
                "feasibility_study": self.kind == "KSDPK",
                "document_number": _number(self.rng, "BA.TKKSD", self.day),
            },
        )
        return feasible

    def offer(self) -> bool:
        self.step("agreement.record_offer", {"document": self.document("415.4", [self.head(self.initiator)])})
        if not self.later(7, 60):
            return False
        accepted = self.rng.random() < 0.9
        answer: dict[str, Any] = {"responded_on": _iso(self.day), "accepted": accepted}
        if not accepted:
            answer["reason"] = "Belum menjadi prioritas program pada tahun anggaran berjalan"
        self.step("agreement.record_offer_response", answer, node=self.partner_region or self.initiator)
        return accepted

    def approvals(self, required_for: str) -> None:
        """DPRD approval by each party region's own DPRD (a KSDD burdens both APBDs), and for the
        foreign tracks the minister's consent and Kemlu's coordination."""
        for node in [self.initiator, *([self.partner_region] if self.partner_region else [])]:
            self.step(
                "agreement.record_dprd_approval",
                {
                    "decision_number": f"Keputusan DPRD {self.rng.randint(1, 40)}/{self.day.year}",
                    "approved_on": _iso(self.day),
                },
                node=node,
            )
        if required_for == "foreign":
            for authority in ("kemendagri", "kemlu"):
                self.later(5, 30)
                self.step(
                    "agreement.record_central_approval",
                    {
                        "authority": authority,
                        "letter_number": _number(self.rng, f"100.4.{authority}", self.day),
                        "approved_on": _iso(self.day),
                    },
                )

    def ksb(self) -> None:
        foreign = self.kind in ("KSDPL", "KSDLL")
        signers = [self.head(self.initiator), self.partner_signatory()]
        if foreign and self.rng.random() < 0.05:
            self.step(
                "agreement.record_ksb",
                {"document": self.document("KSB", signers)},
                expect="rejected",
                rule="a KSDPL/KSDLL is signed only after DPRD and central approval",
            )
        if foreign:
            self.approvals("foreign")
            self.later(5, 30)
        if self.rng.random() < 0.03:
            by_kuasa = [self.kuasa(self.initiator), self.partner_signatory()]
            self.step(
                "agreement.record_ksb",
                {"document": self.document("KSB", by_kuasa)},
                expect="rejected",
                rule="a KSB is signed by the region head",
            )
        self.step("agreement.record_ksb", {"document": self.document("KSB", signers)})
        if self.partner_region and self.partner_reported and self.rng.random() < 0.6:
            own = self.document("KSB", signers, node=self.partner_region)
            if self.rng.random() < 0.1:  # the partner dated its copy differently
                own["signed_on"] = _iso(self.day - timedelta(days=self.rng.randint(1, 20)))
            self.step("agreement.record_ksb", {"document": own}, node=self.partner_region)

    def kuasa(self, code: str) -> dict[str, str]:
        return {
            "name": names.person(code, "opd"),
            "position": names.pick(code, "opd", names.OPD_HEADS),
            "party": code,
            "capacity": "kuasa",
            "power_of_attorney": _number(self.rng, "800.1.SK", self.day),
        }

    def pks(self) -> tuple[date, date]:
        dprd_required = self.kind in ("KSDD", "KSDPK") and self.rng.random() < 0.3
        signer = self.head(self.initiator) if self.rng.random() < 0.6 else self.kuasa(self.initiator)
        if dprd_required:
            if self.rng.random() < 0.08:
                self.step(
                    "agreement.record_pks",
                    self.pks_terms(signer, dprd_required)[0],
                    expect="rejected",
                    rule="DPRD approval before a PKS when it is required",
                )
            self.approvals("dprd")
            self.later(5, 40)
        data, start, end = self.pks_terms(signer, dprd_required)
        if self.rng.random() < 0.02:
            self.step(
                "agreement.record_pks",
                data | {"start_on": _iso(end), "end_on": _iso(start)},
                expect="invalid",
                rule="end_on: before start_on",
            )
        if signer["capacity"] == "kuasa" and self.rng.random() < 0.05:
            unsigned = {k: v for k, v in signer.items() if k != "power_of_attorney"}
            self.step(
                "agreement.record_pks",
                data | {"document": data["document"] | {"signatories": [unsigned]}},
                expect="invalid",
                rule="power_of_attorney: kuasa without a surat kuasa",
            )
        self.step("agreement.record_pks", data)
        return start, end

    def pks_terms(self, signer: dict[str, str], dprd_required: bool) -> tuple[dict[str, Any], date, date]:
        """A PKS signed today on the clock: its term (1 to 5 years, a few longer), funding and objects."""
        start = self.day + timedelta(days=self.rng.randint(0, 30))
        years = self.rng.choice([1, 2, 3, 3, 5, 5]) if self.rng.random() > 0.04 else 7
        end = start.replace(year=start.year + years, day=min(start.day, 28)) - timedelta(days=1)
        data: dict[str, Any] = {
            "document": self.document("PKS", [signer, self.partner_signatory()]),
            "start_on": _iso(start),
            "end_on": _iso(end),
            "dprd_required": dprd_required,
            "objects": [self.objects],
            "funding": [self.funding()],
            "rights_and_duties": "Para pihak menyediakan sarana, anggaran, dan personel sesuai pembagian peran.",
        }
        if self.kind == "Sinergi":
            data |= {
                "legal_basis": "PP 28/2018 Pasal 46",
                "action_plan": ["Penyusunan rencana kerja bersama", "Pelaksanaan kegiatan", "Monitoring dan evaluasi"],
            }
        return data, start, end

    def funding(self) -> dict[str, Any]:
        funding: dict[str, Any] = {"amount_idr": self.rng.randint(2, 400) * 25_000_000, "source": "apbd"}
        if self.rng.random() < 0.85:  # the rest have no RKPD reference: a soft flag
            funding |= {"plan": "rkpd", "program": f"Program {urusan()[self.urusan].name} (RKPD {self.day.year})"}
        return funding

    def after_pks(self, start: date, end: date) -> None:
        """Reports per semester, and perhaps an addendum, an extension or an early end, by date."""
        events: list[Dated] = []
        ended = min(end, self.today)
        if self.rng.random() < 0.06:
            ended = start + timedelta(days=self.rng.randint(90, max(91, (ended - start).days)))
            if ended <= self.today:
                reason = self.rng.choice([r for r in EndReason if r is not EndReason.JANGKA_WAKTU_BERAKHIR])
                events.append(
                    (
                        ended,
                        "agreement.terminate",
                        {
                            "ended_on": _iso(ended),
                            "reason": reason.value,
                            "detail": "Disepakati para pihak dalam rapat evaluasi",
                            "document_number": _number(self.rng, "BA.AKHIR", ended),
                        },
                        "applied",
                        None,
                    )
                )
        elif end < self.today and self.rng.random() < 0.35:
            events.append(
                (
                    end + timedelta(days=self.rng.randint(1, 60)),
                    "agreement.terminate",
                    {"ended_on": _iso(end), "reason": EndReason.JANGKA_WAKTU_BERAKHIR.value},
                    "applied",
                    None,
                )
            )
        events += self.reports(start, ended)
        events += self.changes(start, end, ended)
        events += self.dispute(start, ended)
        for day, type_, data, expect, rule in sorted(events, key=lambda e: e[0]):
            if day <= self.today:
                self.step(type_, data, expect=expect, rule=rule)

    def dispute(self, start: date, until: date) -> list[Dated]:
        """Now and then a party raises a dispute while the cooperation runs; most are settled some
        months on, by the parties or by the authority PP 28/2018 names (a few are first sent with
        the wrong one, and refused)."""
        if self.rng.random() >= 0.04 or (until - start).days < 60:
            return []
        raised = start + timedelta(days=self.rng.randint(30, (until - start).days))
        dispute_id = _uuid(self.rng)
        found: list[Dated] = [(raised, "agreement.raise_dispute", {
            "dispute_id": dispute_id, "raised_on": _iso(raised), "subject": "Pembagian biaya dan kewajiban para pihak",
            "document_number": _number(self.rng, "SENGKETA", raised)}, "applied", None)]
        if self.rng.random() < 0.6:
            settled = raised + timedelta(days=self.rng.randint(30, 200))
            regions = [self.initiator, *([self.partner_region] if self.partner_region else [])]
            governor = len({r[:2] for r in regions}) == 1 and all(len(r) == 5 for r in regions)
            authority = self.rng.choice(["para_pihak", "gubernur" if governor else "menteri"])
            settlement = {"dispute_id": dispute_id, "settled_on": _iso(settled), "outcome": "Disepakati bersama"}
            if self.rng.random() < 0.2:
                found.append((settled, "agreement.settle_dispute",
                              settlement | {"settled_by": "menteri" if governor else "gubernur"}, "rejected",
                              "a dispute is settled by the governor within a province, else the minister"))
            found.append((settled, "agreement.settle_dispute", settlement | {"settled_by": authority}, "applied", None))
        return found

    def reports(self, start: date, until: date) -> list[Dated]:
        found: list[Dated] = []
        year, half = start.year, 1 if start.month <= 6 else 2
        while True:
            closes = date(year, 6, 30) if half == 1 else date(year, 12, 31)
            if closes > until:
                break
            if self.rng.random() >= 0.15:  # some reports are never sent
                late = self.rng.random() < 0.25
                sent = closes + timedelta(days=self.rng.randint(60, 200) if late else self.rng.randint(5, 40))
                found.append(
                    (
                        sent,
                        "agreement.report_progress",
                        {
                            "period": f"{year}-S{half}",
                            "reported_on": _iso(sent),
                            "achievements": f"Kegiatan {self.objects.lower()} berjalan sesuai rencana kerja",
                            "recommendation": self.rng.choice(["dilanjutkan"] * 8 + ["diperluas", "dihentikan"]),
                            "realized_idr": self.rng.randint(1, 80) * 10_000_000,
                        },
                        "applied",
                        None,
                    )
                )
            year, half = (year, 2) if half == 1 else (year + 1, 1)
        return found[-10:]

    def changes(self, start: date, end: date, ended: date) -> list[Dated]:
        found: list[Dated] = []
        signers = [self.head(self.initiator), self.partner_signatory()]
        if self.rng.random() < 0.08 and (ended - start).days > 200:
            day = start + timedelta(days=self.rng.randint(100, (ended - start).days))
            self.day = day
            found.append(
                (
                    day,
                    "agreement.amend",
                    {
                        "document": self.document("ADD", signers),
                        "reason": "Penyesuaian nilai dan jangka waktu",
                        "changes": {"funding": [self.funding()], "end_on": _iso(end + timedelta(days=365))},
                    },
                    "applied",
                    None,
                )
            )
            if self.rng.random() < 0.25:
                found.append(
                    (
                        day,
                        "agreement.amend",
                        {
                            "document": self.document("ADD", signers),
                            "changes": {"kind": "KSDPK" if self.kind != "KSDPK" else "KSDD"},
                        },
                        "rejected",
                        "an amendment cannot change the kind",
                    )
                )
        if ended == end and self.rng.random() < 0.1 and end - timedelta(days=60) <= self.today:
            self.day = end - timedelta(days=self.rng.randint(10, 60))
            found.append(
                (
                    self.day,
                    "agreement.extend",
                    {
                        "new_agreement_id": _uuid(self.rng),
                        "document": self.document("PKS", signers),
                        "start_on": _iso(end + timedelta(days=1)),
                        "end_on": _iso(end + timedelta(days=365 * 3)),
                    },
                    "applied",
                    None,
                )
            )
        return found


def _agreement(draft: _Draft, rng: random.Random, today: date, initiator: str) -> None:
    """One agreement's lifecycle, of a kind drawn as regions practise them (KSDD most often)."""
    kind = rng.choices(["KSDD", "KSDPK", "KSDPL", "KSDLL", "Sinergi"], [60, 22, 7, 4, 7])[0]
    first = names.display(initiator)
    partner: str | dict[str, str]
    if kind == "KSDD":
        partner = _ksdd_partner(rng, initiator)
        code, pattern, objects = rng.choice(names.KSDD_SUBJECTS)
        subject = (code, pattern.format(a=first, b=names.display(partner)))
    elif kind == "KSDPK":
        code, pattern, partner_kind = rng.choice(names.KSDPK_SUBJECTS)
        partner = names.third_party(partner_kind, initiator).party
        subject, objects = (code, pattern.format(a=first, p=partner["name"])), "Program kemitraan"
    elif kind == "Sinergi":
        code, pattern = rng.choice(names.SINERGI_SUBJECTS)
        partner = {"type": "central", "name": rng.choice(names.MINISTRIES)}
        subject, objects = (code, pattern.format(a=first, p=partner["name"])), "Rencana kerja bersama"
    else:
        code, pattern = rng.choice(names.KSDPL_SUBJECTS)
        name, country, category = rng.choice(
            names.FOREIGN_GOVERNMENTS if kind == "KSDPL" else names.FOREIGN_INSTITUTIONS
        )
        partner = {"type": "foreign", "name": name, "country": country, "category": category}
        subject, objects = (code, pattern.format(a=first, p=name)), "Pertukaran keahlian dan kunjungan kerja"
    life = _Lifecycle(draft, rng, today, kind, initiator, partner, subject, objects)
    _run_lifecycle(life)


def _run_lifecycle(life: _Lifecycle) -> None:
    rng = life.rng
    life.propose()
    if not life.partner_region and rng.random() < 0.03:
        life.mistaken_duplicate()
    timing = rng.random() if life.partner_region else 1.0
    life.partner_reported = timing < 0.85  # the rest: the other side never reports
    if timing < 0.7:
        life.partner_propose()
    if life.later(7, 60) and life.review():
        if life.kind == "Sinergi":
            if life.later(30, 200):
                life.after_pks(*life.pks())
        elif life.later(7, 45) and life.offer() and rng.random() < 0.88 and life.later(14, 150):
            life.ksb()
            if rng.random() < 0.45 and life.later(30, 400):  # many KSBs never get a PKS
                life.after_pks(*life.pks())
    if 0.7 <= timing < 0.85:  # reported late: after the initiator's whole history
        life.partner_propose()
    life.verdict()


def _ksdd_partner(rng: random.Random, initiator: str) -> str:
    """Mostly a region of the same province, or the province itself; sometimes farther away."""
    own = region(initiator)
    assert own is not None
    siblings = [c for c in _members(own.province_code) if c != initiator]
    if own.is_province:
        if siblings and rng.random() < 0.6:
            return rng.choice(siblings)
        return rng.choice([p for p in _provinces() if p != initiator])
    roll = rng.random()
    if roll < 0.75 and siblings:
        return rng.choice(siblings)
    if roll < 0.9:
        return own.province_code
    return rng.choice([c for c in _regencies() if c != initiator])


@cache
def _provinces() -> list[str]:
    return sorted(c for c in autonomous_codes() if len(c) == 2)


@cache
def _regencies() -> list[str]:
    return sorted(c for c in autonomous_codes() if len(c) == 5)


@cache
def _members(province: str) -> list[str]:
    return [c for c in _regencies() if c.startswith(province + ".")]


def neighbours(code: str) -> list[str]:
    """Plausible neighbours: the regions next in code order within a province (provinces: next in
    code order). Symmetric, so both sides can declare the same border."""
    r = region(code)
    assert r is not None
    ring = _provinces() if r.is_province else _members(r.province_code)
    at = ring.index(code)
    return sorted({ring[i] for i in (at - 1, at + 1) if 0 <= i < len(ring)} - {code})


def _declarations(draft: _Draft, rng: random.Random, today: date, code: str) -> None:
    """A region's TKKSD decree and its mapping; most regions send them, not all. The decree has
    its own date in the past; the declarations are made today, on the platform (so none is older
    than one already on record, which mapping would refuse as outdated)."""
    r: Region = regions()[code]
    day = today - timedelta(days=rng.randint(30, 1500))
    if rng.random() < 0.85:
        secretariat = "Kepala Biro Kerja Sama" if r.is_province else "Kepala Bagian Kerja Sama"
        members = [
            {"name": names.person(code, "sekda"), "position": "Sekretaris Daerah", "role": "ketua"},
            {"name": names.person(code, "bagian"), "position": secretariat, "role": "sekretaris"},
        ]
        members += [
            {"name": names.person(code, opd), "position": opd, "role": "anggota"}
            for opd in rng.sample(names.OPD_HEADS, 3)
        ]
        decree = f"{'SK Gubernur' if r.is_province else 'SK Kepala Daerah'} {rng.randint(1, 400)}/HK/{day.year}"
        draft.add(
            code,
            "region.record_tkksd",
            {
                "region": code,
                "declared_on": _iso(today),
                "decree_number": decree,
                "decree_date": _iso(day),
                "members": members,
            },
        )
    codes = sorted(urusan())
    if rng.random() < 0.7:
        draft.add(
            code,
            "region.declare_cooperable_affairs",
            {
                "region": code,
                "declared_on": _iso(today),
                "offers": sorted(rng.sample(codes, rng.randint(1, 4))),
                "needs": sorted(rng.sample(codes, rng.randint(1, 3))),
            },
        )
    if rng.random() < 0.5:
        draft.add(
            code,
            "region.declare_potential",
            {
                "region": code,
                "declared_on": _iso(today),
                "potentials": [_potential(rng, code) for _ in range(rng.randint(1, 3))],
            },
        )
    if rng.random() < 0.8 and (near := neighbours(code)):
        draft.add(
            code,
            "region.declare_neighbours",
            {"region": code, "declared_on": _iso(today), "neighbours": near},
        )


def _potential(rng: random.Random, code: str) -> dict[str, Any]:
    affair = rng.choice(["3.26", "3.25", "3.27", "3.29", "3.31"])
    name = urusan()[affair].name
    return {
        "urusan": affair,
        "title": f"Potensi {name.lower()} {names.display(code)}",
        "description": f"Sentra {name.lower()} yang terbuka untuk investasi dan kerja sama daerah",
        "scale": rng.choice(["lokal", "regional", "nasional"]),
        "value_idr": rng.randint(1, 500) * 1_000_000_000,
    }


def workload(agreements: int, seed: int, today: date | None = None) -> Workload:
    """`agreements` lifecycles initiated in turn by every one of the 546 governments (shuffled by
    the seed), and the declarations of every region that takes part."""
    today = today or today_wib()
    rng = random.Random(seed)
    initiators = sorted(autonomous_codes())
    rng.shuffle(initiators)
    tracks = []
    for index in range(agreements):
        draft = _Draft(f"a{index}", seed)
        _agreement(draft, rng, today, initiators[index % len(initiators)])
        tracks.append(draft.track())
    taking_part = sorted({s.node for t in tracks for s in t.steps})
    for code in taking_part:
        draft = _Draft(f"r{code}", seed)
        _declarations(draft, rng, today, code)
        tracks.append(draft.track())
    return Workload(seed, tuple(t for t in tracks if t.steps))
