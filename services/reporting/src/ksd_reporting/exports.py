"""Exports of the agreement register, with the headers a regional office (Bagian Kerja Sama) expects."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from ksd_contracts.regions import region
from ksd_contracts.urusan import urusan

STATUS_ID = {
    "initiated": "Inisiasi", "reviewed": "Dikaji TKKSD", "not_feasible": "Tidak layak", "offered": "Penawaran",
    "accepted": "Penawaran diterima", "declined": "Penawaran ditolak", "ksb_signed": "KSB ditandatangani",
    "dprd_approved": "Persetujuan DPRD", "central_approved": "Persetujuan pusat",
    "pks_signed": "PKS ditandatangani", "running": "Berjalan", "ended": "Berakhir", "expired": "Kedaluwarsa",
    "withdrawn": "Ditarik (salah catat)",
}


def _region_names(codes: list[str]) -> str:
    return "; ".join(f"{c} {r.name}" if (r := region(c)) else c for c in codes)


def _urusan_names(codes: list[str]) -> str:
    return "; ".join(f"{c} {u.name}" if (u := urusan().get(c)) else c for c in codes)


COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("Nomor Registrasi", lambda a: a["registry_number"] or ""),
    ("Judul Kerja Sama", lambda a: a["title"]),
    ("Jenis", lambda a: a["kind"]),
    ("Sifat", lambda a: {True: "Wajib", False: "Sukarela"}.get(a["mandatory"], "")),
    ("Status", lambda a: STATUS_ID.get(a["status"], a["status"])),
    ("Daerah", lambda a: _region_names(a["regions"])),
    ("Provinsi", lambda a: _region_names(a["provinces"])),
    ("Urusan", lambda a: _urusan_names(a["urusan"])),
    ("Negara Mitra", lambda a: "; ".join(a["countries"])),
    ("Tanggal Inisiasi", lambda a: a["initiated_on"] or ""),
    ("Tanggal KSB", lambda a: a["ksb_on"] or ""),
    ("Tanggal PKS", lambda a: a["pks_on"] or ""),
    ("Tanggal Mulai", lambda a: a["start_on"] or ""),
    ("Tanggal Berakhir", lambda a: a["end_on"] or ""),
    ("Nilai (Rp)", lambda a: a["value_idr"]),
    ("Sumber Dana", lambda a: "; ".join(sorted({f["source"].upper() for f in a["funding"]}))),
    ("ID Kerja Sama", lambda a: a["agreement_id"]),
]
HEADERS = [name for name, _ in COLUMNS]


def rows(agreements: list[dict[str, Any]]) -> list[list[Any]]:
    return [[value(a) for _, value in COLUMNS] for a in agreements]


def to_csv(agreements: list[dict[str, Any]]) -> bytes:
    """Semicolon-separated with a BOM: what Excel in an Indonesian locale opens without a wizard."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADERS)
    writer.writerows(rows(agreements))
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(agreements: list[dict[str, Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Kerja Sama Daerah")
    sheet.append(HEADERS)
    for row in rows(agreements):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
