"""The one command-line tool of the platform: `ksd --help` lists its commands.

This module is the whole command line (every command's arguments) and imports nothing heavy: each
command names the function that runs it as `"module:function"`, and that module (with FastAPI,
pydantic, Kafka or a service's code behind it) is imported only when the command runs. So
`ksd --help` answers at once, and each command pays only for its own imports.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import ksd_tools
from ksd_common.collector import tune_collector
from ksd_tools.audit import as_of

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


@dataclass(frozen=True, slots=True)
class Command:
    """A command's function, named `"module:function"` and imported when the command runs, not when
    the command line is parsed."""

    target: str

    def __call__(self, args: argparse.Namespace) -> None:
        module, _, name = self.target.partition(":")
        run: Callable[[argparse.Namespace], None] = getattr(importlib.import_module(module), name)
        tune_collector()  # as a service does, once the command's code is imported
        run(args)


def _admin(subparsers: Subparsers) -> None:
    admin = subparsers.add_parser("admin", help="kredensial simpul dan daftar topik")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    token = commands.add_parser("token", help="token pembawa (bearer)").add_subparsers(dest="token_command",
                                                                                       required=True)
    create = token.add_parser("create", help="terbitkan token; dicetak sekali, hanya hash-nya yang disimpan")
    create.add_argument("--role", required=True, choices=["regency", "province", "directorate", "auditor"])
    create.add_argument("--region", help="kode daerah tempat token kabupaten/kota atau provinsi terikat")
    create.add_argument("--label", help="siapa pemegangnya, untuk catatan")
    create.set_defaults(run=Command("ksd_tools.admin:create_token"))
    listing = token.add_parser("list", help="token yang berlaku: awal hash, peran, daerah, terbit, label")
    listing.add_argument("--all", action="store_true", help="termasuk yang sudah dicabut")
    listing.set_defaults(run=Command("ksd_tools.admin:list_tokens"))
    for name, help, command in (("revoke", "token berhenti berlaku di mana pun dalam hitungan detik", "revoke_token"),
                                ("rotate", "cetak token baru untuk peran dan daerah yang sama; cabut yang lama",
                                 "rotate_token")):
        action = token.add_parser(name, help=help)
        action.add_argument("hash", help="8 digit heksadesimal pertama (atau lebih) dari hash-nya"
                                         " (ksd admin token list)")
        action.set_defaults(run=Command(f"ksd_tools.admin:{command}"))
    topics = commands.add_parser("topics", help="buat topik daftar yang belum ada (idempoten)")
    topics.set_defaults(run=Command("ksd_tools.admin:create_topics"))
    _dlq(commands.add_parser("dlq", help="peristiwa yang diparkir layanan: daftar, tampilkan, kirim ulang setelah"
                                         " diperbaiki"))
    refold = commands.add_parser("refold", help="susun ulang status kerja sama dan model baca dari lognya")
    refold.add_argument("--service", choices=["agreement", "reporting", "all"], default="all")
    refold.add_argument("--all", action="store_true", help="semua kerja sama, bukan hanya yang disusun versi lama")
    refold.set_defaults(run=Command("ksd_tools.refold:run"))
    remind = commands.add_parser("remind", help="masukkan pengingat yang jatuh tempo ke kotak masuk daerah dan kirim"
                                 " surelnya (reporting juga melakukannya setiap KSD_REMINDER_SCHEDULE_SECONDS)")
    remind.add_argument("--as-of", type=date.fromisoformat, help="hari jatuh temponya (bawaan: hari ini, WIB)")
    remind.add_argument("--dormant-months", type=int, default=12,
                        help="KSB tanpa PKS selama ini dianggap tidur (bulan)")
    remind.set_defaults(run=Command("ksd_tools.remind:run"))


def _dlq(dlq: argparse.ArgumentParser) -> None:
    """`list`, `show` and `redrive`, each on one service's database (`ksd_tools.dlq` does the work)."""
    services = ("intake", "agreement", "mapping", "reporting")
    commands = dlq.add_subparsers(dest="dlq_command", required=True)
    for name, help in (("list", "peristiwa yang diparkir, belum diterapkan"),
                       ("redrive", "terapkan lagi peristiwa terpilih (dan sisa alirannya)")):
        command = commands.add_parser(name, help=help)
        command.add_argument("--service", required=True, choices=services)
        command.add_argument("--topic", help="topik asalnya, mis. ksd.intake.submissions")
        command.add_argument("--error", help="teks dalam galatnya (huruf besar/kecil tidak dibedakan)")
        command.add_argument("--id", type=UUID, action="append", help="id peristiwa (boleh diulang)")
        if name == "list":
            command.add_argument("--all", action="store_true", help="termasuk yang sudah selesai")
        else:
            command.add_argument("--wait", type=float, default=60, help="detik menunggu layanan")
        command.set_defaults(run=Command("ksd_tools.dlq:run"))
    show = commands.add_parser("show", help="satu peristiwa yang diparkir, dengan amplopnya")
    show.add_argument("--service", required=True, choices=services)
    show.add_argument("event_id", type=UUID)
    show.set_defaults(run=Command("ksd_tools.dlq:run"))


def _simulate(subparsers: Subparsers) -> None:
    simulate = subparsers.add_parser("simulate", help="simpul simulasi mengirim siklus hidup kerja sama lewat API HTTP")
    simulate.add_argument("--agreements", type=int, default=100)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--rate", type=float, help="pengajuan per detik (bawaan: secepat dijawab)")
    simulate.add_argument("--burst", action="store_true", help="semua simpul sekaligus, seperti pada tenggat pelaporan")
    simulate.add_argument("--batches", action="store_true",
                          help="tiap simpul mengirim langkahnya dalam POST /v1/submissions/batch, putaran demi"
                               " putaran, seperti sistem simpul sendiri (SIKERJA) (bawaan: satu POST per langkah)")
    simulate.add_argument(
        "--answer-timeout", type=float, default=120, help="detik menunggu jawaban terakhir (diterapkan atau ditolak)"
    )
    simulate.add_argument("--intake", help="alamat intake (bawaan: http://127.0.0.1:$KSD_INTAKE_PORT, 8081)")
    simulate.add_argument(
        "--patience", type=float,
        help="berapa detik tiap permintaan dikirim ulang (Idempotency-Key sama) selama intake tak terjangkau atau"
        " menjawab 5xx (bawaan: 900, PATIENCE pengirim)",
    )
    simulate.add_argument("--ledger", help="tulis setiap jawaban yang diterima simpul ke berkas ini (JSON per baris)")
    simulate.set_defaults(run=Command("ksd_tools.simulate:run_command"))


def scales(text: str) -> list[int]:
    """`10k,100k,1M` -> [10000, 100000, 1000000]."""
    factor = {"k": 1_000, "m": 1_000_000}
    return [int(float(p[:-1]) * factor[p[-1].lower()]) if p[-1].lower() in factor else int(p)
            for p in text.split(",") if p]


def bench_sections() -> list[str]:
    """The bench sections (modules `ksd_tools.bench_<name>`) by name, found without importing them;
    `ksd_tools.benchkit.modules` imports them and runs them in their ORDER."""
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules(ksd_tools.__path__)
                  if m.name.startswith("bench_"))


def _bench(subparsers: Subparsers) -> None:
    names = ",".join(bench_sections())
    bench = subparsers.add_parser(
        "bench", help="throughput, latensi dan memori di samping pembanding dari run yang sama (perlu make up)",
        description=f"Bagian: {names}. Skala bawaan selesai dalam kurang dari 30 menit pada 2 inti; lonjakan"
                    " tenggat penuh: --burst-per-node 200, kurva skala: --curve 10k,100k,1M --only reporting,audit.",
        argument_default=argparse.SUPPRESS)  # what is not given keeps ksd_tools.benchkit.Context's default
    bench.add_argument("--events", type=int,
                       help="ukuran riwayat bagian yang tumbuh bersamanya (audit, kueri reporting; 1M)")
    bench.add_argument("--curve", type=scales, default=None,
                       help="jalankan bagian itu pada tiap skala, mis. 10k,100k,1M")
    bench.add_argument("--submissions", type=int, help="beban HTTP per angka")
    bench.add_argument("--concurrency", type=int)
    bench.add_argument("--batches", type=int, help="jumlah batch untuk angka batch intake (bawaan 20)")
    bench.add_argument("--batch-size", type=int, help="pengajuan per batch (bawaan 500, paling banyak untuk intake)")
    bench.add_argument("--fresh-rate", type=float, help="pengajuan/detik latar untuk angka kesegaran")
    bench.add_argument("--fresh-seconds", type=float)
    bench.add_argument("--burst-per-node", type=int,
                       help="lonjakan tenggat: tiap 546 simpul mengirim sebanyak ini sekaligus (bawaan 5, penuh: 200)")
    bench.add_argument("--only", type=lambda t: set(t.split(",")), default=None, help=f"sebagian bagian: {names}")
    bench.add_argument("--results", type=Path, default=Path("bench/results"))
    bench.set_defaults(run=Command("ksd_tools.bench:run"))


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"bilangan bulat paling kecil 1, bukan {text!r}")
    return int(text)


def _audit(subparsers: Subparsers) -> None:
    audit = subparsers.add_parser("audit", help="putar ulang, periksa dan bangun ulang dari topik riwayat")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap", help="server bootstrap Kafka (bawaan: KSD_KAFKA_BOOTSTRAP)")
    common.add_argument("--prefix", default="", help="baca salinan riwayat: topik bernama <prefix><topik>")
    rebuilding = argparse.ArgumentParser(add_help=False)
    rebuilding.add_argument("--workers", type=_positive, metavar="N",
                            help="proses yang membangun ulang model baca, masing-masing beberapa partisi"
                                 " (bawaan: jumlah inti, paling banyak satu per 20.000 peristiwa)")

    check = commands.add_parser("verify", parents=[common],
                                help="periksa skema, sumber dan rantai hash setiap peristiwa")
    check.add_argument("--topics", nargs="*", help="topik riwayat yang diperiksa (bawaan: semua)")
    check.add_argument("--checkpoints", nargs="?", const=True, type=Path, metavar="FILE",
                       help="hitung ulang juga setiap hari yang punya titik periksa; dengan FILE, tiap hari dari"
                            " ekspor bertanda tangan")
    check.add_argument("--public-key", type=Path, default=Path(".data/audit/ministry-dev.key.pub"),
                       help="kunci publik kementerian yang harus menandatangani FILE (bawaan: kunci pengembangan)")
    check.add_argument("--workers", type=_positive, metavar="N",
                       help="proses yang memeriksa, masing-masing sebagian subjek (bawaan: jumlah inti, paling"
                            " banyak satu per 20.000 peristiwa)")
    check.add_argument("--record", action="store_true",
                       help="dengan FILE: catat hasilnya di ksd.audit.checkpoints, tempat laporan audit menampilkannya")
    check.set_defaults(run=Command("ksd_tools.audit.commands:run_verify"))

    build = commands.add_parser("rebuild", parents=[common, rebuilding],
                                help="model baca reporting dari log, beserta digest-nya")
    build.add_argument("--database", help="basis data baru yang dibangun (bawaan: ksd_reporting_rebuild_<waktu>)")
    build.set_defaults(run=Command("ksd_tools.audit.rebuild_commands:run_rebuild"))

    back = commands.add_parser("replay", parents=[common, rebuilding],
                               help="apa jawaban reporting pada suatu waktu lampau")
    back.add_argument("--as-of", required=True, type=as_of, help="waktu RFC 3339, atau tanggal (akhir harinya, WIB)")
    back.add_argument("--subject", help="id kerja sama atau kode daerah (bawaan: nasional)")
    back.add_argument("--json", action="store_true", help="JSON untuk mesin (bawaan: tabel yang mudah dibaca)")
    back.set_defaults(run=Command("ksd_tools.audit.rebuild_commands:run_replay"))

    day = commands.add_parser("checkpoint", parents=[common], help="terbitkan digest hari-hari yang sudah lengkap")
    day.add_argument("--day", type=date.fromisoformat, help="satu hari UTC (bawaan: setiap hari lengkap yang belum)")
    day.add_argument("--export", type=Path, metavar="FILE",
                     help="lalu tandatangani setiap titik periksa di topik ke FILE (JSON kecil untuk diterbitkan"
                          " atau diserahkan)")
    day.add_argument("--key", type=Path,
                     help="kunci Ed25519 kementerian (bawaan: kunci pengembangan di .data, dibuat sekali)")
    day.set_defaults(run=Command("ksd_tools.audit.commands:run_checkpoint"))

    told = commands.add_parser("report", parents=[common, rebuilding],
                               help="laporan auditor atas satu kerja sama, daerah atau nasional: JSON, HTML, PDF")
    told.add_argument("subject", nargs="?",
                      help="id kerja sama, atau kode daerah (provinsi mencakup kabupaten/kotanya)")
    told.add_argument("--nation", action="store_true", help="laporan nasional, bukan satu subjek")
    told.add_argument("--limit", type=int, metavar="N",
                      help="laporan daerah atau nasional memuat N kerja sama (bawaan: semua; jumlah per tahap"
                           " selalu atas seluruh cakupan)")
    told.add_argument("--recorded-as-of", type=as_of,
                      help="R: waktu RFC 3339, atau tanggal (akhir harinya, WIB); bawaan: sekarang")
    told.add_argument("--in-force-on", type=date.fromisoformat, help="D: YYYY-MM-DD (bawaan: hari R, WIB)")
    told.add_argument("--changes-since", type=as_of, help="juga apa yang dicatat setelah waktu ini sampai R")
    for form in ("json", "html", "pdf"):
        told.add_argument(f"--{form}", type=Path, metavar="FILE", help=f"tulis laporan sebagai {form.upper()}")
    told.set_defaults(run=Command("ksd_tools.audit.report:run_report"))

    keys = commands.add_parser("keygen", help="buat kunci tanda tangan Ed25519 dan pasangan publiknya (<kunci>.pub)")
    keys.add_argument("--key", type=Path, required=True, help="tempat menulis kunci privat (tidak pernah ditimpa)")
    keys.set_defaults(run=Command("ksd_tools.audit.commands:run_keygen"))


ARGPARSE_WORDS = {
    "usage: ": "pemakaian: ",
    "positional arguments": "perintah dan argumen",
    "options": "pilihan",
    "show this help message and exit": "tampilkan bantuan ini, lalu keluar",
    "%(prog)s: error: %(message)s\n": "%(prog)s: galat: %(message)s\n",
    "the following arguments are required: %s": "argumen berikut wajib diisi: %s",
    "one of the arguments %s is required": "salah satu argumen %s wajib diisi",
    "unrecognized arguments: %s": "argumen tidak dikenal: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "pilihan tidak sah: %(value)r (pilih dari %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argumen %(argument_name)s: %(message)s",
    "expected one argument": "perlu satu nilai",
    "expected at most one argument": "paling banyak satu nilai",
    "expected at least one argument": "perlu paling sedikit satu nilai",
    "invalid %(type)s value: %(value)r": "nilai tidak sah untuk %(type)s: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "pilihan %(option)s ambigu: bisa berarti %(matches)s",
    "not allowed with argument %s": "tidak boleh bersama argumen %s",
}
"""argparse's own words (its help's headings, its errors) in Bahasa Indonesia: it says them through
gettext, for which Python ships no Indonesian catalogue, so its `_` is given this table instead."""


def _words(message: str) -> str:
    return ARGPARSE_WORDS.get(message, message)


def parser() -> argparse.ArgumentParser:
    """Every command and its arguments, its help and its errors in Bahasa Indonesia."""
    setattr(argparse, "_", _words)  # noqa: B010 (argparse's gettext alias, read when it speaks)
    root = argparse.ArgumentParser(prog="ksd", description="Platform nasional kerja sama daerah (KSD).")
    subparsers = root.add_subparsers(dest="command", required=True)
    for add in (_admin, _simulate, _bench, _audit):
        add(subparsers)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except ValueError as error:
        print(f"ksd: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
