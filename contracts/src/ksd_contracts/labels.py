"""What a person reads for each code the register keeps, in Bahasa Indonesia: the dashboard (through
`/v1/summary`'s `names`), the list and the exports take their words from here, so a status or a
flag is called the same everywhere it is shown."""

from __future__ import annotations

import gettext
from functools import cache
from typing import Any

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
    "submission_rejected": "Pengajuan ditolak", "verified": "Diverifikasi provinsi",
    "returned": "Dikembalikan provinsi untuk perbaikan",
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

RULES: dict[str, tuple[str, str]] = {
    # the agreement service's rule book (rules.json): hard rules refuse a submission
    "agreement.unknown": ("Kerja sama ini belum tercatat.", "Kirim dulu agreement.propose, lalu langkah ini."),
    "agreement.not_a_party": ("Daerah Anda bukan pihak kerja sama ini.",
                              "Periksa agreement_id; hanya daerah yang menjadi pihak yang mencatat langkahnya."),
    "agreement.already_reported": ("Daerah Anda sudah melaporkan kerja sama ini.",
                                   "Tidak perlu melapor lagi; ubah isi dengan agreement.correct bila keliru."),
    "agreement.withdrawn": ("Catatan ini sudah ditarik.", "Catat kerja sama yang benar, bukan catatan yang ditarik."),
    "verify.province_of_regency": ("Hanya provinsi dari kabupaten/kota pihak kerja sama ini yang dapat memverifikasi"
                                   " atau mengembalikannya.",
                                   "Verifikasi dilakukan operator provinsi tempat kabupaten/kota pihak berada."),
    "withdraw.own_record": ("Hanya daerah yang mencatat sendiri dan satu-satunya pelapor yang dapat menarik catatan.",
                            "Bila pihak lain sudah melaporkannya, perbaiki dengan agreement.correct."),
    "agreement.closed": ("Kerja sama ini sudah berakhir atau kedaluwarsa.",
                         "Setelah berakhir hanya laporan, koreksi, sengketa, atau penarikan yang dapat dicatat."),
    "step.out_of_order": ("Langkah ini tidak sesuai urutan tahapan pada tanggalnya.",
                          "Catat dulu tahap sebelumnya (mis. kajian TKKSD, KSB) atau periksa tanggal dokumennya."),
    "ksb.signed_by_head": ("KSB harus ditandatangani kepala daerah.",
                           "Periksa penandatangan KSB: jabatan kepala daerah (gubernur, bupati, wali kota)."),
    "pks.signatory_authorised": ("PKS ditandatangani pejabat tanpa kewenangan.",
                                 "PKS ditandatangani kepala daerah, atau pejabat dengan nomor surat kuasa."),
    "pks.dprd_before_effect": ("PKS ini memerlukan persetujuan DPRD setiap daerah pihak lebih dahulu.",
                               "Catat persetujuan DPRD (agreement.record_dprd_approval) tiap daerah, lalu PKS."),
    "foreign.approvals_before_signing": ("KSDPL/KSDLL ditandatangani setelah persetujuan DPRD dan pusat.",
                                         "Catat persetujuan DPRD, Kemendagri, dan Kemlu sebelum KSB/PKS."),
    "amend.kind_and_parties_fixed": ("Adendum tidak dapat mengubah jenis atau para pihak.",
                                     "Untuk jenis atau pihak lain, catat kerja sama baru."),
    "extend.before_end": ("Perpanjangan ditandatangani sebelum masa kerja sama berakhir.",
                          "Setelah berakhir, catat kerja sama baru."),
    "report.period_started": ("Semester laporan ini belum dimulai.", "Laporkan setelah semester berjalan."),
    "correct.known_submission": ("Koreksi harus menunjuk langkah kerja sama ini.",
                                 "Pakai id pengajuan langkah yang dikoreksi (lihat riwayat kerja sama)."),
    "correct.valid_data": ("Data koreksi tidak sah untuk langkah yang dikoreksi.",
                           "Perbaiki data sesuai jenis langkah yang dikoreksi."),
    "dispute.open": ("Penyelesaian harus menunjuk sengketa yang masih terbuka, sesudah tanggal pengajuannya.",
                     "Periksa dispute_id dan tanggal penyelesaian."),
    "dispute.settling_authority": ("Sengketa ini diselesaikan oleh pejabat lain.",
                                   "Gubernur untuk kabupaten/kota dalam satu provinsi; menteri antarprovinsi atau bila"
                                   " provinsi menjadi pihak; atau para pihak sendiri."),
    # soft rules: the step is recorded with a flag
    "pks.without_ksb": ("PKS tanpa KSB dan tanpa dasar hukum yang disebutkan.",
                        "Sebutkan dasar hukumnya (legal_basis, kolom Dasar Hukum)."),
    "ksb.without_tkksd": ("KSB ditandatangani tanpa kajian TKKSD daerah.", "Catat kajian TKKSD yang menyatakan layak."),
    "pks.over_max_years": ("Jangka waktu PKS melebihi batas tahun yang lazim (5 tahun).",
                           "Sebutkan dasar hukum jangka waktu yang lebih panjang."),
    "pks.no_plan_reference": ("Pendanaan APBD tanpa rujukan program RKPD/RPJMD.",
                              "Isi dokumen perencanaan dan programnya."),
    "party.report_differs": ("Laporan kedua pihak KSDD berbeda (nomor, tanggal, atau isi).",
                             "Samakan data dengan daerah mitra, lalu koreksi yang keliru."),
    "reconciliation.ambiguous": ("Laporan ini bertanggal dekat dengan beberapa kerja sama yang dilaporkan pihak lain:"
                                 " periksa mana yang sama.",
                                 "Bila sama, tarik catatan ini dan laporkan lagi dengan agreement_id kerja sama itu."),
    "classification.unclassifiable": ("Urusan tidak dapat ditentukan dari judul dan objek kerja sama.",
                                      "Isi kode urusan."),
    "ksdd.wajib_without_confirmed_border": ("KSDD wajib antara daerah yang perbatasannya belum dikonfirmasi.",
                                            "Kedua daerah menyatakan tetangganya (region.declare_neighbours)."),
    "urusan.outside_mapping": ("Urusan kerja sama di luar urusan yang dipetakan para pihak.",
                               "Perbarui pemetaan urusan daerah (region.declare_cooperable_affairs)."),
    # mapping's answers to region declarations, and intake's own
    "region.not_own": ("Daerah hanya menyatakan pemetaannya sendiri.", "Kirim dengan kode daerah Anda."),
    "declaration.outdated": ("Pernyataan ini lebih lama dari yang sudah tercatat.",
                             "Kirim pernyataan dengan tanggal terbaru."),
    "tkksd.decree_after_declaration": ("Tanggal SK TKKSD sesudah tanggal pernyataannya.", "Periksa kedua tanggal."),
    "tkksd.without_chair": ("TKKSD memerlukan ketua (Sekretaris Daerah).", "Cantumkan anggota berperan ketua."),
    "neighbours.different_level": ("Tetangga harus setingkat: provinsi dengan provinsi, kabupaten/kota dengan"
                                   " kabupaten/kota dalam satu provinsi.", "Periksa kode tetangga."),
    "submission.unknown_type": ("Jenis pengajuan ini tidak dikenal.", "Pakai salah satu jenis di GET /openapi.json."),
    "payload.invalid": ("Isi pernyataan tidak sah.", "Perbaiki kolom yang disebut, lalu kirim lagi."),
    "submission.held": ("Pengajuan sedang ditahan karena layanan belum dapat menerapkannya.",
                        "Tidak perlu mengirim ulang: pengajuan diterapkan setelah masalahnya diperbaiki."),
}
"""What each rule means for a person, and what to do about it: intake adds both to a refusal's
reasons (`pesan`, `tindakan`), the exports and the dashboard name a flag by its sentence."""

FLAGS: dict[str, str] = {rule: RULES[rule][0] for rule in (
    "pks.without_ksb", "ksb.without_tkksd", "pks.over_max_years", "pks.no_plan_reference", "party.report_differs",
    "reconciliation.ambiguous", "classification.unclassifiable", "ksdd.wajib_without_confirmed_border",
    "urusan.outside_mapping")}
"""A sentence for each soft-rule flag (the agreement service's rules.json and mapping's flags)."""


def explained(reason: dict[str, Any]) -> dict[str, Any]:
    """A refusal's reason with what it means and what to do, in Bahasa Indonesia, when known."""
    known = RULES.get(str(reason.get("rule")))
    return {**reason, "pesan": known[0], "tindakan": known[1]} if known else reason


VERIFICATION: dict[str, str] = {
    "unverified": "Belum diverifikasi (menunggu verifikasi)", "verified": "Terverifikasi",
    "returned": "Dikembalikan untuk perbaikan",
}
"""A record's verification by the province of its regency/city (reporting's `verification`)."""

REMINDERS: dict[str, str] = {
    "expiring": "Kerja sama akan berakhir", "expired": "Kerja sama berakhir hari ini",
    "report_overdue": "Laporan kerja sama terlambat", "report_due": "Laporan kerja sama jatuh tempo",
    "dormant": "KSB belum ditindaklanjuti PKS", "awaiting_report": "Menunggu laporan daerah Anda",
    "returned": "Dikembalikan provinsi untuk perbaikan",
}
"""The kinds of reminder in a region's inbox (reporting's `ksd_reporting.reminders`)."""

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
            "steps": STEPS, "rules": {rule: what for rule, (what, _) in RULES.items()},
            "funding": FUNDING, "partner_categories": PARTNER_CATEGORIES, "flags": FLAGS,
            "verification": VERIFICATION, "reminders": REMINDERS,
            "countries": {c: country(c) for c in sorted(set(countries))}}
