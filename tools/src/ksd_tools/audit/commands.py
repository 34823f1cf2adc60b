"""The `ksd audit` commands that read the log only, verify and checkpoint (their arguments are in
`ksd_tools.cli`); rebuild and replay, which need reporting's code, are in `rebuild_commands`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ksd_tools.audit.checkpoint import publish_checkpoints
from ksd_tools.audit.log import History, topics_named
from ksd_tools.audit.verify import verify


def history_of(args: argparse.Namespace) -> History:
    """The history the command reads: the live topics, or a copy under --prefix, on --bootstrap."""
    return History(prefix=args.prefix, bootstrap=args.bootstrap) if args.bootstrap else History(prefix=args.prefix)


def run_verify(args: argparse.Namespace) -> None:
    report = asyncio.run(verify(history_of(args), topics_named(args.topics), checkpoints=args.checkpoints))
    for topic, count in sorted(report.counts.items()):
        print(f"{topic:28} {count:>12,} events verified")
    print(f"{'subjects':28} {report.subjects:>12,}   in {report.seconds:.1f} s")
    if report.copies:
        print(f"{'redelivered copies':28} {report.copies:>12,}   identical to an event already read (dropped by id)")
    if report.finding:
        print(f"FIRST BAD EVENT: {report.finding}", file=sys.stderr)
    for problem in report.rewritten:
        print(f"REWRITTEN: {problem}", file=sys.stderr)
    if not report.clean:
        raise SystemExit(1)
    print("history verified: every chain intact" + (", every checkpoint holds" if args.checkpoints else ""))


def run_checkpoint(args: argparse.Namespace) -> None:
    published = asyncio.run(publish_checkpoints(history_of(args), args.day))
    for c in published:
        print(f"{c.day}  {c.topic:28} {c.events:>10,} events  {c.digest}")
    print(f"{len(published)} checkpoint(s) published" if published else "nothing new to checkpoint")
