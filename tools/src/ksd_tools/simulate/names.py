"""Realistic Indonesian names for the simulation: who signs for a region, the partners, the subjects.

Names are drawn from the region code (not from the run's random stream), so a region keeps the
same head and TKKSD across seeds and steps, as it would in life.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ksd_contracts.regions import Region, region

GIVEN = [
    "Agus",
    "Budi",
    "Dewi",
    "Eko",
    "Fransiskus",
    "Hendrik",
    "Indah",
    "Joko",
    "Kartini",
    "Lukas",
    "Made",
    "Nurhayati",
    "Oktavianus",
    "Putu",
    "Rahmat",
    "Siti",
    "Teguh",
    "Umar",
    "Wayan",
    "Yohanes",
    "Andi",
    "Bambang",
    "Herman",
    "Muhammad",
    "Ratna",
    "Syamsul",
    "Viktor",
    "Zulkifli",
]
FAMILY = [
    "Santoso",
    "Siregar",
    "Nainggolan",
    "Wijaya",
    "Hasibuan",
    "Lubis",
    "Pandjaitan",
    "Tanamal",
    "Manafe",
    "Ndolu",
    "Saragih",
    "Rumbiak",
    "Pattiasina",
    "Sitompul",
    "Harahap",
    "Kusuma",
    "Prasetyo",
    "Nugroho",
    "Hidayat",
    "Setiawan",
    "Rahman",
    "Lumban Tobing",
    "Mandagi",
    "Sembiring",
]
OPD_HEADS = [
    "Kepala Dinas Lingkungan Hidup",
    "Kepala Dinas Pekerjaan Umum dan Penataan Ruang",
    "Kepala Dinas Kesehatan",
    "Kepala Dinas Pendidikan",
    "Kepala Dinas Perhubungan",
    "Kepala Dinas Pariwisata",
    "Kepala Badan Perencanaan Pembangunan Daerah",
]

UNIVERSITIES = {
    "11": "Universitas Syiah Kuala",
    "12": "Universitas Sumatera Utara",
    "13": "Universitas Andalas",
    "14": "Universitas Riau",
    "15": "Universitas Jambi",
    "16": "Universitas Sriwijaya",
    "17": "Universitas Bengkulu",
    "18": "Universitas Lampung",
    "19": "Universitas Bangka Belitung",
    "21": "Universitas Maritim Raja Ali Haji",
    "31": "Universitas Indonesia",
    "32": "Universitas Padjadjaran",
    "33": "Universitas Diponegoro",
    "34": "Universitas Gadjah Mada",
    "35": "Universitas Airlangga",
    "36": "Universitas Sultan Ageng Tirtayasa",
    "51": "Universitas Udayana",
    "52": "Universitas Mataram",
    "53": "Universitas Nusa Cendana",
    "61": "Universitas Tanjungpura",
    "62": "Universitas Palangka Raya",
    "63": "Universitas Lambung Mangkurat",
    "64": "Universitas Mulawarman",
    "65": "Universitas Borneo Tarakan",
    "71": "Universitas Sam Ratulangi",
    "72": "Universitas Tadulako",
    "73": "Universitas Hasanuddin",
    "74": "Universitas Halu Oleo",
    "75": "Universitas Negeri Gorontalo",
    "76": "Universitas Sulawesi Barat",
    "81": "Universitas Pattimura",
    "82": "Universitas Khairun",
    "91": "Universitas Cenderawasih",
    "92": "Universitas Papua",
    "93": "Universitas Musamus",
    "94": "Universitas Cenderawasih",
    "95": "Universitas Cenderawasih",
    "96": "Universitas Papua",
}
BUMN = [
    "PT PLN (Persero)",
    "PT Pertamina (Persero)",
    "PT Telkom Indonesia (Persero) Tbk",
    "PT Bank Rakyat Indonesia (Persero) Tbk",
    "PT Pelabuhan Indonesia (Persero)",
    "PT Kereta Api Indonesia (Persero)",
    "PT Pos Indonesia (Persero)",
    "Perum BULOG",
]
# (name, ISO country, category): KSDPL partners are foreign local governments, KSDLL institutions.
FOREIGN_GOVERNMENTS = [
    ("Western Australia", "AU", "pemerintah_daerah"),
    ("Gyeongsangnam-do", "KR", "pemerintah_daerah"),
    ("Kota Osaka", "JP", "pemerintah_daerah"),
    ("Queensland", "AU", "pemerintah_daerah"),
    ("Prefektur Hokkaido", "JP", "pemerintah_daerah"),
    ("Kota Busan", "KR", "pemerintah_daerah"),
    ("Provinsi Guangdong", "CN", "pemerintah_daerah"),
    ("Negara Bagian Johor", "MY", "pemerintah_daerah"),
]
FOREIGN_INSTITUTIONS = [
    ("Japan International Cooperation Agency (JICA)", "JP", "lembaga"),
    ("Korea International Cooperation Agency (KOICA)", "KR", "lembaga"),
    ("Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ)", "DE", "lembaga"),
    ("Australian Volunteers International", "AU", "lembaga"),
]
MINISTRIES = [
    "Kementerian Pekerjaan Umum",
    "Kementerian Kesehatan",
    "Kementerian Pertanian",
    "Badan Nasional Penanggulangan Bencana",
    "Kementerian Desa dan Pembangunan Daerah Tertinggal",
]

# (urusan, title pattern, objects): KSDD subjects between regions; {a} and {b} are the region names.
KSDD_SUBJECTS = [
    ("2.11", "Pengelolaan sampah regional {a} dan {b}", "Tempat pemrosesan akhir sampah regional"),
    ("1.03", "Penyediaan air minum lintas wilayah {a} dan {b}", "Sistem penyediaan air minum regional"),
    ("3.26", "Pengembangan kawasan pariwisata terpadu {a} dan {b}", "Paket wisata dan promosi bersama"),
    ("2.15", "Angkutan umum antarwilayah {a} dan {b}", "Trayek angkutan umum lintas batas"),
    ("1.02", "Sistem rujukan pelayanan kesehatan {a} dan {b}", "Rujukan pasien antarrumah sakit daerah"),
    ("1.01", "Peningkatan mutu pendidikan di perbatasan {a} dan {b}", "Penerimaan peserta didik lintas wilayah"),
    ("2.12", "Integrasi data kependudukan {a} dan {b}", "Pertukaran data administrasi kependudukan"),
    ("3.27", "Ketahanan pangan dan pemasaran hasil pertanian {a} dan {b}", "Pasar induk hasil pertanian"),
    ("1.05", "Penanggulangan kebakaran dan bencana {a} dan {b}", "Pos pemadam kebakaran bersama"),
]
# (urusan, title pattern, partner kind): {a} the region, {p} the partner.
KSDPK_SUBJECTS = [
    ("1.01", "Peningkatan kapasitas SDM aparatur {a} dengan {p}", "university"),
    ("3.27", "Penelitian dan pengembangan pertanian {a} dengan {p}", "university"),
    ("3.29", "Penerangan jalan umum tenaga surya {a} dengan {p}", "bumn"),
    ("2.16", "Jaringan internet kantor pemerintahan {a} dengan {p}", "bumn"),
    ("1.03", "Penyediaan air bersih {a} dengan {p}", "bumd"),
]
KSDPL_SUBJECTS = [
    ("3.26", "Kerja sama promosi pariwisata {a} dengan {p}"),
    ("1.01", "Pertukaran pelajar dan guru {a} dengan {p}"),
    ("3.25", "Pengembangan perikanan tangkap {a} dengan {p}"),
    ("3.30", "Kemitraan perdagangan {a} dengan {p}"),
]
SINERGI_SUBJECTS = [
    ("1.03", "Sinergi pembangunan jalan daerah {a} dengan {p}"),
    ("1.05", "Sinergi penanggulangan bencana {a} dengan {p}"),
    ("3.27", "Sinergi program lumbung pangan {a} dengan {p}"),
]


def pick(code: str, salt: str, options: list[str]) -> str:
    digest = hashlib.sha256(f"{code}:{salt}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def person(code: str, role: str) -> str:
    """A stable name for the holder of `role` in region `code`."""
    return f"{pick(code, role + 'g', GIVEN)} {pick(code, role + 'f', FAMILY)}"


def short_name(r: Region) -> str:
    return r.name.removeprefix("Kabupaten ").removeprefix("Kota ")


def display(code: str) -> str:
    """The region as it is written in a title: 'Kota Kupang', 'Provinsi Nusa Tenggara Timur'."""
    r = region(code)
    assert r is not None
    return f"Provinsi {r.name}" if r.is_province else r.name


def head_position(code: str) -> str:
    """The region head's title: Gubernur, Bupati or Wali Kota."""
    r = region(code)
    assert r is not None
    if r.is_province:
        return f"Gubernur {r.name}"
    return f"{'Wali Kota' if r.level == 'kota' else 'Bupati'} {short_name(r)}"


@dataclass(frozen=True)
class Partner:
    """A party that is not a region, as the contracts write it."""

    party: dict[str, str]

    @property
    def name(self) -> str:
        return self.party["name"]


def third_party(kind: str, code: str) -> Partner:
    r = region(code)
    assert r is not None
    if kind == "university":
        return Partner(
            {
                "type": "third_party",
                "name": UNIVERSITIES.get(r.province_code, "Universitas Terbuka"),
                "category": "perguruan_tinggi",
            }
        )
    if kind == "bumd":
        return Partner({"type": "third_party", "name": f"Perumda Air Minum {short_name(r)}", "category": "bumd"})
    return Partner({"type": "third_party", "name": pick(code, "bumn", BUMN), "category": "bumn"})
