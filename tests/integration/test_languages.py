"""Words for people in Bahasa Indonesia, and in English for whoever asks (`Accept-Language: en`):
the same bad request answers the same status and the same machine `code`s in both, each text in
the language asked, and the answer says which (`Content-Language`). A rule whose values are listed
in a catalogue links to it, and the link answers."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest
from conftest import Platform

BAD_PROPOSAL: dict[str, Any] = {"type": "agreement.propose", "data": {
    "kind": "KSDD", "title": "abc", "urusan": ["2.99"], "initiated_on": "2024-07-02",
    "parties": [{"type": "region", "code": "53.71"}, {"type": "region", "code": "53.01"}]}}
"""Kota Kupang proposes with a title too short and an urusan code that does not exist."""

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture(scope="module")
async def kupang(platform: Platform) -> str:
    return await platform.token("regency", "53.71")


async def _both(send: Any) -> tuple[httpx.Response, httpx.Response]:
    """The same request in the default language and in English."""
    async with httpx.AsyncClient(timeout=30) as client:
        return await send(client, {}), await send(client, ENGLISH)


def _codes(problem: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((".".join(map(str, e["loc"])), e["code"]) for e in problem.get("errors", []))


async def test_an_invalid_submission_names_the_same_codes_in_indonesian_and_english(
        platform: Platform, kupang: str) -> None:
    async def send(client: httpx.AsyncClient, language: dict[str, str]) -> httpx.Response:
        return await client.post(f"{platform.url['intake']}/v1/submissions", json=BAD_PROPOSAL, headers={
            "Authorization": f"Bearer {kupang}", "Idempotency-Key": str(uuid4()), **language})

    indonesian, english = await _both(send)
    assert indonesian.status_code == english.status_code == 422
    assert (indonesian.headers["content-language"], english.headers["content-language"]) == ("id", "en")
    said, asked = indonesian.json(), english.json()
    assert _codes(said) == _codes(asked) == [("body.data.title", "string_too_short"),
                                             ("body.data.urusan.0", "value_error")]
    assert (said["title"], asked["title"]) == ("Permintaan tidak valid", "Invalid request")
    title_id, urusan_id = (e["msg"] for e in sorted(said["errors"], key=lambda e: e["loc"]))
    title_en, urusan_en = (e["msg"] for e in sorted(asked["errors"], key=lambda e: e["loc"]))
    assert title_id == "paling sedikit 5 karakter" and title_en == "at least 5 characters"
    assert urusan_id.startswith("kode urusan '2.99' tidak dikenal (lihat http")
    assert urusan_en.startswith("urusan code '2.99' is unknown (see http")
    link = next(e["see"] for e in said["errors"] if e["code"] == "value_error")
    assert link in urusan_id and link in urusan_en
    async with httpx.AsyncClient(timeout=30) as client:
        catalogue = await client.get(link)
    assert catalogue.status_code == 200 and "2.11" in {u["code"] for u in catalogue.json()["urusan"]}


async def test_refusals_of_the_door_say_it_in_the_language_asked(platform: Platform, kupang: str) -> None:
    stranger = {**BAD_PROPOSAL, "data": {**BAD_PROPOSAL["data"], "title": "Air minum Kendari", "urusan": ["2.11"],
                                         "parties": [{"type": "region", "code": "74.71"},
                                                     {"type": "region", "code": "74.02"}]}}

    async def not_a_party(client: httpx.AsyncClient, language: dict[str, str]) -> httpx.Response:
        return await client.post(f"{platform.url['intake']}/v1/submissions", json=stranger, headers={
            "Authorization": f"Bearer {kupang}", "Idempotency-Key": str(uuid4()), **language})

    async def no_token(client: httpx.AsyncClient, language: dict[str, str]) -> httpx.Response:
        return await client.get(f"{platform.url['reporting']}/v1/summary", headers=language)

    for send, status, indonesian, english in (
            (not_a_party, 403, "wilayah 53.71 bukan pihak kerja sama ini", "region 53.71 is not a party to this"
                                                                           " agreement"),
            (no_token, 401, "Kirim Authorization: Bearer", "Send Authorization: Bearer")):
        said, asked = await _both(send)
        assert said.status_code == asked.status_code == status
        assert said.headers["content-language"] == "id" and asked.headers["content-language"] == "en"
        assert said.json()["type"] == asked.json()["type"] and said.json().get("code") == asked.json().get("code")
        assert said.json()["detail"].startswith(indonesian), said.json()
        assert asked.json()["detail"].startswith(english), asked.json()


async def test_mapping_refuses_an_unknown_urusan_in_both_languages_with_a_link_that_works(
        platform: Platform, kupang: str) -> None:
    async def partners(client: httpx.AsyncClient, language: dict[str, str]) -> httpx.Response:
        return await client.get(f"{platform.url['mapping']}/v1/regions/53.71/partners", params={"urusan": "9.99"},
                                headers={"Authorization": f"Bearer {kupang}", **language})

    said, asked = await _both(partners)
    assert said.status_code == asked.status_code == 422
    [error_id], [error_en] = said.json()["errors"], asked.json()["errors"]
    assert error_id["code"] == error_en["code"] == "urusan.unknown"
    assert "bukan kode urusan" in error_id["msg"] and "is no urusan code" in error_en["msg"]
    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(error_id["see"])).status_code == 200
