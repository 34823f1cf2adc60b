"""What a person reads for each code the register keeps, in Bahasa Indonesia: the dashboard (through
`/v1/summary`'s `names`), the list and the exports take their words from here, so a status or a
flag is called the same everywhere it is shown."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry

from ksd_contracts.events import Status
from ksd_contracts.submissions import Kind

STATUSES: dict[str, str] = {
    Status.INITIATED: "Inisiasi", Status.REVIEWED: "Dikaji TKKSD", Status.NOT_FEASIBLE: "Tidak layak",
    Status.OFFERED: "Penawaran", Status.ACCEPTED: "Penawaran diterima", Status.DECLINED: "Penawaran ditolak",
    Status.KSB_SIGNED: "KSB ditandatangani", Status.DPRD_APPROVED: "Persetujuan DPRD",
    Status.CENTRAL_APPROVED: "Persetujuan pusat", Status.PKS_SIGNED: "PKS ditandatangani (belum mulai)",
    Status.RUNNING: "Berjalan", Status.ENDED: "Berakhir", Status.EXPIRED: "Kedaluwarsa",
    Status.WITHDRAWN: "Ditarik (salah catat)",
}

STEPS: dict[str, str] = {
    "proposed": "Inisiasi", "party_reported": "Dilaporkan pihak lain", "tkksd_reviewed": "Kajian TKKSD",
    "offered": "Surat penawaran", "offer_responded": "Jawaban penawaran", "ksb_signed": "Penandatanganan KSB",
    "dprd_approved": "Persetujuan DPRD", "central_approved": "Persetujuan pusat",
    "pks_signed": "Penandatanganan PKS", "amended": "Perubahan (adendum)", "extended": "Perpanjangan",
    "terminated": "Pengakhiran", "progress_reported": "Laporan/evaluasi", "corrected": "Koreksi",
    "started": "Mulai berlaku", "expired": "Kedaluwarsa", "report_overdue": "Laporan terlambat",
    "withdrawn": "Penarikan catatan", "dispute_raised": "Sengketa diajukan", "dispute_settled": "Sengketa diselesaikan",
    "submission_rejected": "Pengajuan ditolak",
}
"""The steps of a compiled record's timeline, by event name."""

KINDS: dict[str, str] = {
    Kind.KSDD: "KSDD — dengan daerah lain", Kind.KSDPK: "KSDPK — dengan pihak ketiga",
    Kind.KSDPL: "KSDPL — dengan pemerintah daerah luar negeri", Kind.KSDLL: "KSDLL — dengan lembaga luar negeri",
    Kind.SINERGI: "Sinergi — dengan pemerintah pusat",
}

FUNDING: dict[str, str] = {
    "apbd": "APBD", "apbn": "APBN", "pihak_ketiga": "Pihak ketiga", "hibah": "Hibah", "lainnya": "Lainnya",
}

PARTNER_CATEGORIES: dict[str, str] = {
    "bumn": "BUMN", "bumd": "BUMD", "swasta": "Badan usaha swasta", "perguruan_tinggi": "Perguruan tinggi",
    "media_massa": "Media massa", "organisasi_kemasyarakatan": "Organisasi kemasyarakatan", "lsm": "LSM",
    "lainnya": "Lainnya", "pemerintah_daerah": "Pemerintah daerah luar negeri", "lembaga": "Lembaga luar negeri",
    "central": "Kementerian/lembaga pusat",
}

FLAGS: dict[str, str] = {
    "pks.without_ksb": "PKS tanpa KSB dan tanpa dasar hukum yang disebutkan.",
    "ksb.without_tkksd": "KSB ditandatangani tanpa kajian TKKSD daerah.",
    "pks.over_max_years": "Jangka waktu PKS melebihi batas tahun yang lazim (5 tahun).",
    "pks.no_plan_reference": "Pendanaan APBD tanpa rujukan program RKPD/RPJMD.",
    "party.report_differs": "Laporan kedua pihak KSDD berbeda (nomor, tanggal, atau isi).",
    "reconciliation.ambiguous": "Laporan ini bertanggal dekat dengan beberapa kerja sama yang dilaporkan pihak"
                                " lain: periksa mana yang sama.",
    "classification.unclassifiable": "Urusan tidak dapat ditentukan dari judul dan objek kerja sama.",
    "ksdd.wajib_without_confirmed_border": "KSDD wajib antara daerah yang perbatasannya belum dikonfirmasi.",
    "urusan.outside_mapping": "Urusan kerja sama di luar urusan yang dipetakan para pihak.",
}
"""A sentence for each soft-rule flag (the agreement service's rules.json and mapping's flags)."""

SETTLED_BY: dict[str, str] = {"para_pihak": "para pihak (musyawarah)", "gubernur": "gubernur", "menteri": "menteri"}

MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def day(iso: str) -> str:
    """A date as people read it here: `2026-11-28` -> `28 Nov 2026`."""
    year, month, dd = iso[:10].split("-")
    return f"{int(dd)} {MONTHS[int(month) - 1]} {year}"


_COUNTRY_NAMES = {"TL": "Timor-Leste"}
"""Where the iso-codes translation keeps an old name."""


@cache
def _iso3166() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"], fallback=True)


def country(code: str) -> str:
    """The country's name in Bahasa Indonesia (ISO 3166-1 through the iso-codes translations); the
    code itself when unknown."""
    if code in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[code]
    found = pycountry.countries.get(alpha_2=code)
    return _iso3166().gettext(found.name) if found else code


def names(countries: list[str]) -> dict[str, dict[str, str]]:
    """The tables a page needs to name every code it shows."""
    return {"statuses": {str(k): v for k, v in STATUSES.items()}, "kinds": {str(k): v for k, v in KINDS.items()},
            "steps": STEPS,
            "funding": FUNDING, "partner_categories": PARTNER_CATEGORIES, "flags": FLAGS,
            "countries": {c: country(c) for c in sorted(set(countries))}}
