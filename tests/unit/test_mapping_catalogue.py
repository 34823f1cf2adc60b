"""The catalogue mapping serves: counts that match the reference data, and the lineage of splits."""

from __future__ import annotations

from collections import Counter
from datetime import date

from ksd_contracts.regions import autonomous_codes, region, regions
from ksd_contracts.urusan import urusan
from ksd_mapping.catalogue import changes, current_code, region_detail, retired_codes


def test_counts_match_the_reference_data_exactly() -> None:
    levels = Counter(r.level for r in regions().values())
    assert levels == {"provinsi": 38, "kabupaten": 416, "kota": 98}
    assert len(regions()) == 552 and len(autonomous_codes()) == 546
    assert len(urusan()) == 32
    assert Counter(u.urusan_class for u in urusan().values()) == {
        "wajib_pelayanan_dasar": 6, "wajib_non_pelayanan_dasar": 18, "pilihan": 8}


def test_papua_2022_splits_91_into_93_94_95_and_92_into_96() -> None:
    splits = {(c.old, c.new) for c in changes() if c.relation == "split"}
    assert splits == {("91", "93"), ("91", "94"), ("91", "95"), ("92", "96")}
    assert {c.since for c in changes() if c.new.startswith(("93", "94", "95"))} == {date(2022, 7, 25)}
    assert {c.since for c in changes() if c.new.startswith("96")} == {date(2022, 12, 8)}


def test_every_recoded_region_carries_its_name_under_a_current_code_in_the_new_province() -> None:
    for change in changes():
        new = region(change.new)
        assert new is not None, change
        if change.relation == "recoded":
            assert region(change.old) is None, f"{change.old} is retired but still in the catalogue"
            assert new.name == change.old_name, change
            assert (change.old[:2], new.province_code) in {(c.old, c.new) for c in changes() if c.relation == "split"}
        else:
            assert region(change.old) is not None


def test_the_new_provinces_hold_exactly_the_recoded_regions() -> None:
    moved = {c.new for c in changes() if c.relation == "recoded"}
    in_new_provinces = {code for code, r in regions().items() if r.province_code in {"93", "94", "95", "96"}
                        and not r.is_province}
    assert moved == in_new_provinces


def test_a_retired_code_says_which_code_carries_it_on() -> None:
    assert current_code("91.01") == "93.01"
    assert current_code("91.01", on=date(2022, 1, 1)) == "91.01"
    assert current_code("53.71") == "53.71"
    detail = region_detail("92.71")
    assert detail is not None and detail["status"] == "retired" and detail["current_code"] == "96.71"
    assert "91.01" in retired_codes() and region_detail("99.99") is None


def test_a_region_has_its_province_and_lineage() -> None:
    papua = region_detail("91")
    assert papua is not None and {c["new"] for c in papua["lineage"]["successors"]} >= {"93", "94", "95"}
    assert "91.71" in papua["regions"]
    merauke = region_detail("93.01")
    assert merauke is not None and merauke["province_name"] == "Papua Selatan"
    assert [c["old"] for c in merauke["lineage"]["predecessors"]] == ["91.01"]
