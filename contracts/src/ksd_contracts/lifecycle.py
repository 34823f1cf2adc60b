"""The legal state of one agreement: facts per party, and the stage derived from them at a date.

One model, used by every service that needs it (agreement decides with it, reporting compiles its
records with it, audit replays both): `record` folds a lifecycle event into the facts, `stage`
derives where the agreement stands on a date, `stage_changes` lists the dates the stage changes
(so a database can answer "the stage on D" without Python), and `overdue_periods` says which
reports were owed and missing on a date.

Facts are kept per party, because each region acts for itself: each region's TKKSD review, DPRD
approval and own copy of the KSB and PKS; each partner's answer to the offer; each central
authority's approval. A correction re-records the superseded step's facts under the same key, so
the facts after a correction are the facts as if the corrected data had come first.

The stage is derived, never stored as the truth: time-dependent stages (running, expired) and
report arrears follow from the legal dates and the date asked, so they are right at any moment.
The scheduler's `started`, `expired` and `report_overdue` events stay the history's record of when
the platform noticed; the stage does not wait for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from ksd_contracts.events import (
    AGREEMENT_PROPOSED as PROPOSED,
)
from ksd_contracts.events import (
    AMENDED,
    CENTRAL_APPROVED,
    CORRECTED,
    DISPUTE_RAISED,
    DISPUTE_SETTLED,
    DPRD_APPROVED,
    EXPIRED,
    EXTENDED,
    KSB_SIGNED,
    OFFER_RESPONDED,
    OFFERED,
    PARTY_REPORTED,
    PKS_SIGNED,
    PKS_SIGNED_V2,
    PROGRESS_REPORTED,
    TERMINATED,
    TKKSD_REVIEWED,
    WITHDRAWN,
    Status,
)

FOLD_VERSION = 3
"""The version of the fold of agreement events (this module's `record` and `stage`, and the services'
folds built on them). Bump it with a change that makes existing histories give other facts or
stages: agreement states and reporting records carry the version that wrote them, and each service
folds older ones again from its own log when it starts."""

FOREIGN_KINDS = frozenset({"KSDPL", "KSDLL"})
"""Kinds whose approvals come before the KSB (Permendagri 25/2020): DPRD and central approvals."""

CENTRAL_AUTHORITIES = ("kemendagri", "kemlu")
"""The central approvals a foreign cooperation needs before signing (DOMAIN.md default)."""

DOMESTIC_ORDER: tuple[str, ...] = (
    Status.INITIATED, Status.REVIEWED, Status.OFFERED, Status.ACCEPTED, Status.KSB_SIGNED, Status.DPRD_APPROVED,
    Status.PKS_SIGNED, Status.RUNNING, Status.EXPIRED, Status.ENDED)
FOREIGN_ORDER: tuple[str, ...] = (
    Status.INITIATED, Status.REVIEWED, Status.OFFERED, Status.ACCEPTED, Status.DPRD_APPROVED,
    Status.CENTRAL_APPROVED, Status.KSB_SIGNED, Status.PKS_SIGNED, Status.RUNNING, Status.EXPIRED, Status.ENDED)
"""The spine of PP 28/2018 in order, per kind: KSDD/KSDPK/Sinergi sign the KSB and then seek DPRD
approval; KSDPL/KSDLL seek DPRD and central approval before signing. `not_feasible` stands where
`reviewed` stands, `declined` where `accepted` stands."""

_RANK_ALIAS: dict[str, str] = {Status.NOT_FEASIBLE: Status.REVIEWED, Status.DECLINED: Status.ACCEPTED}


Folded = TypeVar("Folded")


def revised(value: Folded, **changes: Any) -> Folded:
    """`dataclasses.replace` for a fold's frozen dataclasses (`LegalFacts`, the agreement's state):
    a copy of the instance's fields with `changes`, without calling `__init__`, whose frozen
    assignments field by field made replace a tenth of the agreement's CPU (bench/notes-agreement.md).
    Valid for dataclasses without `__post_init__`, `InitVar` or `init=False` fields, as these are."""
    known = value.__dataclass_fields__  # type: ignore[attr-defined]
    if unknown := changes.keys() - known.keys():
        raise TypeError(f"{type(value).__name__} has no field {', '.join(sorted(unknown))}")
    copy = object.__new__(type(value))
    copy.__dict__.update(value.__dict__, **changes)
    return copy


@dataclass(frozen=True)
class LegalFacts:
    """What the register knows of one agreement's legal acts, per party, with their legal dates
    (ISO strings, as the events carry them). JSON-safe: `to_json`/`from_json` round-trip."""

    kind: str
    regions: list[str]
    initiated_on: str
    reporters: list[str] = field(default_factory=list)
    """Regions that reported the agreement themselves: by proposing it or by a party report. Other
    steps a region submits (its offer response, its DPRD approval) do not make it a reporter."""
    proposers: list[str] = field(default_factory=list)
    """Regions that sent their own report of the agreement as such (a proposal): each does so once,
    even after it sent its own copy of the KSB or PKS, which also makes it a reporter."""
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each region's TKKSD review: {feasible, on, number}."""
    offered_on: str | None = None
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each partner's answer to the offer: {accepted, on}, keyed by the partner (or the region that
    recorded it when the answer names no partner)."""
    ksb: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each region's own copy of the KSB: {number, signed_on, capacity}."""
    dprd: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each region's DPRD approval: {number, on}."""
    central: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each central authority's approval: {number, on}."""
    pks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each region's own copy of the PKS: {number, signed_on, capacity}."""
    start_on: str | None = None
    end_on: str | None = None
    ended_on: str | None = None
    successor_id: str | None = None
    reports: dict[str, str] = field(default_factory=dict)
    """Each reported semester with the date of its report."""
    steps: dict[str, list[str]] = field(default_factory=dict)
    """submission id -> [event type, region that submitted]: what a correction supersedes."""
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each dispute by its `dispute_id`: {by, step (the submission that raised it), raised_on, subject,
    settled_on, settled_by}; open from its raising until its settlement."""
    withdrawn: dict[str, str] | None = None
    """{by, reason} when the reporting region withdrew the record: from its initiation on, its stage is
    `withdrawn` on every day and it counts nowhere."""

    def to_json(self) -> dict[str, Any]:
        """The fields as they are, not deep-copied (`asdict` was most of a rebuild's fold time): every
        change makes new containers (`replace`, `_with`), so none of them is ever changed in place.
        A copy of the instance's `__dict__`, which holds its fields and nothing else (`__init__` and
        `revised` write them there): a tenth of reading them one by one from `fields`."""
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LegalFacts:
        return cls(**data)

    @property
    def ksb_on(self) -> str | None:
        """The KSB's date: the earliest signature of any side's copy."""
        return min((c["signed_on"] for c in self.ksb.values()), default=None)

    @property
    def pks_on(self) -> str | None:
        return min((c["signed_on"] for c in self.pks.values()), default=None)

    @property
    def one_sided(self) -> bool:
        """A KSDD only one of whose party regions has reported it."""
        return self.kind == "KSDD" and not set(self.regions) <= set(self.reporters)


# --- record: the facts after one event -----------------------------------------------------------


def _copy(data: Mapping[str, Any], region: str) -> dict[str, Any]:
    document = data.get("document") or {}
    capacity = next((s.get("capacity") for s in document.get("signatories", []) if s.get("party") == region), None)
    return {"number": document.get("number"), "signed_on": str(document["signed_on"]), "capacity": capacity}


def _with(mapping: dict[str, dict[str, Any]], key: str, value: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**mapping, key: value}


def _step_facts(facts: LegalFacts, kind: str, data: Mapping[str, Any], region: str, step: str) -> LegalFacts:
    """The facts one step records, under the key of the party that acted (`region`); `step` is the
    submission that took it (a correction re-records it under the same one)."""
    if kind == TKKSD_REVIEWED:
        review = {"feasible": bool(data["feasible"]), "on": str(data["reviewed_on"]),
                  "number": data.get("document_number")}
        return revised(facts, reviews=_with(facts.reviews, region, review))
    if kind == OFFERED:
        return revised(facts, offered_on=str(data["document"]["signed_on"]))
    if kind == OFFER_RESPONDED:
        answer = {"accepted": bool(data["accepted"]), "on": str(data["responded_on"])}
        return revised(facts, responses=_with(facts.responses, str(data.get("party") or region), answer))
    if kind == KSB_SIGNED:
        return revised(facts, ksb=_with(facts.ksb, region, _copy(data, region)))
    if kind == DPRD_APPROVED:
        approval = {"number": data.get("decision_number"), "on": str(data["approved_on"])}
        return revised(facts, dprd=_with(facts.dprd, region, approval))
    if kind == CENTRAL_APPROVED:
        approval = {"number": data.get("letter_number"), "on": str(data["approved_on"])}
        return revised(facts, central=_with(facts.central, str(data["authority"]), approval))
    if kind == PKS_SIGNED:
        return revised(facts, pks=_with(facts.pks, region, _copy(data, region)),
                       start_on=str(data["start_on"]), end_on=str(data["end_on"]))
    if kind == AMENDED and (data.get("changes") or {}).get("end_on"):
        return revised(facts, end_on=str(data["changes"]["end_on"]))
    if kind == EXTENDED:
        return revised(facts, successor_id=str(data["new_agreement_id"]))
    if kind == TERMINATED:
        return revised(facts, ended_on=str(data["ended_on"]))
    if kind == PROGRESS_REPORTED:
        return revised(facts, reports={**facts.reports, str(data["period"]): str(data["reported_on"])})
    if kind == PARTY_REPORTED:
        return _party_report(facts, data, region)
    if kind == WITHDRAWN:
        return revised(facts, withdrawn={"by": region, "reason": str(data["reason"])})
    if kind == DISPUTE_RAISED:  # a correction's data may leave the id out: the dispute its step raised
        key = str(data.get("dispute_id") or next((k for k, d in facts.disputes.items() if d["step"] == step), step))
        dispute = {"by": region, "step": step, "raised_on": str(data["raised_on"]), "subject": str(data["subject"])}
        earlier = facts.disputes.get(key, {"settled_on": None, "settled_by": None})
        return revised(facts, disputes=_with(facts.disputes, key, {**earlier, **dispute}))
    if kind == DISPUTE_SETTLED and (raised := facts.disputes.get(str(data["dispute_id"]))):
        settled = {"settled_on": str(data["settled_on"]), "settled_by": str(data["settled_by"])}
        return revised(facts, disputes=_with(facts.disputes, str(data["dispute_id"]), {**raised, **settled}))
    return facts


def _party_report(facts: LegalFacts, data: Mapping[str, Any], region: str) -> LegalFacts:
    """Another party's own report: it becomes a reporter; a copy of the KSB or PKS is its copy."""
    if region not in facts.reporters:
        facts = revised(facts, reporters=[*facts.reporters, region])
    if data.get("submission_type") == "agreement.propose" and region not in facts.proposers:
        facts = revised(facts, proposers=[*facts.proposers, region])
    copy = {"number": data.get("document_number"), "signed_on": str(data.get("signed_on")), "capacity": None}
    if data.get("submission_type") == "agreement.record_ksb" and data.get("signed_on"):
        return revised(facts, ksb=_with(facts.ksb, region, copy))
    if data.get("submission_type") == "agreement.record_pks" and data.get("signed_on"):
        return revised(facts, pks=_with(facts.pks, region, copy))
    return facts


def _proposed(data: Mapping[str, Any]) -> LegalFacts:
    regions = [str(p["code"]) for p in data["parties"] if p["type"] == "region"]
    by = [str(data["submitted_by"])] if data.get("submitted_by") else []
    return LegalFacts(kind=str(data["kind"]), regions=regions, initiated_on=str(data["initiated_on"]),
                      reporters=by, proposers=by)


def record(facts: LegalFacts | None, kind: str, data: Mapping[str, Any]) -> LegalFacts | None:
    """The facts after one lifecycle event (its type and data). A correction re-records the
    superseded step's facts, under the party that took that step, with the corrected data."""
    kind = PKS_SIGNED if kind == PKS_SIGNED_V2 else kind  # v2 adds only the term in months
    if kind == PROPOSED:
        facts = _proposed(data)
    if facts is None:
        return None
    region = str(data.get("region") or data.get("submitted_by") or "")
    if kind == CORRECTED:
        superseded = facts.steps.get(str(data["supersedes"]))
        if superseded is None:
            return facts
        superseded_kind, region = superseded
        if superseded_kind == PROPOSED:
            return facts
        return _step_facts(facts, superseded_kind, data["data"], region, str(data["supersedes"]))
    step = str(data.get("submission_id") or "")
    if step:
        facts = revised(facts, steps={**facts.steps, step: [kind, region]})
    return _step_facts(facts, kind, data, region, step)


_LEGAL_DATE_FIELDS = ("initiated_on", "reviewed_on", "responded_on", "approved_on", "signed_on", "ended_on",
                      "reported_on", "due_on", "end_on", "start_on", "raised_on", "settled_on")


def legal_date(data: Mapping[str, Any]) -> str | None:
    """The legal date of a step (the signing, the decision), kept apart from when it was recorded;
    None for a step that has none (a correction)."""
    document = data.get("document")
    if isinstance(document, Mapping) and document.get("signed_on"):
        return str(document["signed_on"])
    return next((str(data[f]) for f in _LEGAL_DATE_FIELDS if data.get(f)), None)


def clock_date(kind: str, data: Mapping[str, Any]) -> str | None:
    """The day from which an event speaks: its legal date, except an expiry, which speaks from the
    day after the end. A stream's clock is the latest of these, and the stage on its clock is the
    stage as its history records it."""
    return clock_of(kind, legal_date(data))


def clock_of(kind: str, day: str | None) -> str | None:
    """`clock_date` of an event of `kind` whose legal date (`legal_date`) is `day`: for a reader that
    kept the legal date (reporting's timeline steps) instead of reading it off the data again."""
    if kind == EXPIRED and day:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    return day


# --- stage: where the agreement stands on a date --------------------------------------------------


def _on(facts: Mapping[str, dict[str, Any]], day: str, date_field: str = "on") -> list[dict[str, Any]]:
    return [f for f in facts.values() if f[date_field] <= day]


def order(kind: str) -> tuple[str, ...]:
    return FOREIGN_ORDER if kind in FOREIGN_KINDS else DOMESTIC_ORDER


def rank(kind: str, stage: str) -> int:
    return order(kind).index(_RANK_ALIAS.get(stage, stage))


def _before_pks(facts: LegalFacts, day: str) -> list[str]:
    """Every stage before the PKS that the facts known on `day` reach."""
    reached = ["initiated"]
    reviews = _on(facts.reviews, day)
    if reviews:
        reached.append("reviewed" if all(r["feasible"] for r in reviews) else "not_feasible")
    if facts.offered_on and facts.offered_on <= day:
        reached.append("offered")
    responses = _on(facts.responses, day)
    if responses:
        reached.append("accepted" if any(r["accepted"] for r in responses) else "declined")
    if _on(facts.ksb, day, "signed_on"):
        reached.append("ksb_signed")
    if facts.regions and all(r in facts.dprd and facts.dprd[r]["on"] <= day for r in facts.regions):
        reached.append("dprd_approved")
    if facts.kind in FOREIGN_KINDS and all(a in facts.central and facts.central[a]["on"] <= day
                                           for a in CENTRAL_AUTHORITIES):
        reached.append("central_approved")
    return reached


def stage(facts: LegalFacts, as_of: date) -> str | None:
    """Where the agreement stands on `as_of`, from the facts whose legal dates are on or before it;
    None before its initiation (it is not yet on the register that day). The furthest stage
    reached in the kind's order; a withdrawn record is `withdrawn` on every day (it never was a
    cooperation, and counts nowhere); a terminated agreement is ended from its end date, a signed PKS
    runs from its start and is expired after its end."""
    day = as_of.isoformat()
    if facts.initiated_on > day:
        return None
    if facts.withdrawn:
        return "withdrawn"
    if facts.ended_on and facts.ended_on <= day:
        return "ended"
    if facts.pks_on and facts.pks_on <= day:
        if facts.end_on and facts.end_on < day:
            return "expired"
        return "running" if facts.start_on and facts.start_on <= day else "pks_signed"
    return max(_before_pks(facts, day), key=lambda s: rank(facts.kind, s))


def _dates(facts: LegalFacts) -> set[str]:
    """Every legal date on which the stage may change."""
    found = {facts.initiated_on, *(r["on"] for r in facts.reviews.values()),
             *(r["on"] for r in facts.responses.values()), *(a["on"] for a in facts.dprd.values()),
             *(a["on"] for a in facts.central.values()), *(c["signed_on"] for c in facts.ksb.values()),
             *(c["signed_on"] for c in facts.pks.values())}
    found |= {d for d in (facts.offered_on, facts.start_on, facts.ended_on) if d}
    if facts.end_on:
        found.add((date.fromisoformat(facts.end_on) + timedelta(days=1)).isoformat())
    return found


def stage_changes(facts: LegalFacts) -> list[tuple[str, str]]:
    """(date, stage from that date) for each day the stage changes, in date order: the stage on D is
    the last entry dated on or before D (none: not yet initiated). A read model keeps these so that
    a query can ask the stage on any date; `stage` stays the one definition."""
    changes: list[tuple[str, str]] = []
    for day in sorted(_dates(facts)):
        now = stage(facts, date.fromisoformat(day))
        if now is not None and (not changes or changes[-1][1] != now):
            changes.append((day, now))
    return changes


# --- reports owed -------------------------------------------------------------------------------


def semesters(start: date, end: date) -> list[tuple[str, date]]:
    """Each semester of the term `start`..`end`, with the day after it closes (when its report is due)."""
    out: list[tuple[str, date]] = []
    year, half = start.year, 1 if start.month <= 6 else 2
    while date(year, 1 if half == 1 else 7, 1) <= end:
        out.append((f"{year}-S{half}", date(year, 7, 1) if half == 1 else date(year + 1, 1, 1)))
        year, half = (year, 2) if half == 1 else (year + 1, 1)
    return out


def report_periods(facts: LegalFacts) -> list[tuple[str, str, str | None]]:
    """Each semester a report is owed for: (period, due date, date it was reported or None). Owed
    from a signed PKS's start to its end, or to its termination when it ended earlier."""
    if not facts.pks or not facts.start_on or not facts.end_on or facts.withdrawn:
        return []
    end = min(facts.end_on, facts.ended_on or facts.end_on)
    return [(period, due.isoformat(), facts.reports.get(period))
            for period, due in semesters(date.fromisoformat(facts.start_on), date.fromisoformat(end))]


def overdue_periods(facts: LegalFacts, as_of: date) -> list[str]:
    """The semesters whose report was due by `as_of` and not sent by then."""
    day = as_of.isoformat()
    return [p for p, due, sent in report_periods(facts) if due <= day and not (sent and sent <= day)]


# --- disputes: open on a date ---------------------------------------------------------------------


def open_disputes(facts: LegalFacts, as_of: date) -> list[str]:
    """The disputes open on `as_of`: raised by then and not settled by then (the summary's
    `disputes_open` and `?indicator=disputed` read the same in SQL, reporting migration 0007)."""
    day = as_of.isoformat()
    return [key for key, d in facts.disputes.items()
            if d["raised_on"] <= day and (d["settled_on"] is None or d["settled_on"] > day)]
