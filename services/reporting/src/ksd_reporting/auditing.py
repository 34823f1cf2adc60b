"""The auditor's questions, answered from compiled records alone: *as recorded on R, what was in
force on D*, and what changed between two recording dates.

Two times, never mixed: R is when the register learnt a fact (each timeline step's `recorded_at`,
the envelope time the agreement service stamped when it applied the submission); D is the legal
date a fact speaks from (the signing, the decision). A record back-filled in 2026 with acts of 2019
is, as recorded on a day of 2025, not on the register at all; as recorded now, it was running in
2022.

Nothing here folds on its own: the record as recorded on R is reporting's fold
(`domain.extend`, `domain.compile_record`) of the steps recorded by R, and the stage on D is
`ksd_contracts.lifecycle.stage` of those steps' legal facts, the definition every service uses.
The reporting endpoint (`audit_api`) and `ksd audit report` both answer through here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ksd_common.params import WIB
from ksd_contracts import lifecycle
from ksd_contracts.envelope import format_time
from ksd_contracts.lifecycle import LegalFacts
from ksd_reporting.domain import AgreementRecord, Step, compile_record, effective_data, extend, refused

ORIGINAL_KEYS = ("superseded_by", "corrected_data")
"""What a later correction writes onto the step it supersedes: not yet there as recorded before it."""


@dataclass(frozen=True)
class Question:
    """Recorded as of R (an instant), in force on D (a legal day): D defaults to R's day in WIB."""

    recorded_as_of: datetime
    in_force_on: date

    @classmethod
    def of(cls, recorded_as_of: datetime, in_force_on: date | None = None) -> Question:
        return cls(recorded_as_of, in_force_on or recorded_as_of.astimezone(WIB).date())

    def to_json(self) -> dict[str, str]:
        return {"recorded_as_of": format_time(self.recorded_as_of), "in_force_on": self.in_force_on.isoformat()}


def acted_by(step: Step) -> str:
    """Who acted on a step, as the history says today: the submitting region, else the service
    that recorded it (a scheduler's `started`, `expired`). The one place to read the person or
    machine behind a step once events carry it (issue 16)."""
    return str(step.get("submitted_by") or step.get("source") or "")


def _as_first_recorded(step: Step) -> Step:
    return {k: v for k, v in step.items() if k not in ORIGINAL_KEYS}


def as_recorded(record: AgreementRecord, recorded_as_of: datetime) -> AgreementRecord | None:
    """The record as the register held it at `recorded_as_of`: its steps recorded by then, folded
    as they arrived (a correction recorded later has not touched them yet); None when the register
    did not know the agreement yet."""
    cutoff = format_time(recorded_as_of)
    timeline: list[Step] = []
    for step in record["timeline"]:
        if step["recorded_at"] <= cutoff:
            timeline = extend(timeline, _as_first_recorded(step))
    return compile_record(timeline, int(timeline[-1]["sequence"])) if timeline else None


def _facts(record: AgreementRecord) -> LegalFacts:
    return LegalFacts.from_json(record["facts"])


def answer(record: AgreementRecord, question: Question) -> dict[str, Any]:
    """One agreement's answer to (R, D): whether the register knew it on R, and if so its stage on
    D, the acts in force by D and the reports then owed and missing."""
    known = as_recorded(record, question.recorded_as_of)
    base = {**question.to_json(), "agreement_id": record["agreement_id"], "on_register": known is not None}
    if known is None:
        return {**base, "stage": None, "version": 0}
    facts = _facts(known)
    day = question.in_force_on.isoformat()
    acts = [row(s) for s in known["timeline"]
            if not s.get("superseded_by") and (s["legal_date"] or "9999") <= day]
    return {
        **base, "stage": lifecycle.stage(facts, question.in_force_on), "version": known["version"],
        "registry_number": known["registry_number"], "title": known["title"], "kind": known["kind"],
        "regions": known["regions"], "value_idr": known["value_idr"], "initiated_on": facts.initiated_on,
        "start_on": facts.start_on, "end_on": facts.end_on, "ended_on": facts.ended_on,
        "overdue_reports": lifecycle.overdue_periods(facts, question.in_force_on), "acts_in_force": acts,
    }


def row(step: Step) -> dict[str, Any]:
    """A timeline step as an auditor reads it: what, its legal date, when recorded, who acted."""
    data = effective_data(step)
    return {"sequence": step["sequence"], "type": step["type"], "legal_date": lifecycle.legal_date(data),
            "recorded_at": step["recorded_at"], "acted_by": acted_by(step),
            "superseded_by": step.get("superseded_by"), "event_id": step["event_id"],
            "refused": refused(step), "reasons": step.get("reasons", []),
            "submission_type": step.get("submission_type")}


CHANGE_KINDS = {"corrected": "corrected", "withdrawn": "withdrawn", "submission_rejected": "refused"}
"""How a step recorded between two dates changes the record (a refused submission changes nothing,
and is listed apart); every other step adds to it."""


def changes(record: AgreementRecord, since: datetime, asked: Question) -> dict[str, Any]:
    """What the register recorded of the agreement after `since` up to R: steps added, corrections
    (with the step each supersedes), withdrawals and refused submissions, and its stage on D as
    recorded on each date."""
    low, high = format_time(since), format_time(asked.recorded_as_of)
    found: dict[str, list[dict[str, Any]]] = {"added": [], "corrected": [], "withdrawn": [], "refused": []}
    for step in record["timeline"]:
        if low < step["recorded_at"] <= high:
            found[CHANGE_KINDS.get(step["type"], "added")].append(
                {**row(step), "supersedes": _superseded_type(record, step)} if step["type"] == "corrected"
                else row(step))
    before, after = answer(record, Question(since, asked.in_force_on)), answer(record, asked)
    return {"since": low, "until": high, **found, "stage_before": before["stage"], "stage_after": after["stage"]}


def _superseded_type(record: AgreementRecord, correction: Step) -> str | None:
    return next((s["type"] for s in record["timeline"] if s.get("superseded_by") == correction["event_id"]), None)


@dataclass
class ScopeAnswer:
    """A region's (a province with its regencies/cities) or the nation's answer to (R, D), fed one
    record at a time in the report's order, so that a scope of any size is answered in bounded
    memory: each agreement the register knew on R with its stage on D, a page of them at a time
    (those after the page's cursor, `limit` of them), and how many stood at each stage in the whole
    scope (a withdrawn record is listed, and counted apart)."""

    code: str | None
    question: Question
    limit: int | None = None
    agreements: list[dict[str, Any]] = field(default_factory=list)
    stages: Counter[str] = field(default_factory=Counter)
    more: bool = False

    def add(self, record: AgreementRecord, listed: bool = True) -> None:
        """One more record; `listed` when it comes after the page's cursor."""
        found = answer(record, self.question)
        if not found["on_register"]:
            return
        self.stages[found["stage"] or "not_yet_initiated"] += 1
        if not listed:
            return
        if self.limit is None or len(self.agreements) < self.limit:
            self.agreements.append(found)
        else:
            self.more = True

    def to_json(self) -> dict[str, Any]:
        return {**self.question.to_json(), "region": self.code, "agreements": self.agreements,
                "by_stage": dict(sorted(self.stages.items())), "total": sum(self.stages.values()),
                "next_cursor": self.agreements[-1]["agreement_id"] if self.more else None}
