"""The projection of events into the read models: pure functions, no I/O, no clock.

The live consumer and `ksd audit rebuild` both call them, so a rebuild from the log gives the same
rows as the live service. Every value comes from the events (their `time`, their legal dates);
nothing reads the wall clock, so a rebuild from offset zero is byte-identical.

An agreement's record is its timeline (one step per event, as recorded) and its current terms,
which are a fold over the timeline's steps: a correction replaces the data of the step it
supersedes and the terms are folded again, the superseded step staying on the timeline.

The legal state (each party's acts, the stage, the reports owed) is not reporting's own: it is
`ksd_contracts.lifecycle`'s fold of the same events, the one the agreement service keeps. The record
keeps that fold's stage changes and reports owed as dated lists, so that the summary can ask the
stage and the arrears on any date in SQL (`stage_on`, `overdue_on` in migration 0004); a test holds
those queries to `lifecycle.stage` and `lifecycle.overdue_periods`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ksd_contracts import lifecycle
from ksd_contracts.envelope import Envelope, event_type, format_time
from ksd_contracts.events import (
    AFFAIRS_DECLARED,
    AGREEMENT_PROPOSED,
    MAPPING_FLAGGED,
    POTENTIALS_DECLARED,
    SUBMISSION_REJECTED,
    TKKSD_RECORDED,
)
from ksd_contracts.lifecycle import LegalFacts
from ksd_contracts.regions import region

AgreementRecord = dict[str, Any]
Terms = dict[str, Any]
Step = dict[str, Any]
RegionFacts = dict[str, Any]



def short_type(event_type: str) -> str:
    """`id.go.kemendagri.ksd.agreement.ksb_signed.v1` -> `ksb_signed`."""
    return event_type.rsplit(".", 2)[-2]


def step_of(event: Envelope) -> Step:
    """The timeline step one event makes: its data as recorded, with both dates and who acted."""
    data = event.data
    step = {
        "event_id": str(event.id), "sequence": event.sequence, "type": short_type(event.type),
        "recorded_at": format_time(event.time), "legal_date": lifecycle.legal_date(data),
        "submitted_by": data.get("submitted_by"), "submission_id": data.get("submission_id"),
        "source": event.source, "flags": list(data.get("flags") or []), "data": data,
    }
    if event.type == SUBMISSION_REJECTED:
        step |= {"refused": True, "reasons": list(data.get("reasons") or []),
                 "submission_type": data["submission_type"]}
    return step


def refused(step: Step) -> bool:
    """A submission the agreement service refused: on the timeline, with its rules, so the region and
    auditors see every attempt on the record; no fold reads it (it changed nothing)."""
    return bool(step.get("refused"))


# --- the fold: one small function per step type --------------------------------------------------

def _proposed(terms: Terms, data: dict[str, Any]) -> None:
    parties = data["parties"]
    codes = [p["code"] for p in parties if p["type"] == "region"]
    terms.update(
        agreement_id=data["agreement_id"], registry_number=data.get("registry_number"), kind=data["kind"],
        mandatory=data.get("mandatory"), title=data["title"], parties=parties, regions=sorted(codes),
        provinces=sorted({r.province_code for c in codes if (r := region(c))}),
        urusan=sorted(data.get("urusan") or []), objects=list(data.get("objects") or []),
        countries=sorted({p["country"] for p in parties if p["type"] == "foreign"}),
        initiated_on=data["initiated_on"], parent_id=data.get("parent_id"),
    )


def _party_reported(terms: Terms, data: dict[str, Any]) -> None:
    terms["disagreements"] += len(data.get("flags") or [])


def _set_funding(terms: Terms, funding: list[dict[str, Any]]) -> None:
    terms["funding"] = [{"source": f["source"], "amount_idr": int(f["amount_idr"]), "plan": f.get("plan"),
                         "program": f.get("program")} for f in funding]
    terms["value_idr"] = sum(f["amount_idr"] for f in terms["funding"])


def _pks_signed(terms: Terms, data: dict[str, Any]) -> None:
    if data.get("objects"):
        terms["objects"] = list(data["objects"])
    _set_funding(terms, data.get("funding") or [])


def _amended(terms: Terms, data: dict[str, Any]) -> None:
    changes = data["changes"]
    for name in ("title", "objects"):
        if changes.get(name) is not None:
            terms[name] = changes[name]
    if changes.get("urusan") is not None:
        terms["urusan"] = sorted(changes["urusan"])
    if changes.get("funding") is not None:
        _set_funding(terms, changes["funding"])


def _terminated(terms: Terms, data: dict[str, Any]) -> None:
    terms["end_reason"] = data["reason"]


def _progress_reported(terms: Terms, data: dict[str, Any]) -> None:
    terms["reports"] = [*terms["reports"], {
        "period": data["period"], "reported_on": data["reported_on"],
        "recommendation": data["recommendation"], "realized_idr": data.get("realized_idr"),
    }]
    terms["last_report_on"] = max(str(data["reported_on"]), terms["last_report_on"] or "")


def _no_change(terms: Terms, data: dict[str, Any]) -> None:
    """Steps that are on the timeline but change no term of reporting's own: their legal facts are
    the lifecycle's (`_legal`), and a correction acts through its target."""


FOLD: dict[str, Callable[[Terms, dict[str, Any]], None]] = {
    "proposed": _proposed, "party_reported": _party_reported, "pks_signed": _pks_signed,
    "amended": _amended, "terminated": _terminated, "progress_reported": _progress_reported,
    **{step: _no_change for step in ("tkksd_reviewed", "offered", "offer_responded", "ksb_signed", "dprd_approved",
                                     "central_approved", "extended", "started", "expired", "report_overdue",
                                     "corrected", "withdrawn", "dispute_raised", "dispute_settled",
                                     "submission_rejected", "verified", "returned")},
}

UNVERIFIED: Terms = {"state": "unverified", "verdict": None, "note": None, "by": None, "at": None, "changes": []}
"""A record no province has given a verdict on yet."""

EMPTY_TERMS: Terms = {"end_reason": None, "funding": [], "value_idr": 0, "reports": [], "last_report_on": None,
                      "disagreements": 0, "verification": UNVERIFIED}

VERDICTS = ("verified", "returned")
"""The steps of a province's verdict (`agreement.verify`, `agreement.return`): a verification state."""


def verification(current: Terms | None, step: Step) -> Terms:
    """The record's verification by its province after one more step (DHIS2's data approval): a
    verdict sets it (`verified`, or `returned` with what to correct); any later step a party submits
    (a new report, a correction, a signed PKS) makes it `unverified` again, keeping the last verdict
    and its note and listing what changed since. Steps of the scheduler and refused ones change
    nothing a province checked."""
    current = current or UNVERIFIED
    if refused(step) or not step.get("submitted_by"):
        return current
    if step["type"] in VERDICTS:
        return {"state": step["type"], "verdict": step["type"], "note": step["data"].get("note"),
                "by": step["submitted_by"], "at": step["recorded_at"], "changes": []}
    change = {"step": step["type"], "by": step["submitted_by"], "at": step["recorded_at"]}
    return {**current, "state": "unverified", "changes": [*current["changes"], change]}


def _legal(timeline: list[Step]) -> Terms:
    """The legal state as `ksd_contracts.lifecycle` folds the same events (as recorded, corrections
    included), and what the read model keeps of it."""
    facts: LegalFacts | None = None
    for step in timeline:
        facts = _legal_step(facts, step)
    assert facts is not None, "a record's timeline starts with its proposal"
    return _kept(facts, _clock(timeline))


def _legal_step(facts: LegalFacts | None, step: Step) -> LegalFacts | None:
    """The lifecycle's facts after one more step; a refused step changed nothing."""
    return facts if refused(step) else lifecycle.record(facts, event_type("agreement", step["type"]), step["data"])


def _clock(timeline: list[Step]) -> str:
    """The history's clock: the latest day any of its (accepted) steps speaks from."""
    days = (lifecycle.clock_of(event_type("agreement", s["type"]), _legal_date(s)) for s in timeline if not refused(s))
    return max((d for d in days if d), default="")


def _legal_date(step: Step) -> str | None:
    """The step's legal date as `step_of` kept it (a step recorded before issue 19 kept none: read
    off its data, as `step_of` does)."""
    return step["legal_date"] if "legal_date" in step else lifecycle.legal_date(step["data"])


def _kept(facts: LegalFacts, clock: str) -> Terms:
    """What the read model keeps of the legal facts: the dates of each milestone, the stage on the
    history's clock, the stage changes and the reports owed, each a dated list for SQL."""
    changes = lifecycle.stage_changes(facts)
    accepted = [r["on"] for r in facts.responses.values() if r["accepted"]]
    return {
        "fold_version": lifecycle.FOLD_VERSION, "facts": facts.to_json(),
        "status": lifecycle.stage(facts, date.fromisoformat(clock)) or "initiated",
        "offered_on": facts.offered_on, "accepted_on": min(accepted, default=None), "ksb_on": facts.ksb_on,
        "pks_on": facts.pks_on, "start_on": facts.start_on, "end_on": facts.end_on, "ended_on": facts.ended_on,
        "successor_id": facts.successor_id, "reporters": facts.reporters, "one_sided": facts.one_sided,
        "withdrawn": facts.withdrawn is not None,
        "stage_dates": [d for d, _ in changes], "stage_names": [s for _, s in changes],
        "report_periods": [list(p) for p in lifecycle.report_periods(facts)],
        "disputes": [[d["raised_on"], d["settled_on"]] for d in facts.disputes.values()],
    }


def effective_data(step: Step) -> dict[str, Any]:
    """The step's data as it stands: a correction's data replaces the fields it names (the step's
    own data, not a copy, when nothing corrected it: read only, by the fold of every event)."""
    corrected = step.get("corrected_data")
    return {**step["data"], **corrected} if corrected else step["data"]


def compile_terms(timeline: list[Step]) -> Terms:
    """The current terms: the fold of every step's effective data, in the order recorded."""
    terms: Terms = {**EMPTY_TERMS}
    for step in timeline:
        FOLD[step["type"]](terms, effective_data(step))
        terms["verification"] = verification(terms["verification"], step)
    terms["flags"] = [{**f, "step": s["type"]} for s in timeline for f in s["flags"]]
    return terms | _legal(timeline)


def _supersede(timeline: list[Step], correction: Step) -> list[Step]:
    data = correction["data"]
    return [
        {**s, "superseded_by": correction["event_id"], "corrected_data": data["data"]}
        if s["submission_id"] and s["submission_id"] == str(data["supersedes"]) else s
        for s in timeline
    ]


@dataclass(frozen=True)
class Draft:
    """An agreement's record while a batch's events are folded onto it. The legal summary (`_kept`:
    the stage on every date, the reports owed) is the dearest part of a step, so a batch computes
    it once per agreement (`settle`) rather than once per event; `facts` holds the legal facts
    folded so far while that summary is not yet computed."""

    record: AgreementRecord | None
    facts: LegalFacts | None = None


def project(record: AgreementRecord | None, event: Envelope) -> AgreementRecord | None:
    """The compiled record of an agreement after one more of its events; None when the event
    belongs to no agreement on the register (e.g. the rejection of a first proposal). A refused
    submission of an agreement is a step of its timeline, marked `refused`."""
    return settle(fold(Draft(record), event))


def fold(draft: Draft, event: Envelope) -> Draft:
    """`project` without the legal summary: the same draft when the event changes nothing."""
    record = draft.record
    if record is None and event.type != AGREEMENT_PROPOSED:
        return draft
    if record is not None and event.sequence is not None and event.sequence <= record["version"]:
        return draft  # already folded in (a rebuild over a live table, or a redelivery)
    if short_type(event.type) not in FOLD:
        return replace(draft, record={**record, "version": event.sequence}) if record is not None else draft
    step = step_of(event)
    if record is None:  # the proposal: folded onto no terms, its legal summary left to `settle`
        return _folded_on(draft, _unrecorded(step), step, event.sequence or 1)
    if _foldable_on(record, step):
        return _folded_on(draft, record, step, event.sequence or len(record["timeline"]) + 1)
    timeline = extend(record["timeline"], step)
    return Draft(compile_record(timeline, event.sequence or len(timeline)))


def settle(draft: Draft) -> AgreementRecord | None:
    """The record of a draft, its legal summary computed from the facts folded onto it."""
    if draft.facts is None or draft.record is None:
        return draft.record
    return {**draft.record, **_kept(draft.facts, _clock(draft.record["timeline"]))}


def _foldable_on(record: AgreementRecord, step: Step) -> bool:
    """Whether one more step can be folded onto the record's own terms and facts instead of
    refolding its whole timeline (which made a rebuild quadratic in an agreement's length): only
    when the record was compiled by today's fold and the step changes no earlier step (a correction
    changes the data of the step it supersedes, so everything after it is folded again)."""
    return step["type"] != "corrected" and record.get("fold_version") == lifecycle.FOLD_VERSION


def _folded_on(draft: Draft, record: AgreementRecord, step: Step, version: int) -> Draft:
    """`compile_record` of the timeline with `step`, computed from the record's terms and legal facts
    as they stand: the fold is a left fold, so the last step folded onto them gives the same result
    (held by the property test in tests/unit/test_one_lifecycle.py)."""
    terms: Terms = {**record}
    FOLD[step["type"]](terms, effective_data(step))
    terms["verification"] = verification(record.get("verification"), step)
    terms["flags"] = [*record["flags"], *({**f, "step": step["type"]} for f in step["flags"])]
    terms["version"] = version
    terms["timeline"] = [*record["timeline"], step]
    known = draft.facts or (LegalFacts.from_json(record["facts"]) if record["timeline"] else None)
    facts = _legal_step(known, step)
    assert facts is not None, "a record's facts start with its proposal"
    return Draft(terms, facts)


def _unrecorded(first: Step) -> AgreementRecord:
    """The record before its first step: no terms yet (the timeline folded from nothing, as
    `compile_record` starts), so a batch that brings an agreement's proposal settles it once."""
    return {**EMPTY_TERMS, "flags": [], "timeline": [], "fold_version": lifecycle.FOLD_VERSION,
            "first_recorded_at": first["recorded_at"]}


def extend(timeline: list[Step], step: Step) -> list[Step]:
    """The timeline with one more step: a correction marks the step it supersedes, which stays.
    `project` extends as events arrive; an audit extends with the steps recorded by a date."""
    marked = _supersede(timeline, step) if step["type"] == "corrected" else timeline
    return [*marked, step]


def compile_record(timeline: list[Step], version: int) -> AgreementRecord:
    return {**compile_terms(timeline), "version": version, "first_recorded_at": timeline[0]["recorded_at"],
            "timeline": timeline}


def refolded(record: AgreementRecord) -> AgreementRecord:
    """A record an older fold compiled, compiled again from its own timeline (which keeps every
    step's data): what `project` gives today for the same events."""
    return compile_record(record["timeline"], record["version"])


# --- region facts and flags from ksd.mapping.events ------------------------------------------------

def project_region(facts: RegionFacts | None, event: Envelope) -> RegionFacts | None:
    """What reporting keeps of a region's own declarations: its TKKSD decree and its mapping."""
    kind = event.type
    if kind not in (TKKSD_RECORDED, AFFAIRS_DECLARED, POTENTIALS_DECLARED):
        return facts
    data = event.data
    code = str(data.get("region") or event.subject)
    found = region(code)
    if found is None:
        return facts
    current = facts or {"region": code, "province": found.province_code, "tkksd_decree": None,
                        "tkksd_on": None, "affairs_declared_on": None, "offers": [], "needs": [],
                        "potentials_declared_on": None, "potentials": 0, "version": 0}
    if event.subject == code and event.sequence is not None:
        if event.sequence <= current["version"]:
            return facts  # already applied: a redelivery, or a rebuild over a live table
        current = {**current, "version": event.sequence}
    on = str(data.get("declared_on") or format_time(event.time)[:10])
    if kind == TKKSD_RECORDED:
        return {**current, "tkksd_decree": data.get("decree_number") or "",
                "tkksd_on": str(data.get("decree_date") or on)}
    if kind == AFFAIRS_DECLARED:
        return {**current, "affairs_declared_on": on, "offers": sorted(data.get("offers") or []),
                "needs": sorted(data.get("needs") or [])}
    return {**current, "potentials_declared_on": on, "potentials": len(data.get("potentials") or [])}


def mapping_flags(event: Envelope) -> list[dict[str, Any]]:
    """The soft-rule flags mapping raised on an agreement (e.g. a wajib KSDD without a confirmed
    border, an affair outside the regions' mapping), one row each."""
    if event.type != MAPPING_FLAGGED or not event.data.get("agreement_id"):
        return []
    return [{"event_id": str(event.id), "agreement_id": str(event.data["agreement_id"]), "rule": str(f["rule"]),
             "detail": str(f.get("detail") or ""), "flagged_at": format_time(event.time)}
            for f in event.data.get("flags") or []]


# --- counts: what one record adds to the pre-aggregated counts of each scope ----------------------

CountKey = tuple[str, str, str, str]
"""(scope, month, dimension, key): scope `` is the nation, else a province or a region code; month
`` is every agreement whatever its month, else the month it was initiated in (`YYYY-MM`, `None`
without a date), so that a past day's counts are the whole less the months after it
(`store.counts_on`), not a count of the agreements initiated later."""


Counted = tuple[tuple[str, str, int, int], ...]
"""What of a record the counts read: (dimension, key, n, value in IDR) per item."""

Counting = tuple[Counted, tuple[str, ...], tuple[str, ...]]
"""A record's items, the scopes it adds them to and the months it adds them under."""


def counted(record: AgreementRecord | None, mapped: frozenset[str] = frozenset()) -> Counting:
    """The items a record adds to the counts, the scopes it adds them to (the nation, each of its
    provinces and each of its party regions) and the months (every month ``, and the month it was
    initiated in): the one reading of a record for the counts, so that two records that read alike
    here count alike (`add_changes` compares these first). `mapped`: the rules mapping flagged the
    agreement with (they come on mapping's topic, kept in their own table); an agreement counts
    once under a rule whichever service raised it."""
    if record is None or record.get("withdrawn"):
        return (), (), ()  # a withdrawn record counts nowhere
    value = int(record["value_idr"])
    month = str(record["initiated_on"])[:7]
    items: Counted = (
        ("kind", record["kind"], 1, value),
        ("month", month, 1, value),
        *(("urusan", u, 1, value) for u in record["urusan"]),
        *(("province", p, 1, value) for p in record["provinces"]),
        *(("region", r, 1, value) for r in record["regions"]),
        *(("country", c, 1, value) for c in record["countries"]),
        *(("partner", name, 1, value) for name in sorted({p["name"] for p in record["parties"]
                                                          if p["type"] == "foreign"})),
        *(("funding", f["source"], 1, int(f["amount_idr"])) for f in record["funding"]),
        *(("flag", rule, 1, 0) for rule in sorted({f["rule"] for f in record["flags"]} | mapped)),  # agreements
    )
    return items, ("", *sorted({*record["provinces"], *record["regions"]})), ("", month)


Changes = dict[CountKey, tuple[int, int]]
"""(n, value in IDR) added to the counts, by (scope, month, dimension, key)."""


def _add(total: Changes, counting: Counting, sign: int) -> None:
    """Adds `sign` times what a record counts (`counted`) to `total`."""
    items, scopes, months = counting
    for scope in scopes:
        for month in months:
            for dimension, key, n, amount in items:
                counted_key = (scope, month, dimension, key)
                old = total.get(counted_key, (0, 0))
                total[counted_key] = (old[0] + sign * n, old[1] + sign * amount)


def add_changes(total: Changes, before: AgreementRecord | None, after: AgreementRecord | None,
                mapped: frozenset[str] = frozenset(), mapped_after: frozenset[str] | None = None) -> None:
    """Adds after's contributions minus before's to `total`, a batch's sum (`moved` then drops the
    keys that did not move): one dict for the whole batch, not one per record summed again. Most
    events (a party's report, a signing) change nothing the counts read: then nothing is added.
    `mapped`: the rules mapping flagged the agreement with; `mapped_after` when a batch of mapping's
    flags adds to them (the record the same before and after)."""
    was, now = counted(before, mapped), counted(after, mapped if mapped_after is None else mapped_after)
    if was != now:
        _add(total, now, 1)
        _add(total, was, -1)


def moved(total: Changes) -> Changes:
    """The keys of a sum of changes that moved."""
    return {k: v for k, v in total.items() if v != (0, 0)}
