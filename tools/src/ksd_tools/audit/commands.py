"""The `ksd audit` commands that read the log only, verify and checkpoint (their arguments are in
`ksd_tools.cli`); rebuild and replay, which need reporting's code, are in `rebuild_commands`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

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
            print(f"BAD SIGNATURE: {error}", file=sys.stderr)
            raise SystemExit(1) from None
        print(f"signed checkpoints: {len(signed.checkpoints)} day(s) to {signed.last_day}, signed {signed.signed_at}"
              f" by the key of {args.public_key}")
    report = asyncio.run(verify(history_of(args), topics_named(args.topics), checkpoints=args.checkpoints is True,
                                signed=signed))
    for topic, count in sorted(report.counts.items()):
        print(f"{topic:28} {count:>12,} events verified")
    print(f"{'subjects':28} {report.subjects:>12,}   in {report.seconds:.1f} s")
    if report.copies:
        print(f"{'redelivered copies':28} {report.copies:>12,}   identical to an event already read (dropped by id)")
    if args.record and signed is not None:
        asyncio.run(record_verification(history_of(args), HistoryVerified(
            clean=report.clean, events=sum(report.counts.values()), topics=sorted(report.counts),
            checkpoint_file=signed.path.name, signed_at=signed.signed_at, last_day=signed.last_day,
            finding=str(report.finding) if report.finding else None,
            first_difference=report.first_difference)))
        print("result recorded on the audit topic, for the audit report")
    if report.finding:
        print(f"FIRST BAD EVENT: {report.finding}", file=sys.stderr)
    if report.rewritten:
        print(f"FIRST DAY THAT DIFFERS: {report.first_difference}", file=sys.stderr)
    for problem in report.rewritten:
        print(f"REWRITTEN: {problem}", file=sys.stderr)
    if not report.clean:
        raise SystemExit(1)
    print("history verified: every chain intact" + (", every checkpoint holds" if args.checkpoints else "")
          + (f" (rests on {report.rests_on})" if report.rests_on else ""))


def _signing_key(args: argparse.Namespace) -> Path:
    """The key given, or the local dev key, made on first use (never for production: the
    ministry's own key is made once with `ksd audit keygen` and kept off the platform)."""
    if args.key is not None:
        return Path(args.key)
    if not signing.DEV_KEY.exists():
        print(f"no --key: made a dev key for local use at {signing.DEV_KEY} ({signing.generate(signing.DEV_KEY)})")
    return signing.DEV_KEY


def run_checkpoint(args: argparse.Namespace) -> None:
    published = asyncio.run(publish_checkpoints(history_of(args), args.day))
    for c in published:
        print(f"{c.day}  {c.topic:28} {c.events:>10,} events  {c.digest}")
    print(f"{len(published)} checkpoint(s) published" if published else "nothing new to checkpoint")
    if args.export:
        held = [day for _, day in asyncio.run(recorded(history_of(args))).values()]
        key = _signing_key(args)
        signing.export(held, key, args.export)
        print(f"{len(held)} checkpoint(s) signed with {key} into {args.export};"
              f" public key {signing.public_key_path(key)}")


def run_keygen(args: argparse.Namespace) -> None:
    public = signing.generate(args.key)
    print(f"signing key {args.key} (keep it off the platform); publish {public}")
