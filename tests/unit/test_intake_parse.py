"""Property tests of intake's parser and register import: any JSON body is a submission or a 422
naming its fields, never an exception; Indonesian dates and amounts read back as written."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from intake_examples import examples

from ksd_common.problems import Problem
from ksd_contracts.submissions import SUBMISSION_MODELS
from ksd_intake.domain import parse
from ksd_intake.imports import COLUMNS, MONTHS, parse_date, parse_rupiah, plan_row, region_code

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
TABLE = examples("64.72", "64.71", uuid4())


def outcome(body: Any) -> str:
    """`accepted`, or the problem's status with every error naming a loc, a code and a message."""
    try:
        parse(body)
    except Problem as problem:
        assert problem.status == 422
        assert problem.errors, problem.detail
        for error in problem.errors:
            assert error["loc"] and error["code"] and error["msg"], error
        return "422"
    return "accepted"


@given(JSON)
def test_any_json_is_a_submission_or_a_422(body: Any) -> None:
    outcome(body)


@given(st.sampled_from(list(SUBMISSION_MODELS)), st.dictionaries(st.text(max_size=20), JSON, max_size=6))
def test_any_data_of_a_known_type_is_a_submission_or_a_422(type: str, data: dict[str, Any]) -> None:
    outcome({"type": type, "data": data})


@given(st.sampled_from(list(TABLE.values())), st.data())
def test_a_field_replaced_by_anything_is_named_when_it_fails(example: Any, draw: st.DataObject) -> None:
    field = draw.draw(st.sampled_from(sorted(example.valid)))
    value = draw.draw(JSON)
    try:
        parse({"type": example.type, "data": {**example.valid, field: value}})
    except Problem as problem:
        named = {tuple(map(str, e["loc"][:3])) for e in problem.errors or []}
        assert ("body", "data", field) in named or any(len(n) == 2 for n in named), problem.errors


@pytest.mark.parametrize("example", TABLE.values(), ids=lambda e: e.type)
def test_the_examples_are_what_they_claim(example: Any) -> None:
    assert outcome({"type": example.type, "data": example.valid}) == "accepted"
    with pytest.raises(Problem) as raised:
        parse({"type": example.type, "data": example.invalid})
    assert example.invalid_field in {".".join(map(str, e["loc"])) for e in raised.value.errors or []}


@given(st.dates(min_value=date(1945, 8, 17), max_value=date(2100, 12, 31)), st.sampled_from(sorted(MONTHS)))
def test_dates_as_registers_write_them(day: date, month_word: str) -> None:
    assert parse_date(f"{day.day}/{day.month}/{day.year}") == day
    assert parse_date(f"{day.day:02d}-{day.month:02d}-{day.year}") == day
    assert parse_date(day.isoformat()) == day
    if MONTHS[month_word] == day.month:
        assert parse_date(f"{day.day} {month_word.capitalize()} {day.year}") == day


@given(st.integers(min_value=0, max_value=10**15))
def test_rupiah_as_registers_write_it(amount: int) -> None:
    dotted = f"{amount:,}".replace(",", ".")
    assert parse_rupiah(dotted) == parse_rupiah(f"Rp {dotted},00") == parse_rupiah(str(amount)) == amount


@given(st.dictionaries(st.sampled_from([k for k in COLUMNS if k != "no"]), st.text(max_size=40), max_size=10))
def test_any_row_is_planned_or_refused_with_columns(row: dict[str, str]) -> None:
    planned = plan_row(2, row, "64.72", "regency:64.72")
    assert bool(planned.submissions) != bool(planned.errors)
    assert all(e.column and e.code for e in planned.errors)


def test_a_partner_region_is_written_as_its_code_or_its_name() -> None:
    """The README promises both: `51.02` and `Kab. Tabanan` are the same region; a code that is no
    autonomous region's is neither."""
    assert region_code("51.02") == region_code(" Kab. Tabanan ") == region_code("Kabupaten Tabanan") == "51.02"
    assert region_code("99.99") is None and region_code("31.01") is None


def test_an_imported_signatory_keeps_the_capacity_the_register_shows() -> None:
    """A KSB signed by the Sekretaris Daerah is not recorded as signed by the region head (the
    lifecycle rules then refuse it); a surat kuasa makes a proxy; a head's title, or none, the head."""
    row = {"title": "Pengelolaan sampah regional", "kind": "KSDD", "parties": "64.71", "ksb_number": "1/KSB/2024",
           "ksb_date": "2024-03-01", "pks_number": "2/PKS/2024", "pks_date": "2024-05-01", "end_on": "2026-05-01",
           "legal_basis": "Perda 3/2019"}

    def signed(**cells: str) -> tuple[dict[str, Any], dict[str, Any]]:
        planned = plan_row(2, row | cells, "64.72", "regency:64.72")
        bodies = {s.type: s.data.model_dump(mode="json") for _, s in planned.submissions}
        return bodies["agreement.record_ksb"]["document"]["signatories"][0], bodies["agreement.record_pks"]

    assert signed()[0]["capacity"] == "kepala_daerah"
    assert signed(position="Wali Kota Bontang")[0]["capacity"] == "kepala_daerah"
    assert signed(position="Sekretaris Daerah")[0]["capacity"] == "mitra"
    assert signed(position="Wakil Wali Kota")[0]["capacity"] == "mitra"
    proxy, pks = signed(position="Kepala Dinas PU", power_of_attorney="800/12/SK/2024")
    assert proxy["capacity"] == "kuasa" and proxy["power_of_attorney"] == "800/12/SK/2024"
    assert pks["legal_basis"] == "Perda 3/2019"
