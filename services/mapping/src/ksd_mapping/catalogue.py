"""The catalogue mapping serves: regions with their hierarchy and lineage, and the urusan.

Region codes change when regions split (pemekaran): the lineage (`data/lineage.json`, versioned data)
says which old code became which new one from which date, so agreements recorded under an old code
stay attached to the region that carries it on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

from ksd_contracts.regions import Region, region, regions

Relation = Literal["split", "recoded"]


@dataclass(frozen=True, slots=True)
class Change:
    """`old` became (or gave part of itself to) `new` from `since`."""

    old: str
    old_name: str
    new: str
    relation: Relation
    since: date
    basis: str

    def as_json(self) -> dict[str, str]:
        return {"old": self.old, "old_name": self.old_name, "new": self.new, "relation": self.relation,
                "from": self.since.isoformat(), "basis": self.basis}


@cache
def lineage_document() -> dict[str, Any]:
    raw = resources.files("ksd_mapping").joinpath("data", "lineage.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(raw)
    return document


@cache
def changes() -> tuple[Change, ...]:
    return tuple(
        Change(c["old"], c["old_name"], c["new"], c["relation"], date.fromisoformat(c["from"]), c["basis"])
        for c in lineage_document()["changes"]
    )


def retired_codes() -> frozenset[str]:
    """Old codes no longer in use: their regions carry on under a new code."""
    return frozenset(c.old for c in changes() if c.relation == "recoded")


def current_code(code: str, on: date | None = None) -> str:
    """The code a region recorded as `code` carries today (or on `on`), following recodings."""
    for change in changes():
        if change.old == code and change.relation == "recoded" and (on is None or change.since <= on):
            return current_code(change.new, on)
    return code


def region_json(r: Region) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "level": r.level, "province_code": r.province_code,
            "autonomous": r.autonomous}


def region_detail(code: str) -> dict[str, Any] | None:
    """One region with its province, its regencies/cities (for a province) and its lineage; a retired
    code answers with what it became. None when the code was never a region."""
    successors = [c.as_json() for c in changes() if c.old == code]
    predecessors = [c.as_json() for c in changes() if c.new == code]
    found = region(code)
    if found is None:
        if code not in retired_codes():
            return None
        name = next(c.old_name for c in changes() if c.old == code)
        return {"code": code, "name": name, "status": "retired", "current_code": current_code(code),
                "lineage": {"predecessors": predecessors, "successors": successors}}
    province = region(found.province_code)
    assert province is not None
    return {
        **region_json(found), "status": "active", "province_name": province.name,
        "regions": [c for c, r in regions().items() if found.is_province and r.province_code == code and c != code],
        "lineage": {"predecessors": predecessors, "successors": successors},
    }
