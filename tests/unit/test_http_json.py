"""The services' JSON answers (`ksd_common.service.Json`) are the bytes Starlette's JSONResponse wrote
before, for what the answers hold: INTERFACES.md's readers see no change."""

from __future__ import annotations

import math
from typing import Any

from fastapi.responses import JSONResponse
from hypothesis import given
from hypothesis import strategies as st

from ksd_common.service import Json

SUMMARY_LIKE: dict[str, Any] = {
    "region": None, "as_of": "2026-11-29", "total": 385880, "value_idr": 12_345_678_901_234_567,
    "ksb_pks": {"followed": 12, "rate": 0.4286, "median_days": 73.5, "dormant": 3},
    "names": {"regions": {"91.01": "Kabupaten Merauke", "11": "Aceh", "32.73": "Kota Bandung"},
              "urusan": {"1.01": "Pendidikan"}},
    "by_region": {"35.16": 4, "35.76": 2}, "flags": [], "verified": True,
    "detail": "Pengajuan ditolak: tanggal \"mulai\" sesudah tanggal selesai — periksa kembali ✓",
}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text()
    # as the answers' rates and medians are: rounded (Python writes 1e-05 and 1e+16 where pydantic-core
    # writes 1e-5 and 1e16, the same numbers, which no answer holds)
    | st.floats(min_value=-1e15, max_value=1e15).map(lambda x: round(x, 4)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


def test_a_summary_is_written_as_starlette_wrote_it() -> None:
    assert Json(SUMMARY_LIKE).body == JSONResponse(SUMMARY_LIKE).body


@given(JSON_VALUES)
def test_any_answer_is_written_as_starlette_wrote_it(content: Any) -> None:
    assert Json(content).body == JSONResponse(content).body


def test_a_value_that_is_not_a_number_is_null_not_invalid_json() -> None:
    assert Json({"rate": math.nan}).body == b'{"rate":null}'
