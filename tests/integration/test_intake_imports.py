"""Register import on the real platform: CSV and XLSX registers with Indonesian headers and dates
become ordinary submissions, answered row by row; uploading again changes nothing."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any
from uuid import uuid4

import httpx
import pytest
from conftest import Platform, header
from openpyxl import load_workbook
from test_intake_submissions import written

from ksd_contracts.topics import SUBMISSIONS

HEADER = ("No;Judul Kerja Sama;Jenis;Pihak/Mitra;Urusan;Nomor KSB;Tanggal KSB;Nomor PKS;Tanggal PKS;"
          "Tanggal Mulai;Tanggal Berakhir;Nilai (Rp);Sumber Dana\n")


@pytest.fixture(scope="module")
async def samarinda(platform: Platform) -> str:
    return await platform.token("regency", "64.72")


async def upload(platform: Platform, token: str | None, content: bytes, name: str = "register.csv") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=300) as client:
        return await client.post(f"{platform.url['intake']}/v1/imports", files={"file": (name, content)},
                                 headers=headers)


async def test_a_csv_register_is_answered_row_by_row_and_idempotent(
    platform: Platform, samarinda: str, tail: Any
) -> None:
    submissions = await tail(SUBMISSIONS.name)
    unique = uuid4().hex[:8]
    register = (HEADER +
        f"1;Pengelolaan sampah regional {unique};KSDD;Kota Balikpapan;2.11;180/KSB/{unique};12/12/2018;"
        f"180/PKS/{unique};2 Juli 2019;2019-07-02;2024-07-01;Rp 1.500.000.000,00;APBD\n"
        f"2;Air minum {unique};KSDD;Kota Antah Berantah;;;;;;;;;\n"
        f"3;Pelatihan aparatur {unique};KSDPK;Universitas Mulawarman;;KSB/3;31/02/2020;;;;;;\n"
        f"4;Beasiswa {unique};KSDPK;Universitas Mulawarman;;;;PKS/4;1 Maret 2021;2021-03-01;2020-03-01;5;APBD\n"
        f"5;Promosi wisata {unique};Kerja sama dengan pihak ketiga;PT Wisata Nusantara;;K/5;5 Agu 2020;;;;;;\n"
                f"6;Riset {unique};KSDPK;Universitas Mulawarman;;;;PKS/6;1 Maret 2021;2021-03-01;2022-03-01;-5;\n"
                ).encode()
    before = await written(platform)
    response = await upload(platform, samarinda, register)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["rows"], answer["accepted"], answer["refused"]) == (6, 2, 4)
    rows = {r["row"]: r for r in answer["report"]}
    assert [s["type"] for s in rows[2]["submissions"]] == [
        "agreement.propose", "agreement.record_ksb", "agreement.record_pks"]
    assert rows[6]["status"] == "accepted" and len(rows[6]["submissions"]) == 2

    def failed(row: int) -> set[tuple[str, str]]:
        return {(e["column"], e["code"]) for e in rows[row]["errors"]}

    assert ("Pihak/Mitra", "party") in failed(3)
    assert ("Tanggal KSB", "date") in failed(4)
    assert failed(5) == {("Tanggal Berakhir", "value_error")}
    assert failed(7) == {("Nilai (Rp)", "greater_than_equal")}
    assert await written(platform) == (before[0] + 5, before[1] + 5)

    ids = {s["id"] for s in rows[2]["submissions"]}
    published = await submissions.wait_for(lambda r: header(r, "ce_id") in ids, count=3)
    assert {r.key.decode() for r in published} == {rows[2]["agreement_id"]}
    assert [json.loads(r.value)["submission_type"] for r in published] == [
        "agreement.propose", "agreement.record_ksb", "agreement.record_pks"]

    again = (await upload(platform, samarinda, register)).json()
    assert _without_status(again["report"]) == _without_status(answer["report"])  # statuses move on
    assert {s["change"] for r in again["report"] for s in r.get("submissions", [])} == {"unchanged"}
    assert await written(platform) == (before[0] + 5, before[1] + 5)


def _without_status(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "submissions": [{**s, "status": None, "change": None} for s in r.get("submissions", [])]}
            for r in report]


async def test_the_template_comes_back_as_an_accepted_register(platform: Platform) -> None:
    bontang = await platform.token("regency", "64.74")  # a node of its own: the template's row is new to it
    async with httpx.AsyncClient() as client:
        template = await client.get(f"{platform.url['intake']}/v1/imports/template.xlsx")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content), read_only=True).worksheets[0]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert {"Judul Kerja Sama", "Pihak/Mitra", "Tanggal KSB", "Nilai (Rp)", "Urusan"} <= set(headers)
    answer = (await upload(platform, bontang, template.content, "register.xlsx")).json()
    assert answer["accepted"] == 1, answer


KEYED = ("No;Nomor Register Daerah;Judul Kerja Sama;Jenis;Pihak/Mitra;Urusan;Nomor KSB;Tanggal KSB;Nomor PKS;"
         "Tanggal PKS;Tanggal Mulai;Tanggal Berakhir;Nilai (Rp);Sumber Dana\n")


def _register(unique: str, rows: list[tuple[str, str, str, str]]) -> bytes:
    """Four KSDD of Kutai Kartanegara with Kota Samarinda: (register number, title, KSB number, PKS
    number or empty)."""
    lines = [f"{n};{reg};{title};KSDD;Kota Samarinda;2.11;{ksb};12/12/2022;"
             + (f"{pks};2 Mei 2023;2023-05-02;2026-05-01;250.000.000;APBD" if pks else ";;;;;")
             for n, (reg, title, ksb, pks) in enumerate(rows, start=1)]
    return (KEYED + "\n".join(lines) + "\n").encode()


async def _reporting(platform: Platform, token: str, path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.get(f"{platform.url['reporting']}{path}", params=params,
                                    headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_edited_register_changes_its_agreements_and_creates_none(platform: Platform) -> None:
    """Kutai Kartanegara uploads its register of four KSDD, then the same register with one PKS added,
    one title's typo fixed and one row given its register number late: the four agreements change
    (a correction for the title, a new PKS step) and no fifth appears; the summary's totals and KSB→PKS
    figures are a recount of the rows; a number used twice in one file is refused on its row."""
    kukar, ministry = await platform.token("regency", "64.02"), await platform.token("directorate")
    unique = uuid4().hex[:8]
    first = [(f"R1-{unique}", f"Sampah regional {unique}", f"KSB/1/{unique}", ""),
             (f"R2-{unique}", f"Air minum lintas daerha {unique}", f"KSB/2/{unique}", f"PKS/2/{unique}"),
             (f"R3-{unique}", f"Transportasi sungai {unique}", f"KSB/3/{unique}", f"PKS/3/{unique}"),
             ("", f"Promosi wisata {unique}", f"KSB/4/{unique}", "")]
    before = await _reporting(platform, ministry, "/v1/summary", region="64.02")
    answer = (await upload(platform, kukar, _register(unique, first))).json()
    assert answer["accepted"] == 4, answer
    ids = [r["agreement_id"] for r in answer["report"]]

    edited = [(first[0][0], first[0][1], first[0][2], f"PKS/1/{unique}"),  # its PKS signed since
              (first[1][0], f"Air minum lintas daerah {unique}", first[1][2], first[1][3]),  # the typo fixed
              first[2], (f"R4-{unique}", *first[3][1:])]  # given a register number: known by its KSB number
    again = (await upload(platform, kukar, _register(unique, edited))).json()
    assert again["accepted"] == 4 and [r["agreement_id"] for r in again["report"]] == ids
    changes = [{(s["type"], s["change"]) for s in r["submissions"]} for r in again["report"]]
    assert changes == [
        {("agreement.propose", "unchanged"), ("agreement.record_ksb", "unchanged"), ("agreement.record_pks", "new")},
        {("agreement.correct", "corrected"), ("agreement.record_ksb", "unchanged"),
         ("agreement.record_pks", "unchanged")},
        {("agreement.propose", "unchanged"), ("agreement.record_ksb", "unchanged"),
         ("agreement.record_pks", "unchanged")},
        {("agreement.propose", "unchanged"), ("agreement.record_ksb", "unchanged")}]
    assert (await upload(platform, kukar, _register(unique, edited))).json()["report"][0]["submissions"][2][
        "change"] == "unchanged"  # the third upload of the same file: nothing new

    deadline = time.monotonic() + 120
    while True:
        listed = await _reporting(platform, ministry, "/v1/agreements", q=unique, limit=10)
        titles = {a["agreement_id"]: a["title"] for a in listed["items"]}
        after = await _reporting(platform, ministry, "/v1/summary", region="64.02")
        if titles.get(ids[1], "").startswith("Air minum lintas daerah") and (
                after["funnel"]["pks"] - before["funnel"]["pks"] == 3):
            break
        assert time.monotonic() < deadline, (titles, after["funnel"])
        await asyncio.sleep(0.5)
    assert listed["total"] == 4 and set(titles) == set(ids)
    rows_with = {"ksb": sum(1 for r in edited if r[2]), "pks": sum(1 for r in edited if r[3])}
    assert after["total"] - before["total"] == len(edited)
    assert {k: after["funnel"][k] - before["funnel"][k] for k in ("ksb", "pks")} == rows_with
    assert after["ksb_pks"]["followed"] - before["ksb_pks"]["followed"] == rows_with["pks"]

    twice = _register(unique, [(f"R9-{unique}", f"Baru {unique}", f"KSB/9/{unique}", ""),
                               (f"R9-{unique}", f"Lain {unique}", f"KSB/10/{unique}", "")])
    report = (await upload(platform, kukar, twice)).json()["report"]
    assert report[0]["status"] == "accepted" and report[1]["status"] == "refused"
    assert report[1]["errors"][0]["column"] == "Nomor Register Daerah" and "baris 2" in report[1]["errors"][0]["msg"]


# its own waits add up past the default 300 s on a loaded machine
@pytest.mark.timeout(600)
async def test_ten_thousand_rows_are_imported_in_batches(platform: Platform, samarinda: str) -> None:
    unique = uuid4().hex[:8]
    lines = ["No,Judul Kerja Sama,Jenis,Pihak/Mitra,Tanggal Inisiasi\n"] + [
        f"{n},Kerja sama pengelolaan sampah {unique} nomor {n},KSDD,Kota Balikpapan,12/12/2018\n"
        for n in range(1, 10_001)]
    before = await written(platform)
    started = time.perf_counter()
    response = await upload(platform, samarinda, "".join(lines).encode())
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:2000]
    answer = response.json()
    assert (answer["rows"], answer["accepted"]) == (10_000, 10_000), answer["report"][:3]
    assert await written(platform) == (before[0] + 10_000, before[1] + 10_000)
    print(f"10,000 rows imported in {elapsed:.1f} s")


async def test_only_a_submitting_node_imports(platform: Platform) -> None:
    ministry = await platform.token("directorate")
    register = (HEADER + "1;Pengelolaan sampah regional;KSDD;Kota Balikpapan;;;12/12/2018;;;;;;\n").encode()
    before = await written(platform)
    assert (await upload(platform, None, register)).status_code == 401
    refused = await upload(platform, ministry, register)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert await written(platform) == before


@pytest.mark.parametrize(("content", "code"), [
    (b"\x00\x01 not a register", "header"),
    (b"PK\x03\x04 truncated zip", "file_type"),
    ("Judul Kerja Sama;Jenis\n\xe9t\xe9;KSDD\n".encode("latin-1"), "encoding"),
])
async def test_a_file_that_is_not_a_register_is_422(
    platform: Platform, samarinda: str, content: bytes, code: str
) -> None:
    response = await upload(platform, samarinda, content)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == code

