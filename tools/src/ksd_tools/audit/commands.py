"""The `ksd audit` commands that read the log only, verify and checkpoint (their arguments are in
`ksd_tools.cli`); rebuild and replay, which need reporting's code, are in `rebuild_commands`.

What they print is for auditors (BPK, inspectorates): in Bahasa Indonesia, numbers and dates as
Indonesian writes them (`ksd_contracts.labels`); the exit codes are the contract (INTERFACES.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ksd_contracts import labels
from ksd_contracts.events import HistoryVerified
from ksd_tools.audit import signing
from ksd_tools.audit.checkpoint import publish_checkpoints, record_verification, recorded
from ksd_tools.audit.log import History, topics_named
from ksd_tools.audit.verify import verify


def history_of(args: argparse.Namespace) -> History:
    """The history the command reads: the live topics, or a copy under --prefix, on --bootstrap."""
    return History(prefix=args.prefix, bootstrap=args.bootstrap) if args.bootstrap else History(prefix=args.prefix)


def run_verify(args: argparse.Namespace) -> None:
    """`--checkpoints` alone: the days checkpointed on the audit topic; `--checkpoints FILE`: a signed
    export, whose signature must hold under `--public-key`."""
    signed = None
    if isinstance(args.checkpoints, Path):
        try:
            signed = signing.load(args.checkpoints, args.public_key)
        except signing.BadSignature as error:
            print(f"TANDA TANGAN TIDAK SAH: {error}", file=sys.stderr)
            raise SystemExit(1) from None
        print(f"checkpoint bertanda tangan: {labels.number(len(signed.checkpoints))} checkpoint sampai"
              f" {labels.day(signed.last_day) if signed.last_day else '-'}, ditandatangani"
              f" {labels.moment(signed.signed_at)} dengan kunci {args.public_key}")
    report = asyncio.run(verify(history_of(args), topics_named(args.topics), checkpoints=args.checkpoints is True,
                                signed=signed, workers=args.workers))
    for topic, count in sorted(report.counts.items()):
        print(f"{topic:28} {labels.number(count):>12} peristiwa diperiksa")
    print(f"{'subjek':28} {labels.number(report.subjects):>12}   dalam {labels.number(report.seconds, 1)} detik")
    if report.copies:
        print(f"{'salinan kiriman ulang':28} {labels.number(report.copies):>12}"
              "   sama persis dengan peristiwa yang sudah dibaca (dibuang menurut id)")
    if args.record and signed is not None:
        asyncio.run(record_verification(history_of(args), HistoryVerified(
            clean=report.clean, events=sum(report.counts.values()), topics=sorted(report.counts),
            checkpoint_file=signed.path.name, signed_at=signed.signed_at, last_day=signed.last_day,
            finding=str(report.finding) if report.finding else None,
            first_difference=report.first_difference)))
        print("hasil dicatat di topik audit, untuk laporan audit")
    if report.finding:
        print(f"PERISTIWA BERMASALAH PERTAMA: {report.finding}", file=sys.stderr)
    if report.rewritten:
        print(f"HARI PERTAMA YANG BERBEDA: {report.first_difference}", file=sys.stderr)
    for problem in report.rewritten:
        print(f"DITULIS ULANG: {problem}", file=sys.stderr)
    if not report.clean:
        raise SystemExit(1)
    print("riwayat utuh: setiap rantai hash tersambung" + (", setiap checkpoint cocok" if args.checkpoints else "")
          + (f" (berdasarkan {report.rests_on})" if report.rests_on else ""))


def _signing_key(args: argparse.Namespace) -> Path:
    """The key given, or the local dev key, made on first use (never for production: the
    ministry's own key is made once with `ksd audit keygen` and kept off the platform)."""
    if args.key is not None:
        return Path(args.key)
    if not signing.DEV_KEY.exists():
        print(f"tanpa --key: kunci pengembangan untuk pemakaian lokal dibuat di {signing.DEV_KEY}"
              f" ({signing.generate(signing.DEV_KEY)})")
    return signing.DEV_KEY


def run_checkpoint(args: argparse.Namespace) -> None:
    published = asyncio.run(publish_checkpoints(history_of(args), args.day))
    for c in published:
        print(f"{labels.day(c.day.isoformat()):<11}  {c.topic:28} {labels.number(c.events):>10} peristiwa  {c.digest}")
    print(f"{labels.number(len(published))} checkpoint diterbitkan" if published
          else "tidak ada checkpoint baru: setiap hari yang lengkap sudah punya checkpoint")
    if args.export:
        held = [day for _, day in asyncio.run(recorded(history_of(args))).values()]
        key = _signing_key(args)
        signing.export(held, key, args.export)
        print(f"{labels.number(len(held))} checkpoint ditandatangani dengan {key} ke {args.export};"
              f" kunci publik {signing.public_key_path(key)}")


def run_keygen(args: argparse.Namespace) -> None:
    public = signing.generate(args.key)
    print(f"kunci penanda tangan {args.key} (simpan di luar platform); terbitkan {public}")
