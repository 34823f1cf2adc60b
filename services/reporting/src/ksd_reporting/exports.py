"""Exports of the agreement register that an analyst can work in: every party by name and category,
the KSB and PKS numbers, legal dates as dates, the flags in words, each side's report; the CSV for
any tool, the workbook with a filter on every column, a frozen header, widths and number formats.
Both are written row by row as the database cursor yields them, so a national export never sits
whole in memory."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from ksd_contracts import labels
from ksd_contracts.regions import region
from ksd_contracts.urusan import urusan

Row = dict[str, Any]
"""An agreement as `store.each` yields it: the list's columns, its `record` and its `mapping_flags`."""


def _region_names(codes: list[str]) -> str:
    return "; ".join(f"{c} {r.name}" if (r := region(c)) else c for c in codes)


def _urusan_names(codes: list[str]) -> str:
    return "; ".join(f"{c} {u.name}" if (u := urusan().get(c)) else c for c in codes)


def _partners(a: Row) -> str:
    """The parties that are not regions, each with its category (and country)."""
    named = []
    for party in a["record"].get("parties", []):
        if party["type"] == "region":
            continue
        category = labels.PARTNER_CATEGORIES.get(party.get("category") or party["type"], "")
        where = f", {labels.country(party['country'])}" if party.get("country") else ""
        named.append(f"{party['name']} ({category}{where})")
    return "; ".join(named)


def _numbers(a: Row, document: str) -> str:
    """The numbers of each party's own copy of the KSB or PKS (one when they share it)."""
    copies = a["record"].get("facts", {}).get(document, {})
    return "; ".join(dict.fromkeys(c["number"] for c in copies.values() if c.get("number")))


def _reports(a: Row) -> str:
    """Which party regions reported the agreement themselves, and which have not (a KSDD is
    reported by both sides)."""
    reporters = set(a["record"].get("reporters", []))
    return "; ".join(f"{_region_names([c])}: {'melapor' if c in reporters else 'belum melapor'}" for c in a["regions"])


def _ksdd_reports(a: Row) -> str:
    record = a["record"]
    if record.get("disagreements"):
        return "Laporan kedua pihak berbeda"
    return "Hanya satu pihak yang melapor" if record.get("one_sided") else ""


def _flags(a: Row) -> str:
    rules = dict.fromkeys([*(f["rule"] for f in a["record"].get("flags", [])), *a["mapping_flags"]])
    return " ".join(labels.FLAGS.get(rule, rule) for rule in rules)


def _disputes(a: Row) -> str:
    """Each dispute with its dates, and who settled it."""
    said = []
    for d in a["record"].get("facts", {}).get("disputes", {}).values():
        settled = (f"diselesaikan {labels.day(d['settled_on'])} oleh {labels.SETTLED_BY.get(d['settled_by'], '')}"
                   if d.get("settled_on") else "belum selesai")
        said.append(f"{d['subject']} (diajukan {d['by']} {labels.day(d['raised_on'])}; {settled})")
    return "; ".join(said)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Row], Any]
    width: int
    number_format: str | None = None
    """Excel's: the column holds dates or amounts, not text."""


DATE = "DD MMM YYYY"
RUPIAH = '"Rp" #,##0'
COLUMNS: list[Column] = [
    Column("Nomor Registrasi", lambda a: a["registry_number"] or "", 18),
    Column("Judul Kerja Sama", lambda a: a["title"], 50),
    Column("Jenis", lambda a: labels.KINDS.get(a["kind"], a["kind"]), 30),
    Column("Sifat", lambda a: {True: "Wajib", False: "Sukarela"}.get(a["mandatory"], ""), 10),
    Column("Status", lambda a: labels.STATUSES.get(a["status"], a["status"]), 22),
    Column("Daerah", lambda a: _region_names(a["regions"]), 40),
    Column("Provinsi", lambda a: _region_names(a["provinces"]), 25),
    Column("Mitra", _partners, 40),
    Column("Negara Mitra", lambda a: "; ".join(labels.country(c) for c in a["countries"]), 16),
    Column("Urusan", lambda a: _urusan_names(a["urusan"]), 35),
    Column("Nomor KSB", lambda a: _numbers(a, "ksb"), 28),
    Column("Nomor PKS", lambda a: _numbers(a, "pks"), 28),
    Column("Tanggal Inisiasi", lambda a: a["initiated_on"], 14, DATE),
    Column("Tanggal KSB", lambda a: a["ksb_on"], 14, DATE),
    Column("Tanggal PKS", lambda a: a["pks_on"], 14, DATE),
    Column("Tanggal Mulai", lambda a: a["start_on"], 14, DATE),
    Column("Tanggal Berakhir", lambda a: a["end_on"], 14, DATE),
    Column("Nilai (Rp)", lambda a: a["value_idr"], 20, RUPIAH),
    Column("Sumber Dana", lambda a: "; ".join(sorted({labels.FUNDING.get(f["source"], f["source"])
                                                      for f in a["funding"]})), 20),
    Column("Laporan Para Pihak", _reports, 30),
    Column("Laporan KSDD", _ksdd_reports, 24),
    Column("Laporan Terakhir", lambda a: _day(a["record"].get("last_report_on")), 14, DATE),
    Column("Tanda", _flags, 50),
    Column("Sengketa", _disputes, 40),
    Column("ID Kerja Sama", lambda a: a["agreement_id"], 38),
]
HEADERS = [c.header for c in COLUMNS]


def values(a: Row) -> list[Any]:
    """One agreement's row: dates as `date` (the CSV writes them ISO, the workbook as date cells)."""
    return [c.value(a) for c in COLUMNS]


async def csv_chunks(agreements: AsyncIterator[list[Row]]) -> AsyncIterator[bytes]:
    """Semicolon-separated with a BOM: what Excel in an Indonesian locale opens without a wizard;
    one chunk per batch of rows from the database."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    out.write("\ufeff")
    writer.writerow(HEADERS)
    async for batch in agreements:
        writer.writerows(values(a) for a in batch)
        yield out.getvalue().encode()
        out.seek(0)
        out.truncate()
    yield out.getvalue().encode()


async def xlsx_file(agreements: AsyncIterator[list[Row]]) -> tempfile.SpooledTemporaryFile[bytes]:
    """The workbook, written row by row (openpyxl's write-only mode keeps the rows on disk, not in
    memory) with an autofilter over every column, the header frozen, column widths, and date and
    rupiah formats; returned as a file at its start, to be streamed."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Kerja Sama Daerah")
    sheet.freeze_panes = "A2"
    for i, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.append(HEADERS)
    n = 0
    async for batch in agreements:
        for a in batch:
            sheet.append(list(_cells(sheet, a)))
        n += len(batch)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{n + 1}"
    out = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - the caller streams and closes it
    book.save(out)
    out.seek(0)
    return out


def _cells(sheet: Any, a: Row) -> Iterator[Any]:
    for column, value in zip(COLUMNS, values(a), strict=True):
        if column.number_format and value is not None:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = column.number_format
            yield cell
        else:
            yield value
