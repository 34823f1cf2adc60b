"""Mapping's rules, without I/O: region declarations, borders, classification of agreements, the
wajib check and the ranking of partners."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ksd_common.problems import field_message
from ksd_contracts import submissions as s
from ksd_contracts.events import (
    BORDER_CONFIRMED,
    BORDER_WITHDRAWN,
    DECLARATION_EVENTS,
    NEIGHBOURS_DECLARED,
    Flag,
    Submitted,
)
from ksd_contracts.language import ENGLISH, Words, say, speaking
from ksd_contracts.regions import Region, region
from ksd_contracts.urusan import urusan
from ksd_mapping.classification import classify_text

Reason = dict[str, str]
Pair = tuple[str, str]


def reason(rule: str, detail: str, detail_en: str) -> Reason:
    """A rule a declaration broke, said in both languages (intake answers in the reader's)."""
    return {"rule": rule, "detail": detail, "detail_en": detail_en}


def flag(rule: str, detail: str, detail_en: str) -> Flag:
    """A soft rule an agreement did not meet, said in both languages; only one of `FLAGS`, so that
    list stays every flag mapping raises."""
    if rule not in FLAGS:
        raise ValueError(f"{rule} is not one of mapping's flags (FLAGS)")
    return Flag(rule=rule, detail=detail, detail_en=detail_en)


@dataclass
class Borders:
    """Declared neighbours as directed pairs (region, neighbour): a border is confirmed when both
    directions are there. Holds at least every pair from or to the regions a batch touches."""

    pairs: set[Pair] = field(default_factory=set)

    def declared_by(self, code: str) -> set[str]:
        return {n for r, n in self.pairs if r == code}

    def confirmed(self, a: str, b: str) -> bool:
        return (a, b) in self.pairs and (b, a) in self.pairs

    def declare(self, code: str, neighbours: Iterable[str]) -> tuple[list[str], list[str]]:
        """Replace what `code` declares; returns (borders newly confirmed, borders withdrawn)."""
        before, after = self.declared_by(code), set(neighbours)
        self.pairs -= {(code, n) for n in before - after}
        self.pairs |= {(code, n) for n in after}
        confirmed = sorted(n for n in after - before if (n, code) in self.pairs)
        withdrawn = sorted(n for n in before - after if (n, code) in self.pairs)
        return confirmed, withdrawn


@dataclass(frozen=True)
class Declaration:
    """A `region.*` submission as mapping received it."""

    submitted: Submitted
    step: s.RegionStep

    @property
    def kind(self) -> str:
        return self.submitted.submission_type


@dataclass
class Outcome:
    """What one declaration becomes: events (type, data) keyed by its region, or the rules it broke."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rejected: list[Reason] = field(default_factory=list)


def read_declaration(submitted: Submitted) -> Declaration | list[Reason]:
    """The declaration of a `region.*` submission, or why its payload cannot be one. Validated
    without the submission-time context: a date that was not in the future then stays valid."""
    model = s.SUBMISSION_MODELS.get(submitted.submission_type)
    if model is None:
        return [reason("submission.unknown_type", f"{submitted.submission_type} bukan jenis pengajuan",
                       f"{submitted.submission_type} is not a submission type")]
    try:
        step = model.model_validate(submitted.payload)
    except ValidationError as error:
        return [_invalid(e) for e in error.errors()]
    assert isinstance(step, s.RegionStep)
    return Declaration(submitted, step)


def _invalid(error: Any) -> Reason:
    where = ".".join(map(str, error["loc"]))
    with speaking(ENGLISH):
        english = field_message(error)
    return reason("payload.invalid", f"{where}: {field_message(error)}", f"{where}: {english}")


def check(declaration: Declaration, last_declared_on: date | None) -> list[Reason]:
    """The rules a declaration must meet before mapping records it."""
    step, reasons = declaration.step, []
    if step.region != declaration.submitted.region:
        node = declaration.submitted.region or "-"
        reasons.append(reason("region.not_own",
                              f"simpul {node} menyatakan untuk {step.region}; daerah hanya menyatakan untuk dirinya"
                              " sendiri",
                              f"the node of {node} declared for {step.region}; a region declares only for itself"))
    if last_declared_on is not None and step.declared_on < last_declared_on:
        reasons.append(reason("declaration.outdated",
                              f"declared_on {step.declared_on} sebelum pernyataan yang tercatat ({last_declared_on}),"
                              " yang tetap berlaku",
                              f"declared_on {step.declared_on} is before the declaration on record"
                              f" ({last_declared_on}), which stays"))
    if isinstance(step, s.RegionRecordTkksd):
        reasons += _check_tkksd(step)
    if isinstance(step, s.RegionDeclareNeighbours):
        reasons += _check_neighbours(step)
    return reasons


def _check_tkksd(step: s.RegionRecordTkksd) -> list[Reason]:
    reasons = []
    if step.decree_date > step.declared_on:
        reasons.append(reason("tkksd.decree_after_declaration",
                              f"decree_date {step.decree_date} sesudah declared_on {step.declared_on}",
                              f"decree_date {step.decree_date} is after declared_on {step.declared_on}"))
    if not any(m.role == "ketua" for m in step.members):
        reasons.append(reason("tkksd.without_chair", "members: TKKSD memerlukan ketua (Sekda)",
                              "members: the TKKSD needs its ketua (the Sekda)"))
    return reasons


def _check_neighbours(step: s.RegionDeclareNeighbours) -> list[Reason]:
    """Borders that count for a wajib KSDD join a province to a province, or a regency/city to a
    regency/city (in the same or another province)."""
    me = region(step.region)
    assert me is not None
    other_level = [n for n in step.neighbours if (found := region(n)) and found.is_province != me.is_province]
    if not other_level:
        return []
    kinds = Words("provinsi", "provinces") if me.is_province else Words("kabupaten/kota", "regencies/cities")
    others = ", ".join(other_level)
    return [reason("neighbours.different_level",
                   f"{others}: {step.region} hanya dapat berbatasan dengan {kinds.id} lain",
                   f"{others}: {step.region} can border only other {kinds.en}")]


def apply(declaration: Declaration, borders: Borders) -> Outcome:
    """The events of an accepted declaration; neighbours also update `borders`."""
    step, submitted = declaration.step, declaration.submitted
    data = {**step.model_dump(mode="json"), "submission_id": str(submitted.submission_id),
            **submitted.submitter()}
    event_type = DECLARATION_EVENTS[declaration.kind]
    if not isinstance(step, s.RegionDeclareNeighbours):
        return Outcome(events=[(event_type, data)])
    unique = sorted(set(step.neighbours))
    confirmed, withdrawn = borders.declare(step.region, unique)
    data["neighbours"] = unique
    data["confirmed"] = sorted(n for n in unique if borders.confirmed(step.region, n))
    events: list[tuple[str, dict[str, Any]]] = [(NEIGHBOURS_DECLARED, data)]
    for kind, others in ((BORDER_CONFIRMED, confirmed), (BORDER_WITHDRAWN, withdrawn)):
        events += [(kind, {"regions": sorted([step.region, n]), "submission_id": str(submitted.submission_id),
                           "declared_on": step.declared_on.isoformat()}) for n in others]
    return Outcome(events=events)


# --- agreements ---------------------------------------------------------------------------------

class Proposal(BaseModel):
    """What mapping reads of an `agreement.proposed` event: only the fields it uses, so proposals
    recorded by earlier versions of the agreement service (the topic keeps years) still read."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    agreement_id: UUID
    registry_number: str | None = None
    kind: str
    mandatory: bool | None = None
    title: str
    parties: list[dict[str, Any]]
    urusan: list[str] = Field(default_factory=list)
    objects: list[str] = Field(default_factory=list)
    initiated_on: date

    @property
    def region_codes(self) -> list[str]:
        return [p["code"] for p in self.parties if p.get("type") == "region"]


UNCLASSIFIABLE = "classification.unclassifiable"
WAJIB_WITHOUT_BORDER = "ksdd.wajib_without_confirmed_border"
OUTSIDE_MAPPING = "urusan.outside_mapping"
FLAGS = (UNCLASSIFIABLE, WAJIB_WITHOUT_BORDER, OUTSIDE_MAPPING)
"""Every soft rule mapping flags an agreement with (`flag` raises no other). Reporting counts these
with the agreement service's soft rules in one `flags_by_rule`, so no name may be in both
(tests/unit/test_labels.py)."""


def classify(proposed: Proposal) -> dict[str, Any] | None:
    """The urusan an agreement serves: its submitted codes, else what its title and objects name
    by the rules; None when neither says (the agreement is flagged, not guessed)."""
    if proposed.urusan:
        return {"agreement_id": str(proposed.agreement_id), "urusan": sorted(set(proposed.urusan)),
                "method": "submitted", "matched": []}
    codes, matched = classify_text(proposed.title, list(proposed.objects))
    if not codes:
        return None
    return {"agreement_id": str(proposed.agreement_id), "urusan": codes, "method": "rules", "matched": matched}


def unclassifiable_flag(proposed: Proposal) -> Flag:
    return flag(UNCLASSIFIABLE,
                f"tidak ada kode urusan yang diajukan dan tidak ada aturan yang menemukan urusan dalam judul"
                f" {proposed.title!r} atau objeknya",
                f"no urusan codes were submitted and no rule names an urusan in the title {proposed.title!r} or its"
                " objects")


def related_without_border(a: Region, b: Region) -> bool:
    """A regency/city and its own province cooperate as wajib without a border (PP 28/2018)."""
    return a.code == b.province_code or b.code == a.province_code


def wajib_flag(parties: list[str], borders: Borders) -> Flag | None:
    """A wajib KSDD needs its parties joined by confirmed borders (or a regency/city with its
    province); checked when the proposal arrives: the mapping is stage 0, before the initiation."""
    found = [r for code in parties if (r := region(code)) is not None]
    joined = {found[0].code} if found else set()
    grew = True
    while grew:
        grew = False
        for r in found:
            if r.code in joined:
                continue
            if any(borders.confirmed(r.code, j) or related_without_border(r, region_of(j)) for j in joined):
                joined.add(r.code)
                grew = True
    apart = [r.code for r in found if r.code not in joined]
    if not apart:
        return None
    apart_codes, joined_codes = ", ".join(apart), ", ".join(sorted(joined))
    return flag(WAJIB_WITHOUT_BORDER,
                f"KSDD wajib: {apart_codes} tidak berbatasan terkonfirmasi (dinyatakan kedua pihak) dengan"
                f" {joined_codes}",
                f"wajib KSDD: {apart_codes} share no confirmed border (declared by both sides) with {joined_codes}")


def region_of(code: str) -> Region:
    found = region(code)
    assert found is not None
    return found


def outside_mapping_flags(codes: list[str], affairs: dict[str, set[str]]) -> list[Flag]:
    """A party that has mapped its cooperable affairs, but none of this agreement's."""
    return [
        flag(OUTSIDE_MAPPING,
             f"{party} sudah menyatakan urusan yang ditawarkan dan dibutuhkan, dan tidak satu pun dari"
             f" {', '.join(codes)} ada di antaranya",
             f"{party} declared the affairs it offers and needs, and none of {', '.join(codes)} is among them")
        for party, declared in sorted(affairs.items()) if declared and not declared & set(codes)
    ]


# --- partners -----------------------------------------------------------------------------------

TIERS = ("confirmed neighbour", "same province", "elsewhere")


@dataclass(frozen=True)
class Shared:
    """The agreements two regions already have: how many, and the latest few of them."""

    total: int
    latest: tuple[dict[str, Any], ...]


NOTHING_SHARED = Shared(0, ())


@dataclass(frozen=True)
class Candidate:
    """A region that offers at least one of the affairs wanted."""

    code: str
    offers: frozenset[str]
    potentials: dict[str, int] = field(default_factory=dict)
    neighbour: bool = False


@dataclass(frozen=True)
class Ranked:
    """A candidate with what places it: its tier, the wanted affairs it offers, its potentials in them."""

    region: Region
    tier: int
    matched: list[str]
    potentials: int

    @property
    def order(self) -> tuple[int, int, int, str]:
        return self.tier, -len(self.matched), -self.potentials, self.region.code


def same_province(a: Region, b: Region) -> bool:
    return a.province_code == b.province_code


def rank(me: Region, wanted: list[str], candidates: Iterable[Candidate]) -> list[Ranked]:
    """Confirmed neighbours first, the same province next, then the rest; within each, more of the
    wanted affairs offered, then more potentials declared in them, then by code."""
    ranked = []
    for c in candidates:
        matched = sorted(set(wanted) & c.offers)
        if c.code == me.code or not matched:
            continue
        other = region_of(c.code)
        tier = 0 if c.neighbour else 1 if same_province(me, other) else 2
        ranked.append(Ranked(other, tier, matched, sum(c.potentials.get(u, 0) for u in matched)))
    return sorted(ranked, key=lambda r: r.order)


def suggestion(me: Region, ranked: Ranked, shared: Shared) -> dict[str, Any]:
    """A ranked partner as the API shows it: why it is suggested (in the reader's language), and what
    the two already have."""
    other = ranked.region
    reasons = [say(f"menawarkan {u} {urusan()[u].name}", f"offers {u} {urusan()[u].name}") for u in ranked.matched]
    if ranked.tier == 0:
        reasons.append(say(f"tetangga terkonfirmasi: {me.code} dan {other.code} sama-sama menyatakan perbatasannya",
                           f"confirmed neighbour: {me.code} and {other.code} both declared the border"))
    elif ranked.tier == 1:
        reasons.append(say(f"satu provinsi ({me.province_code})", f"same province ({me.province_code})"))
    if ranked.potentials:
        reasons.append(say(f"{ranked.potentials} potensi dinyatakan dalam {', '.join(ranked.matched)}",
                           f"{ranked.potentials} declared potential(s) in {', '.join(ranked.matched)}"))
    if shared.total:
        reasons.append(say(f"sudah ada {shared.total} kerja sama di antara keduanya",
                           f"{shared.total} agreement(s) already between them"))
    return {"code": other.code, "name": other.name, "level": other.level, "province_code": other.province_code,
            "tier": TIERS[ranked.tier], "urusan": ranked.matched, "potentials": ranked.potentials,
            "reasons": reasons, "agreements_total": shared.total, "agreements": shared.latest}
