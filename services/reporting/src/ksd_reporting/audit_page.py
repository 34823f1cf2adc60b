"""The audit report as people read it: one HTML page in Bahasa Indonesia, dates as "28 Nov 2026",
amounts in rupiah, printable to PDF as it is (`ksd audit report --pdf`). It renders the JSON report
of `audit_api` and adds nothing to it, so the page, the PDF and the API name the same figures.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ksd_contracts import labels
from ksd_contracts.regions import region

NONE = "-"
STEP_ID = labels.STEPS


def tanggal(value: str | None) -> str:
    """A legal day as "28 Nov 2026"; an empty one as a dash."""
    return labels.day(value) if value else NONE


def waktu(value: str | None) -> str:
    """A recording time as "28 Nov 2026 17.05.09 WIB"; an empty one as a dash."""
    return labels.moment(value) if value else NONE


def daerah(codes: list[str]) -> str:
    """Regions by code and name, as the register writes them: "53.71 Kota Kupang"."""
    return ", ".join(f"{c} {r.name}" if (r := region(c)) else c for c in codes)


def tahap(stage: str | None) -> str:
    return labels.STATUSES.get(stage, stage) if stage else "Belum diinisiasi pada tanggal itu"


STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11px; color: #111; margin: 24px; }
h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 13px; margin: 18px 0 6px; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #bbb; padding: 3px 5px; text-align: left;
vertical-align: top; } th { background: #eee; } .kv th { width: 30%; } .refused { color: #a00; font-weight: bold; }
.steps td:nth-child(-n+5) { white-space: nowrap; }
.ok { color: #060; font-weight: bold; } .bad { color: #a00; font-weight: bold; } .muted { color: #555; }
"""


def _page(title: str, subtitle: str, sections: list[str]) -> str:
    return (f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
            f'<p class="muted">{escape(subtitle)}</p>{"".join(sections)}</body></html>')


def _kv(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="kv">{cells}</table>'


def _table(head: list[str], rows: list[list[str]], empty: str, kind: str = "") -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{kind}"><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head) + f"</tr>{cells}</table>"


def _question(answer: dict[str, Any]) -> str:
    return (f"Sebagaimana tercatat pada {waktu(answer['recorded_as_of'])}, yang berlaku pada "
            f"{tanggal(answer['in_force_on'])}")


def _record(answer: dict[str, Any]) -> str:
    if not answer["on_register"]:
        return '<h2>Catatan</h2><p class="bad">Kerja sama ini belum tercatat dalam register pada waktu itu.</p>'
    return "<h2>Catatan</h2>" + _kv([
        ("Nomor registrasi", answer["registry_number"] or NONE), ("Judul", answer["title"]),
        ("Jenis", answer["kind"]), ("Daerah", daerah(answer["regions"])),
        ("Tahap pada tanggal berlaku", tahap(answer["stage"])), ("Tanggal inisiasi", tanggal(answer["initiated_on"])),
        ("Masa berlaku PKS", f"{tanggal(answer['start_on'])} s.d. {tanggal(answer['end_on'])}"),
        ("Diakhiri", tanggal(answer["ended_on"])), ("Nilai kerja sama", labels.rupiah(answer["value_idr"])),
        ("Laporan semester terlambat", ", ".join(answer["overdue_reports"]) or "Tidak ada"),
        ("Versi catatan", str(answer["version"])),
    ])


def _step_rows(steps: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for s in steps:
        note = ""
        if s.get("refused"):
            note = f'<span class="refused">DITOLAK</span> {escape(s["submission_type"] or "")}: ' + escape("; ".join(
                f"{r['rule']}: {r['detail']}" for r in s["reasons"]))
        elif s.get("superseded_by"):
            note = "Dikoreksi kemudian"
        elif s.get("supersedes"):
            note = f"Mengoreksi {escape(STEP_ID.get(s['supersedes'], s['supersedes']))}"
        rows.append([str(s["sequence"]), escape(STEP_ID.get(s["type"], s["type"])), tanggal(s["legal_date"]),
                     waktu(s["recorded_at"]), escape(s["acted_by"]), note])
    return rows


STEP_HEAD = ["No.", "Langkah", "Tanggal hukum", "Dicatat pada", "Oleh", "Keterangan"]


def _steps(rows: list[list[str]], empty: str) -> str:
    """Steps, one line each: what, when and who stay unbroken; the remark takes the rest."""
    return _table(STEP_HEAD, rows, empty, "steps")


def _changes(changes: dict[str, Any] | None) -> str:
    if changes is None:
        return ""
    parts = [f"<h2>Perubahan antara {escape(waktu(changes['since']))} dan {escape(waktu(changes['until']))}</h2>",
             f"<p>Tahap pada tanggal berlaku: {escape(tahap(changes['stage_before']))} → "
             f"{escape(tahap(changes['stage_after']))}</p>"]
    for key, label in (("added", "Ditambahkan"), ("corrected", "Dikoreksi"), ("withdrawn", "Ditarik"),
                       ("refused", "Ditolak")):
        parts += [f"<h3>{label}</h3>", _steps(_step_rows(changes[key]), "Tidak ada.")]
    return "".join(parts)


def _verification(verification: dict[str, Any] | None) -> str:
    if verification is None:
        return ('<h2>Verifikasi</h2><p class="muted">Belum ada hasil <code>ksd audit verify --checkpoints FILE</code>'
                " atas riwayat ini.</p>")
    verdict = ('<span class="ok">UTUH</span>' if verification["clean"] else '<span class="bad">BERUBAH</span>')
    rows = [("Hasil", ""), ("Diverifikasi pada", waktu(verification["verified_at"])),
            ("Checkpoint bertanda tangan", f"{verification['checkpoint_file']}, ditandatangani"
             f" {waktu(verification['signed_at'])}, hari terakhir {tanggal(verification['last_day'])}"),
            ("Peristiwa diperiksa", labels.number(verification["events"])),
            ("Hari pertama yang berbeda", verification["first_difference"] or "Tidak ada")]
    table = _kv(rows).replace("<td></td>", f"<td>{verdict}</td>", 1)
    return "<h2>Verifikasi</h2>" + table


def agreement_page(report: dict[str, Any]) -> str:
    """One agreement's report: its record as of R/D, its timeline as recorded on R (refused
    submissions marked), what changed between two recording dates, and the verification."""
    answer = report["answer"]
    title = f"Laporan Audit Kerja Sama {answer.get('registry_number') or report['subject']['agreement_id']}"
    refused = [s for s in report["timeline"] if s.get("refused")]
    return _page(title, _question(answer), [
        _record(answer), "<h2>Riwayat tercatat</h2>",
        _steps(_step_rows(report["timeline"]), "Tidak ada langkah tercatat pada waktu itu."),
        _changes(report.get("changes")), "<h2>Pengajuan yang ditolak</h2>",
        _steps(_step_rows(refused), "Tidak ada pengajuan yang ditolak."),
        _verification(report.get("verification")),
    ])


def region_page(report: dict[str, Any]) -> str:
    """A region's or the nation's report: each agreement the register knew on R, with its stage on D
    (a page of them when the report is paged: which ones, and where the next page starts)."""
    answer = report["answer"]
    by_stage = [[escape(tahap(None if s == "not_yet_initiated" else s)), str(n)] for s, n in answer["by_stage"].items()]
    rows = [[escape(a["registry_number"] or NONE), escape(a["title"]), escape(a["kind"]), escape(tahap(a["stage"])),
            labels.rupiah(a["value_idr"]), f"{tanggal(a['start_on'])} s.d. {tanggal(a['end_on'])}"]
            for a in answer["agreements"]]
    total = answer.get("total", len(answer["agreements"]))
    scope = "Nasional" if answer["region"] is None else daerah([answer["region"]])
    listed = [f"<p>Daftar ini memuat {labels.number(len(rows))} dari {labels.number(total)} kerja sama;"
              f" halaman berikutnya: cursor={escape(answer['next_cursor'])}.</p>"] if answer.get("next_cursor") else []
    return _page(f"Laporan Audit Kerja Sama Daerah {scope}", _question(answer), [
        f"<h2>Jumlah per tahap ({labels.number(total)} kerja sama)</h2>",
        _table(["Tahap", "Jumlah"], by_stage, "Tidak ada kerja sama tercatat."),
        "<h2>Kerja sama</h2>",
        _table(["Nomor registrasi", "Judul", "Jenis", "Tahap", "Nilai", "Masa berlaku"], rows, "Tidak ada."),
        *listed,
        _verification(report.get("verification")),
    ])
