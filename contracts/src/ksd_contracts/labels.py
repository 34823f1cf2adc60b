"""What a person reads for each code the register keeps, in Bahasa Indonesia: the dashboard (through
`/v1/summary`'s `names`), the list and the exports take their words from here, so a status or a
flag is called the same everywhere it is shown."""

from __future__ import annotations

import gettext
from datetime import datetime, timezone
from functools import cache
from typing import Any

import pycountry

from ksd_contracts.events import Status
from ksd_contracts.language import Words, localized
from ksd_contracts.submissions import WIB, Kind

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

RULES: dict[str, tuple[Words, Words]] = {
    # the agreement service's rule book (rules.json): hard rules refuse a submission
    "agreement.unknown": (
        Words("Kerja sama ini belum tercatat.", "This agreement is not on record."),
        Words("Kirim dulu agreement.propose, lalu langkah ini.", "Send agreement.propose first, then this step.")),
    "agreement.not_a_party": (
        Words("Daerah Anda bukan pihak kerja sama ini.", "Your region is not a party to this agreement."),
        Words("Periksa agreement_id; hanya daerah yang menjadi pihak yang mencatat langkahnya.",
              "Check agreement_id; only the regions that are parties record its steps.")),
    "agreement.already_reported": (
        Words("Daerah Anda sudah melaporkan kerja sama ini.", "Your region has reported this agreement already."),
        Words("Tidak perlu melapor lagi; ubah isi dengan agreement.correct bila keliru.",
              "No need to report it again; change its content with agreement.correct if it is wrong.")),
    "agreement.withdrawn": (
        Words("Catatan ini sudah ditarik.", "This record has been withdrawn."),
        Words("Catat kerja sama yang benar, bukan catatan yang ditarik.",
              "Record the right agreement, not the withdrawn record.")),
    "verify.province_of_regency": (
        Words("Hanya provinsi dari kabupaten/kota pihak kerja sama ini yang dapat memverifikasi atau"
              " mengembalikannya.",
              "Only the province of a party regency/city of this agreement can verify or return it."),
        Words("Verifikasi dilakukan operator provinsi tempat kabupaten/kota pihak berada.",
              "The operator of the province where the party regency/city lies verifies it.")),
    "withdraw.own_record": (
        Words("Hanya daerah yang mencatat sendiri dan satu-satunya pelapor yang dapat menarik catatan.",
              "Only the region that entered the record, as its only reporter, can withdraw it."),
        Words("Bila pihak lain sudah melaporkannya, perbaiki dengan agreement.correct.",
              "When another party has reported it too, correct it with agreement.correct.")),
    "agreement.closed": (
        Words("Kerja sama ini sudah berakhir atau kedaluwarsa.", "This agreement has ended or expired."),
        Words("Setelah berakhir hanya laporan, koreksi, sengketa, atau penarikan yang dapat dicatat.",
              "After its end only reports, corrections, disputes or a withdrawal can be recorded.")),
    "step.out_of_order": (
        Words("Langkah ini tidak sesuai urutan tahapan pada tanggalnya.",
              "This step is out of the order of the stages at its date."),
        Words("Catat dulu tahap sebelumnya (mis. kajian TKKSD, KSB) atau periksa tanggal dokumennya.",
              "Record the earlier stage first (e.g. the TKKSD review, the KSB) or check the document's date.")),
    "ksb.signed_by_head": (
        Words("KSB harus ditandatangani kepala daerah.", "A KSB must be signed by the region's head."),
        Words("Periksa penandatangan KSB: jabatan kepala daerah (gubernur, bupati, wali kota).",
              "Check the KSB's signatories: the region's head (governor, regent, mayor).")),
    "pks.signatory_authorised": (
        Words("PKS ditandatangani pejabat tanpa kewenangan.", "The PKS was signed by an official without authority."),
        Words("PKS ditandatangani kepala daerah, atau pejabat dengan nomor surat kuasa.",
              "A PKS is signed by the region's head, or by an official with a power of attorney's number.")),
    "pks.dprd_before_effect": (
        Words("PKS ini memerlukan persetujuan DPRD setiap daerah pihak lebih dahulu.",
              "This PKS needs the DPRD approval of every party region first."),
        Words("Catat persetujuan DPRD (agreement.record_dprd_approval) tiap daerah, lalu PKS.",
              "Record each region's DPRD approval (agreement.record_dprd_approval), then the PKS.")),
    "foreign.approvals_before_signing": (
        Words("KSDPL/KSDLL ditandatangani setelah persetujuan DPRD dan pusat.",
              "A KSDPL/KSDLL is signed after the DPRD's and the central government's approvals."),
        Words("Catat persetujuan DPRD, Kemendagri, dan Kemlu sebelum KSB/PKS.",
              "Record the approvals of the DPRD, Kemendagri and Kemlu before the KSB/PKS.")),
    "amend.kind_and_parties_fixed": (
        Words("Adendum tidak dapat mengubah jenis atau para pihak.",
              "An amendment cannot change the kind or the parties."),
        Words("Untuk jenis atau pihak lain, catat kerja sama baru.",
              "For another kind or other parties, record a new agreement.")),
    "extend.before_end": (
        Words("Perpanjangan ditandatangani sebelum masa kerja sama berakhir.",
              "An extension is signed before the agreement ends."),
        Words("Setelah berakhir, catat kerja sama baru.", "After its end, record a new agreement.")),
    "report.period_started": (
        Words("Semester laporan ini belum dimulai.", "This report's semester has not begun."),
        Words("Laporkan setelah semester berjalan.", "Report once the semester is under way.")),
    "correct.known_submission": (
        Words("Koreksi harus menunjuk langkah kerja sama ini.", "A correction must name a step of this agreement."),
        Words("Pakai id pengajuan langkah yang dikoreksi (lihat riwayat kerja sama).",
              "Use the submission id of the step corrected (see the agreement's history).")),
    "correct.valid_data": (
        Words("Data koreksi tidak sah untuk langkah yang dikoreksi.",
              "The correction's data is not valid for the step corrected."),
        Words("Perbaiki data sesuai jenis langkah yang dikoreksi.",
              "Fix the data to fit the kind of step corrected.")),
    "dispute.open": (
        Words("Penyelesaian harus menunjuk sengketa yang masih terbuka, sesudah tanggal pengajuannya.",
              "A settlement must name a dispute still open, after the date it was raised."),
        Words("Periksa dispute_id dan tanggal penyelesaian.", "Check dispute_id and the settlement's date.")),
    "dispute.settling_authority": (
        Words("Sengketa ini diselesaikan oleh pejabat lain.", "Another authority settles this dispute."),
        Words("Gubernur untuk kabupaten/kota dalam satu provinsi; menteri antarprovinsi atau bila provinsi menjadi"
              " pihak; atau para pihak sendiri.",
              "The governor for regencies/cities of one province; the minister between provinces or when a"
              " province is a party; or the parties themselves.")),
    # soft rules: the step is recorded with a flag
    "pks.without_ksb": (
        Words("PKS tanpa KSB dan tanpa dasar hukum yang disebutkan.", "A PKS without a KSB and without a legal basis."),
        Words("Sebutkan dasar hukumnya (legal_basis, kolom Dasar Hukum).",
              "Name its legal basis (legal_basis, the Dasar Hukum column).")),
    "ksb.without_tkksd": (
        Words("KSB ditandatangani tanpa kajian TKKSD daerah.", "A KSB signed without the region's TKKSD review."),
        Words("Catat kajian TKKSD yang menyatakan layak.", "Record the TKKSD review that found it feasible.")),
    "pks.over_max_years": (
        Words("Jangka waktu PKS melebihi batas tahun yang lazim (5 tahun).",
              "The PKS runs longer than the usual limit (5 years)."),
        Words("Sebutkan dasar hukum jangka waktu yang lebih panjang.", "Name the legal basis of the longer term.")),
    "pks.no_plan_reference": (
        Words("Pendanaan APBD tanpa rujukan program RKPD/RPJMD.", "APBD funding without an RKPD/RPJMD programme."),
        Words("Isi dokumen perencanaan dan programnya.", "Give the planning document and its programme.")),
    "party.report_differs": (
        Words("Laporan kedua pihak KSDD berbeda (nomor, tanggal, atau isi).",
              "The two parties' reports of a KSDD differ (number, date or content)."),
        Words("Samakan data dengan daerah mitra, lalu koreksi yang keliru.",
              "Agree the data with the partner region, then correct the wrong one.")),
    "reconciliation.ambiguous": (
        Words("Laporan ini bertanggal dekat dengan beberapa kerja sama yang dilaporkan pihak lain: periksa mana yang"
              " sama.",
              "This report is dated near several agreements the other side reported: check which is the same."),
        Words("Bila sama, tarik catatan ini dan laporkan lagi dengan agreement_id kerja sama itu.",
              "If it is the same, withdraw this record and report it again with that agreement's agreement_id.")),
    "classification.unclassifiable": (
        Words("Urusan tidak dapat ditentukan dari judul dan objek kerja sama.",
              "No urusan can be told from the agreement's title and objects."),
        Words("Isi kode urusan.", "Give the urusan codes.")),
    "ksdd.wajib_without_confirmed_border": (
        Words("KSDD wajib antara daerah yang perbatasannya belum dikonfirmasi.",
              "A mandatory KSDD between regions whose border is not confirmed."),
        Words("Kedua daerah menyatakan tetangganya (region.declare_neighbours).",
              "Both regions declare their neighbours (region.declare_neighbours).")),
    "urusan.outside_mapping": (
        Words("Urusan kerja sama di luar urusan yang dipetakan para pihak.",
              "The agreement's urusan are outside those the parties mapped."),
        Words("Perbarui pemetaan urusan daerah (region.declare_cooperable_affairs).",
              "Update the region's mapping of affairs (region.declare_cooperable_affairs).")),
    # mapping's answers to region declarations, and intake's own
    "region.not_own": (
        Words("Daerah hanya menyatakan pemetaannya sendiri.", "A region declares only its own mapping."),
        Words("Kirim dengan kode daerah Anda.", "Send it with your region's code.")),
    "declaration.outdated": (
        Words("Pernyataan ini lebih lama dari yang sudah tercatat.",
              "This declaration is older than the one on record."),
        Words("Kirim pernyataan dengan tanggal terbaru.", "Send the declaration with the latest date.")),
    "tkksd.decree_after_declaration": (
        Words("Tanggal SK TKKSD sesudah tanggal pernyataannya.", "The TKKSD decree is dated after its declaration."),
        Words("Periksa kedua tanggal.", "Check both dates.")),
    "tkksd.without_chair": (
        Words("TKKSD memerlukan ketua (Sekretaris Daerah).", "A TKKSD needs its chair (the Regional Secretary)."),
        Words("Cantumkan anggota berperan ketua.", "List the member who chairs it.")),
    "neighbours.different_level": (
        Words("Tetangga harus setingkat: provinsi dengan provinsi, kabupaten/kota dengan kabupaten/kota dalam satu"
              " provinsi.",
              "Neighbours are of one level: provinces with provinces, regencies/cities with regencies/cities."),
        Words("Periksa kode tetangga.", "Check the neighbours' codes.")),
    "submission.unknown_type": (
        Words("Jenis pengajuan ini tidak dikenal.", "This kind of submission is unknown."),
        Words("Pakai salah satu jenis di dokumen OpenAPI intake.",
              "Use one of the kinds in intake's OpenAPI document.")),
    "payload.invalid": (
        Words("Isi pernyataan tidak sah.", "The declaration's content is not valid."),
        Words("Perbaiki kolom yang disebut, lalu kirim lagi.", "Fix the fields named, then send it again.")),
    "submission.held": (
        Words("Pengajuan sedang ditahan karena layanan belum dapat menerapkannya.",
              "The submission is held: the service cannot apply it yet."),
        Words("Tidak perlu mengirim ulang: pengajuan diterapkan setelah masalahnya diperbaiki.",
              "No need to send it again: it is applied once the fault is fixed.")),
}
"""What each rule means for a person, and what to do about it, in both languages: intake adds both to
a refusal's reasons (`pesan`, `tindakan`, in the reader's language), the exports and the dashboard
name a flag by its sentence."""

FLAGS: dict[str, str] = {rule: RULES[rule][0].id for rule in (
    "pks.without_ksb", "ksb.without_tkksd", "pks.over_max_years", "pks.no_plan_reference", "party.report_differs",
    "reconciliation.ambiguous", "classification.unclassifiable", "ksdd.wajib_without_confirmed_border",
    "urusan.outside_mapping")}
"""A sentence for each soft-rule flag (the agreement service's rules.json and mapping's flags), for
the pages and files, which are in Bahasa Indonesia."""


def explained(reason: dict[str, Any]) -> dict[str, Any]:
    """A refusal's reason for the reader: its `detail` in the reader's language (as the event stored
    it), with what the rule means and what to do (`pesan`, `tindakan`), when known."""
    shown = localized(reason)
    known = RULES.get(str(reason.get("rule")))
    return {**shown, "pesan": known[0].said(), "tindakan": known[1].said()} if known else shown


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


def moment(at: datetime | str, *, seconds: bool = True) -> str:
    """A moment (or its RFC 3339 text) as people read it here, on the clock of Jakarta:
    `28 Nov 2026 17.05.09 WIB`, or `28 Nov 2026 17.05 WIB` without the seconds."""
    when = datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else at
    local = when.astimezone(timezone(WIB, "WIB"))
    return f"{day(local.date().isoformat())} {local.strftime('%H.%M.%S' if seconds else '%H.%M')} WIB"


def number(value: float, digits: int = 0) -> str:
    """A number as Indonesian writes it, dots between thousands and a decimal comma: `1.234.567`,
    `3,5` (with `digits` decimals)."""
    return f"{value:,.{digits}f}".translate(_INDONESIAN_DIGITS)


_INDONESIAN_DIGITS = str.maketrans(",.", ".,")


def rupiah(amount: int | None) -> str:
    """An amount in rupiah: `Rp 1.750.000.000` (none as `Rp 0`)."""
    return "Rp " + number(int(amount or 0))


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
            "steps": STEPS, "rules": {rule: what.id for rule, (what, _) in RULES.items()},
            "funding": FUNDING, "partner_categories": PARTNER_CATEGORIES, "flags": FLAGS,
            "verification": VERIFICATION, "reminders": REMINDERS,
            "countries": {c: country(c) for c in sorted(set(countries))}}
