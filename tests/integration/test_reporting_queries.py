"""A bad query to reporting is the caller's mistake, answered 422 problem+json naming the parameter
with a stable `code` and a message in Bahasa Indonesia: never a 500 (the database refusing it) nor a
200 that answers another question (zeros for a region that does not exist, 1970 for `as_of=0`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import Platform

LISTS = ("/v1/agreements", "/v1/exports/agreements.csv", "/v1/exports/agreements.xlsx")


@pytest.fixture(scope="module")
async def ministry(platform: Platform) -> str:
    return await platform.token("directorate")


async def _get(platform: Platform, token: str, path: str, **params: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.get(f"{platform.url['reporting']}{path}", params=params,
                                headers={"Authorization": f"Bearer {token}"})


def _refused(response: httpx.Response, parameter: str) -> dict[str, Any]:
    """The one field error of a 422 problem that names `parameter` of the query."""
    assert response.status_code == 422, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == 422 and problem["type"].endswith("/validation") and problem["title"]
    assert parameter in problem["detail"]
    [error] = problem["errors"]
    assert error["loc"] == ["query", parameter]
    named: dict[str, Any] = error
    return named


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("q", ["a\x00", "sampah\x00regional", "air\x07minum"])
async def test_a_search_with_a_control_character_is_422(platform: Platform, ministry: str, path: str, q: str) -> None:
    error = _refused(await _get(platform, ministry, path, q=q), "q")
    assert error["code"] == "text.control_character"
    assert "karakter kendali" in error["msg"]


@pytest.mark.parametrize("path", ["/v1/summary", *LISTS])
@pytest.mark.parametrize("role", ["directorate", "regency"])
async def test_a_region_that_does_not_exist_is_422_not_zeros(platform: Platform, path: str, role: str) -> None:
    token = await platform.token(role, "74.71" if role == "regency" else None)
    error = _refused(await _get(platform, token, path, region="99.99"), "region")
    assert error["code"] == "region.unknown"
    assert "bukan kode wilayah" in error["msg"]


@pytest.mark.parametrize("as_of", ["0", "1700000000", "2024-01-01T00:00:00", "2024-1-5", "2024-02-30",
                                   "28-11-2026", "20240101",
                                   "\uff12\uff10\uff12\uff14-\uff10\uff11-\uff10\uff11"])  # full-width digits
async def test_as_of_is_an_iso_day_or_422(platform: Platform, ministry: str, as_of: str) -> None:
    error = _refused(await _get(platform, ministry, "/v1/summary", as_of=as_of), "as_of")
    assert error["code"] == "date.not_iso"
    assert "tanggal" in error["msg"] and "YYYY-MM-DD" in error["msg"]


async def test_good_queries_are_answered(platform: Platform, ministry: str) -> None:
    summary = await _get(platform, ministry, "/v1/summary", region="53.71", as_of="2024-02-29")
    assert summary.status_code == 200, summary.text
    assert summary.json()["as_of"] == "2024-02-29" and summary.json()["region"] == "53.71"
    for path in LISTS:
        found = await _get(platform, ministry, path, q="air minum", region="53")
        assert found.status_code == 200, (path, found.text[:300])
