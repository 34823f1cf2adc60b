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


async def upload(platform: Platform, token: str | None, content: bytes, name: str = "register.csv",
                 **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=300) as client:
        return await client.post(f"{platform.url['intake']}/v1/imports", files={"file": (name, content)},
                                 headers=headers, params=params)


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


async def _reporting(platform: Platform, token: str, path: str, *, not_yet: bool = False, **params: Any) -> Any:
    """Reporting's answer; with `not_yet`, None while the record is not compiled yet (404)."""
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.get(f"{platform.url['reporting']}{path}", params=params,
                                    headers={"Authorization": f"Bearer {token}"})
    if not_yet and response.status_code == 404:
        return None
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
    answer = (await upload(platform, kukar, _register(unique, first), wait=90)).json()
    assert answer["accepted"] == 4, answer
    assert [r["outcome"] for r in answer["report"]] == ["applied"] * 4  # as the agreement service decided
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



async def test_both_sides_registers_of_the_same_cooperations_make_one_agreement_each(platform: Platform) -> None:
    """Berau uploads its register of two KSDD with Paser; Paser uploads its own register of the same
    two, dated three days later (its own papers) with its own KSB numbers: each is joined to Berau's
    agreement as the other side's report, so the nation has two agreements, both two-sided. A third
    of Paser's, dated between two of Berau's with nothing to tell them apart, is joined to neither and
    flagged for review."""
    berau, paser = await platform.token("regency", "64.03"), await platform.token("regency", "64.01")
    ministry = await platform.token("directorate")
    unique = uuid4().hex[:8]
    header = "No;Judul Kerja Sama;Jenis;Pihak/Mitra;Urusan;Nomor KSB;Tanggal KSB\n"

    def register(partner: str, rows: list[tuple[str, str, str]]) -> bytes:
        return (header + "".join(f"{n};{title} {unique};KSDD;{partner};2.11;{ksb};{day}\n"
                                 for n, (title, ksb, day) in enumerate(rows, start=1))).encode()

    own = (await upload(platform, berau, register("Kabupaten Paser", [
        ("Sampah regional", f"BRU/1/{unique}", "2024-03-01"), ("Air minum", f"BRU/2/{unique}", "2024-09-01"),
        ("Jalan poros A", f"BRU/3/{unique}", "2025-02-01"), ("Jalan poros B", f"BRU/4/{unique}", "2025-02-21"),
    ]))).json()
    assert own["accepted"] == 4, own
    theirs = (await upload(platform, paser, register("Kabupaten Berau", [
        ("Pengelolaan sampah", f"PSR/1/{unique}", "2024-03-04"), ("Air minum", f"PSR/2/{unique}", "2024-09-04"),
        ("Jalan poros", f"PSR/3/{unique}", "2025-02-11"),
    ]))).json()
    assert theirs["accepted"] == 3, theirs
    berau_ids = [r["agreement_id"] for r in own["report"]]
    deadline = time.monotonic() + 120
    while True:
        listed = await _reporting(platform, ministry, "/v1/agreements", q=unique, limit=20)
        records = {a["agreement_id"] for a in listed["items"]}
        if len(records) == 5:
            break
        assert time.monotonic() < deadline, records
        await asyncio.sleep(0.5)
    assert set(berau_ids) <= records  # Paser's first two joined Berau's, its third stands alone
    joined = [await _reporting(platform, ministry, f"/v1/agreements/{a}") for a in berau_ids[:2]]
    assert [(r["terms"]["one_sided"], sorted(r["terms"]["reporters"])) for r in joined] == [
        (False, ["64.01", "64.03"])] * 2
    [alone] = records - set(berau_ids)
    flags = (await _reporting(platform, ministry, f"/v1/agreements/{alone}"))["terms"]["flags"]
    [review_flag] = [f for f in flags if f["rule"] == "reconciliation.ambiguous"]
    assert set(review_flag["detail"].split(": ")[1].split(", ")) == set(berau_ids[2:])
    review = await _reporting(platform, ministry, "/v1/agreements", flag="reconciliation.ambiguous", party="64.01")
    assert alone in {a["agreement_id"] for a in review["items"]}


async def test_the_report_says_what_the_agreement_service_decided(platform: Platform) -> None:
    """Asked to wait, the import report gives each row's outcome once the agreement service decided:
    a KSB the Sekretaris Daerah signed is refused with the rule that refuses it, the other row applies."""
    bontang = await platform.token("regency", "64.74")
    unique = uuid4().hex[:8]
    register = ("No;Judul Kerja Sama;Jenis;Pihak/Mitra;Nomor KSB;Tanggal KSB;Jabatan Penandatangan\n"
                f"1;Sampah {unique};KSDPK;PT Bersih;KSB/1/{unique};2024-02-01;Wali Kota Bontang\n"
                f"2;Air {unique};KSDPK;PT Jernih;KSB/2/{unique};2024-02-01;Sekretaris Daerah\n").encode()
    rows = (await upload(platform, bontang, register, wait=90)).json()["report"]
    assert [r["outcome"] for r in rows] == ["applied", "rejected"]
    [ksb] = [s for s in rows[1]["submissions"] if s["type"] == "agreement.record_ksb"]
    assert ksb["status"] == "rejected" and [r["rule"] for r in ksb["reasons"]] == ["ksb.signed_by_head"]
    assert ksb["reasons"][0]["pesan"] == "KSB harus ditandatangani kepala daerah."  # and what to do about it
    assert "kepala daerah" in ksb["reasons"][0]["tindakan"]


async def test_the_registers_columns_carry_what_the_rules_need(platform: Platform) -> None:
    """Approvals, wajib or sukarela, the plan a PKS is budgeted under and the partner's category come
    from the register's columns: a KSDPL with its DPRD, Kemendagri and Kemlu approvals before its
    KSB is applied whole; the compiled record keeps each of them."""
    kaltim, ministry = await platform.token("province", "64"), await platform.token("directorate")
    unique = uuid4().hex[:8]
    register = (
        "No;Judul Kerja Sama;Jenis;Pihak/Mitra;Negara Mitra;Sifat;Kategori Mitra;Nomor KSB;Tanggal KSB;"
        "Nomor PKS;Tanggal PKS;Tanggal Mulai;Tanggal Berakhir;Nilai (Rp);Sumber Dana;Dokumen Perencanaan;"
        "Program Perencanaan;Nomor Persetujuan DPRD;Tanggal Persetujuan DPRD;Nomor Persetujuan Kemendagri;"
        "Tanggal Persetujuan Kemendagri;Nomor Persetujuan Kemlu;Tanggal Persetujuan Kemlu\n"
        f"1;Kota kembar {unique};KSDPL;Sabah State Government;MY;;;KSB/1/{unique};2024-06-01;PKS/1/{unique};"
        f"2024-08-01;2024-08-01;2027-07-31;900.000.000;APBD;RKPD;Program Kerja Sama Luar Negeri;"
        f"DPRD/1/{unique};2024-03-01;KMD/1/{unique};2024-04-01;KLN/1/{unique};2024-05-01\n"
        f"2;Beasiswa {unique};KSDPK;Universitas Mulawarman;;;Perguruan tinggi;KSB/2/{unique};2024-02-01;;;;;;;;;;;;;;\n"
        f"3;Jalan perbatasan {unique};KSDD;Kalimantan Utara;;Wajib;;KSB/3/{unique};2024-02-01;;;;;;;;;;;;;;\n"
    ).encode()
    rows = (await upload(platform, kaltim, register, wait=90)).json()["report"]
    assert [r.get("outcome") for r in rows] == ["applied"] * 3, rows
    assert [s["type"] for s in rows[0]["submissions"]] == [
        "agreement.propose", "agreement.record_dprd_approval", "agreement.record_central_approval",
        "agreement.record_central_approval", "agreement.record_ksb", "agreement.record_pks"]
    deadline = time.monotonic() + 60
    while True:
        found = [await _reporting(platform, ministry, f"/v1/agreements/{r['agreement_id']}", not_yet=True)
                 for r in rows]
        if all(f is not None for f in found):
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.5)
    twinned, grant, road = (f["terms"] for f in found)
    assert twinned["facts"]["dprd"]["64"]["number"] == f"DPRD/1/{unique}"
    assert sorted(twinned["facts"]["central"]) == ["kemendagri", "kemlu"] and twinned["status"] == "running"
    assert (twinned["funding"][0]["plan"], twinned["funding"][0]["program"]) == (
        "rkpd", "Program Kerja Sama Luar Negeri")
    assert [p["category"] for p in grant["parties"] if p["type"] == "third_party"] == ["perguruan_tinggi"]
    assert road["mandatory"] is True


@pytest.mark.timeout(900)  # a loaded machine: the import, then ten thousand decisions
async def test_ten_thousand_rows_are_imported_in_batches(platform: Platform, samarinda: str) -> None:
    unique = uuid4().hex[:8]
    lines = ["No,Judul Kerja Sama,Jenis,Pihak/Mitra,Tanggal Inisiasi\n"] + [
        f"{n},Kerja sama pengelolaan sampah {unique} nomor {n},KSDD,Kota Balikpapan,12/12/2018\n"
        for n in range(1, 10_001)]
    before = await written(platform)
    conn = await platform.database("intake")
    try:
        since = await conn.fetchval("SELECT now()")
        started = time.perf_counter()
        response = await upload(platform, samarinda, "".join(lines).encode())
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text[:2000]
        answer = response.json()
        assert (answer["rows"], answer["accepted"]) == (10_000, 10_000), answer["report"][:3]
        assert await written(platform) == (before[0] + 10_000, before[1] + 10_000)
        print(f"10,000 rows imported in {elapsed:.1f} s")
        # Each is decided before the next test: ten thousand decisions queued in the agreement service
        # would hold up the submissions of whatever test file runs next on this platform.
        counted = "SELECT count(*) FROM submissions WHERE accepted_at >= $1 AND status = $2"
        for _ in range(1600):
            if not await conn.fetchval(counted, since, "accepted"):
                break
            await asyncio.sleep(0.25)
        assert await conn.fetchval(counted, since, "applied") == 10_000
    finally:
        await conn.close()


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

