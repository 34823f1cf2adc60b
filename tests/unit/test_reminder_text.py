"""What a reminder says, in the inbox and the e-mail alike: Bahasa Indonesia, Indonesian dates, the
region addressed by name; and the configured addresses per region."""

from __future__ import annotations

from datetime import date

import pytest

from ksd_contracts import labels
from ksd_reporting.reminders import Reminder, compose, configured


def reminder(kind: str, threshold: str = "-", note: str | None = None) -> Reminder:
    return Reminder(kind, "81.71", threshold, date(2025, 9, 8), note, "Penyediaan air minum", "KSDPK/81.71/2025/000001")


@pytest.mark.parametrize(("case", "subject", "said"), [
    (reminder("expiring", "90"), "[Kerja sama akan berakhir] Kerja sama berakhir dalam 90 hari, pada 8 Sep 2025",
     "paling lama 90 hari lagi"),
    (reminder("expiring", "0"), "[Kerja sama akan berakhir] Kerja sama berakhir hari ini, 8 Sep 2025",
     "berakhir hari ini"),
    (reminder("report_overdue", "2", "2"),
     "[Laporan kerja sama terlambat] Laporan kerja sama terlambat sejak 8 Sep 2025",
     "2 semester belum dilaporkan"),
    (reminder("report_due", "3"), "[Laporan kerja sama jatuh tempo] Laporan kerja sama jatuh tempo pada 8 Sep 2025",
     "Kirim sebelum tanggal itu"),
    (reminder("dormant", "12", "12"),
     "[KSB belum ditindaklanjuti PKS] KSB belum ditindaklanjuti PKS lebih dari 12 bulan",
     "ditandatangani pada 8 Sep 2025"),
    (reminder("awaiting_report", "reported_by_partner", "81.72"), "[Menunggu laporan daerah Anda] KSDD menunggu"
     " laporan daerah Anda", "Kota Tual telah melaporkan"),
    (reminder("returned", "2025-09-08T01:00:00Z", "Lengkapi objeknya"), "[Dikembalikan provinsi untuk perbaikan]"
     " Catatan kerja sama dikembalikan provinsi pada 8 Sep 2025", "\u201cLengkapi objeknya\u201d"),
])
def test_each_kind_says_what_to_do_in_indonesian(case: Reminder, subject: str, said: str) -> None:
    written, body = compose(case)
    assert written == subject
    assert body.startswith("Yth. Kota Ambon,\n\n") and said in body
    assert "Penyediaan air minum (KSDPK/81.71/2025/000001)" in body
    assert case.kind in labels.REMINDERS


def test_configured_addresses_per_region() -> None:
    assert configured("81.71=a@ambon.go.id b@ambon.go.id; 81=c@malukuprov.go.id;;x=") == {
        "81.71": ["a@ambon.go.id", "b@ambon.go.id"], "81": ["c@malukuprov.go.id"]}
    assert configured("") == {}
