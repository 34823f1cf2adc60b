"""The words of the workspace's forms, in Bahasa Indonesia: each submission type's name and each
field's label and help. The forms are generated in the page from the JSON Schema intake validates
with (`ksd_intake.openapi`); the schema's own descriptions are written for the API's machines, in
English, so what a person reads beside each field is kept here, in one place, for every field of
every submission type (a test holds every field of the schema to it).

A field is looked up as `Model.field` first (a `name` means one thing for a signatory, another
for a partner), then by its name alone."""

from __future__ import annotations

from typing import Any

from ksd_contracts import labels
from ksd_contracts.submissions import EndReason

SUBMISSION_TYPES: dict[str, str] = {
    "agreement.propose": "Inisiasi kerja sama (atau laporkan kerja sama yang dimulai mitra)",
    "agreement.record_tkksd_review": "Kajian TKKSD",
    "agreement.record_offer": "Surat penawaran",
    "agreement.record_offer_response": "Jawaban atas penawaran",
    "agreement.record_ksb": "Kesepakatan Bersama (KSB)",
    "agreement.record_dprd_approval": "Persetujuan DPRD",
    "agreement.record_central_approval": "Persetujuan pusat (Kemendagri/Kemlu)",
    "agreement.record_pks": "Perjanjian Kerja Sama (PKS)",
    "agreement.amend": "Perubahan (adendum)",
    "agreement.extend": "Perpanjangan",
    "agreement.terminate": "Pengakhiran",
    "agreement.report_progress": "Laporan/evaluasi semester",
    "agreement.correct": "Koreksi pengajuan",
    "agreement.withdraw": "Penarikan catatan salah",
    "agreement.raise_dispute": "Pengajuan sengketa",
    "agreement.settle_dispute": "Penyelesaian sengketa",
    "agreement.verify": "Verifikasi provinsi",
    "agreement.return": "Kembalikan untuk perbaikan (provinsi)",
    "region.record_tkksd": "SK TKKSD",
    "region.declare_potential": "Potensi daerah",
    "region.declare_cooperable_affairs": "Urusan yang ditawarkan dan dibutuhkan",
    "region.declare_neighbours": "Daerah tetangga",
}

FIELDS: dict[str, tuple[str, str]] = {
    # label, help
    "agreement_id": ("ID kerja sama", "Diisi bila kerja sama sudah ber-ID (mis. dari mitra yang melapor dulu)."),
    "new_agreement_id": ("ID kerja sama baru", "Kosongkan: intake memberinya."),
    "kind": ("Jenis kerja sama", "KSDD dengan daerah lain, KSDPK dengan pihak ketiga, KSDPL/KSDLL dengan luar negeri,"
             " Sinergi dengan pemerintah pusat."),
    "mandatory": ("Wajib", "Khusus KSDD: wajib (ya) atau sukarela (tidak)."),
    "title": ("Judul", "Judul kerja sama seperti di dokumennya, paling sedikit 5 huruf."),
    "parties": ("Para pihak", "Semua pihak, termasuk daerah Anda sendiri; KSDD paling sedikit dua daerah."),
    "type": ("Jenis pihak", "Daerah, pihak ketiga, pihak luar negeri, atau kementerian/lembaga pusat."),
    "RegionParty.code": ("Kode wilayah", "Kode Kemendagri daerah otonom: NN (provinsi) atau NN.NN (kabupaten/kota)."),
    "name": ("Nama", "Nama lengkap."),
    "ThirdParty.name": ("Nama mitra", "Nama badan usaha, perguruan tinggi, atau organisasi mitra."),
    "ForeignParty.name": ("Nama mitra luar negeri", "Nama pemerintah daerah atau lembaga luar negeri."),
    "CentralParty.name": ("Kementerian/lembaga", "Kementerian atau lembaga pusat mitra Sinergi."),
    "category": ("Kategori mitra", "Golongan mitra (BUMN, BUMD, swasta, perguruan tinggi, dan seterusnya)."),
    "country": ("Negara", "Kode negara dua huruf ISO 3166-1, mis. JP untuk Jepang."),
    "urusan": ("Urusan", "Kode urusan pemerintahan yang dilayani, mis. 2.11 (lingkungan hidup)."),
    "AmendmentChanges.urusan": ("Urusan baru", "Kode urusan yang menggantikan urusan lama."),
    "objects": ("Objek kerja sama", "Satu objek per baris isian."),
    "initiated_on": ("Tanggal surat inisiasi", "Tanggal hukum surat inisiasi; tidak boleh di masa depan."),
    "document_number": ("Nomor dokumen", "Nomor dokumen menurut penomoran daerah Anda sendiri."),
    "document": ("Dokumen", "Dokumen yang ditandatangani, dengan nomor menurut daerah Anda."),
    "number": ("Nomor dokumen", "Nomor dokumen menurut penomoran daerah Anda sendiri."),
    "signed_on": ("Tanggal tanda tangan", "Tanggal dokumen ditandatangani; tidak boleh di masa depan."),
    "signatories": ("Penandatangan", "Setiap orang yang menandatangani, untuk pihak mana, dan dalam kapasitas apa."),
    "position": ("Jabatan", "Mis. Wali Kota Kupang, Kepala Dinas Lingkungan Hidup."),
    "party": ("Pihak", "Kode wilayah atau nama mitra yang diwakili."),
    "RecordOfferResponse.party": ("Pihak yang menjawab", "Kode wilayah atau nama mitra yang menjawab penawaran;"
                                  " kosongkan bila jawaban daerah Anda sendiri."),
    "capacity": ("Kapasitas", "Kepala daerah, pejabat atas surat kuasa, atau penandatangan mitra."),
    "power_of_attorney": ("Nomor surat kuasa", "Wajib bila penandatangan bertindak atas kuasa."),
    "reviewed_on": ("Tanggal kajian", "Tanggal TKKSD menyelesaikan kajian."),
    "feasible": ("Layak", "Hasil kajian TKKSD: layak (ya) atau tidak layak (tidak)."),
    "feasibility_study": ("Studi kelayakan", "Studi kelayakan dilampirkan (lazim untuk KSDPK)."),
    "notes": ("Catatan", "Catatan kajian."),
    "Verify.note": ("Catatan verifikasi", "Apa yang diperiksa provinsi (boleh dikosongkan)."),
    "ReturnForCorrection.note": ("Yang harus diperbaiki", "Catatan provinsi untuk kabupaten/kota: apa yang salah"
                                 " dan harus dikoreksi."),
    "responded_on": ("Tanggal jawaban", "Tanggal surat jawaban mitra."),
    "accepted": ("Diterima", "Mitra menerima (ya) atau menolak (tidak) penawaran."),
    "reason": ("Alasan", "Alasan singkat."),
    "Terminate.reason": ("Alasan berakhir", "Dasar berakhirnya kerja sama."),
    "decision_number": ("Nomor keputusan DPRD", "Nomor keputusan persetujuan DPRD."),
    "approved_on": ("Tanggal persetujuan", "Tanggal surat atau keputusan persetujuan."),
    "authority": ("Pemberi persetujuan", "Kemendagri (persetujuan menteri) atau Kemlu (koordinasi luar negeri)."),
    "letter_number": ("Nomor surat", "Nomor surat persetujuan."),
    "start_on": ("Tanggal mulai", "Tanggal mulai berlaku."),
    "end_on": ("Tanggal berakhir", "Tanggal berakhirnya jangka waktu; tidak sebelum tanggal mulai."),
    "rights_and_duties": ("Hak dan kewajiban", "Ringkasan hak dan kewajiban para pihak."),
    "funding": ("Pendanaan", "Sumber dan jumlah dana, dengan rujukan perencanaan bila APBD."),
    "amount_idr": ("Jumlah (Rp)", "Rupiah utuh, tanpa titik atau koma."),
    "source": ("Sumber dana", "APBD, APBN, pihak ketiga, hibah, atau lainnya."),
    "plan": ("Dokumen perencanaan", "RPJMD atau RKPD tempat kegiatan dianggarkan."),
    "program": ("Program", "Rujukan program RPJMD/RKPD."),
    "dprd_required": ("Perlu persetujuan DPRD", "Membebani masyarakat atau APBD yang belum dianggarkan."),
    "legal_basis": ("Dasar hukum", "Dasar hukum PKS yang tidak didahului KSB, atau jangka waktu yang lebih panjang."),
    "action_plan": ("Rencana kerja", "Khusus Sinergi: butir-butir Rencana Kerja (RK) Nota Kesepakatan."),
    "changes": ("Ketentuan yang berubah", "Isi hanya yang berubah; yang lain tetap."),
    "ended_on": ("Tanggal berakhir", "Tanggal kerja sama diakhiri."),
    "detail": ("Keterangan", "Penjelasan pengakhiran."),
    "period": ("Semester", "Periode laporan, mis. 2025-S1."),
    "reported_on": ("Tanggal laporan", "Tanggal laporan dibuat."),
    "achievements": ("Capaian", "Apa yang sudah dicapai pada semester ini."),
    "problems": ("Kendala", "Masalah yang dihadapi."),
    "recommendation": ("Rekomendasi", "Dilanjutkan, diperluas, atau dihentikan."),
    "realized_idr": ("Realisasi (Rp)", "Dana yang sudah terealisasi, rupiah utuh."),
    "supersedes": ("Pengajuan yang dikoreksi", "ID pengajuan yang diganti datanya (lihat halaman Pengajuan)."),
    "data": ("Data koreksi", "Data lengkap langkah yang dikoreksi, dalam bentuk JSON."),
    "dispute_id": ("ID sengketa", "Kosongkan saat mengajukan; saat menyelesaikan, pakai ID sengketanya."),
    "raised_on": ("Tanggal pengajuan sengketa", "Tanggal surat yang mengajukan sengketa."),
    "subject": ("Pokok sengketa", "Apa yang diperselisihkan, mis. pembagian biaya."),
    "settled_on": ("Tanggal penyelesaian", "Tanggal keputusan atau kesepakatan penyelesaian."),
    "settled_by": ("Diselesaikan oleh", "Para pihak (musyawarah), gubernur, atau menteri."),
    "outcome": ("Hasil", "Hasil penyelesaian sengketa."),
    "region": ("Daerah", "Kode wilayah daerah Anda sendiri."),
    "declared_on": ("Tanggal pernyataan", "Tanggal pernyataan ini dibuat."),
    "decree_number": ("Nomor SK", "Nomor SK kepala daerah pembentukan TKKSD."),
    "decree_date": ("Tanggal SK", "Tanggal SK; tidak sesudah tanggal pernyataan."),
    "members": ("Anggota TKKSD", "Ketua (Sekretaris Daerah), sekretaris, dan anggota."),
    "role": ("Peran", "Ketua, sekretaris, atau anggota."),
    "potentials": ("Potensi", "Potensi daerah yang dapat dikerjasamakan."),
    "description": ("Uraian", "Uraian singkat potensi."),
    "scale": ("Skala", "Lokal, regional, nasional, atau internasional."),
    "location": ("Lokasi", "Letak potensi."),
    "value_idr": ("Nilai (Rp)", "Perkiraan nilai, rupiah utuh."),
    "offers": ("Urusan yang ditawarkan", "Kode urusan yang dapat Anda tawarkan kepada daerah lain."),
    "needs": ("Urusan yang dibutuhkan", "Kode urusan yang Anda butuhkan dari daerah lain."),
    "neighbours": ("Daerah tetangga", "Kode wilayah yang berbatasan, setingkat dengan daerah Anda."),
}

CHOICES: dict[str, str] = {
    **{str(k): v for k, v in labels.KINDS.items()}, **labels.FUNDING, **labels.PARTNER_CATEGORIES,
    **labels.SETTLED_BY,
    "region": "Daerah", "third_party": "Pihak ketiga", "foreign": "Pihak luar negeri",
    "kepala_daerah": "Kepala daerah", "kuasa": "Pejabat atas surat kuasa", "mitra": "Penandatangan mitra",
    "rpjmd": "RPJMD", "rkpd": "RKPD", "kemendagri": "Kemendagri", "kemlu": "Kemlu",
    "dilanjutkan": "Dilanjutkan", "diperluas": "Diperluas", "dihentikan": "Dihentikan",
    "ketua": "Ketua", "sekretaris": "Sekretaris", "anggota": "Anggota",
    "lokal": "Lokal", "regional": "Regional", "nasional": "Nasional", "internasional": "Internasional",
    EndReason.TUJUAN_TERCAPAI: "Tujuan tercapai", EndReason.KEADAAN_KAHAR: "Keadaan kahar",
    EndReason.WANPRESTASI: "Wanprestasi", EndReason.DIGANTI: "Diganti perjanjian baru",
    EndReason.BERTENTANGAN_PERATURAN: "Bertentangan dengan peraturan",
    EndReason.KESEPAKATAN_PARA_PIHAK: "Kesepakatan para pihak",
    EndReason.JANGKA_WAKTU_BERAKHIR: "Jangka waktu berakhir",
}
"""What a person reads for each value a form offers (an enum or a constant of the schema)."""


def field(model: str, name: str) -> tuple[str, str] | None:
    """(label, help) of `name` in `model`, or None when it has none."""
    return FIELDS.get(f"{model}.{name}") or FIELDS.get(name)


def described(components: dict[str, Any]) -> dict[str, Any]:
    """The schema's components with each property's Indonesian label (`title`) and help
    (`description`) in place of the English ones: what the workspace renders."""
    result: dict[str, Any] = {}
    for model, schema in components.items():
        properties = schema.get("properties")
        if not properties:
            result[model] = schema
            continue
        worded = {}
        for name, prop in properties.items():
            found = field(model, name)
            worded[name] = prop | {"title": found[0], "description": found[1]} if found else prop
        result[model] = schema | {"properties": worded}
    return result
