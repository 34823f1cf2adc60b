"""The `ksd audit` commands (their arguments are in `ksd_tools.cli`): each prints what an auditor reads."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from ksd_tools.audit.checkpoint import publish_checkpoints
from ksd_tools.audit.log import History, topics_named
from ksd_tools.audit.rebuild import rebuild, replay
from ksd_tools.audit.verify import verify


def _history(args: argparse.Namespace) -> History:
    return History(prefix=args.prefix, bootstrap=args.bootstrap) if args.bootstrap else History(prefix=args.prefix)


def run_verify(args: argparse.Namespace) -> None:
    report = asyncio.run(verify(_history(args), topics_named(args.topics), checkpoints=args.checkpoints))
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


def run_rebuild(args: argparse.Namespace) -> None:
    database = args.database or f"ksd_reporting_rebuild_{datetime.now(UTC):%Y%m%d%H%M%S}"
    result = asyncio.run(rebuild(_history(args), database))
    print(f"rebuilt {result.database} from {result.events:,} events in {result.seconds:.1f} s")
    print(f"digest {result.digest}")


def _table(value: Any, indent: str = "") -> list[str]:
    """A readable rendering of a nested answer: one line per scalar, nested keys indented."""
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines += [f"{indent}{key}:", *_table(item, indent + "  ")]
            else:
                lines.append(f"{indent}{key:<24} {item}")
        return lines
    if isinstance(value, list):
        return [line for i, item in enumerate(value) for line in _table({f"[{i + 1}]": item}, indent)]
    return [f"{indent}{value}"]


def run_replay(args: argparse.Namespace) -> None:
    answer = asyncio.run(replay(_history(args), args.as_of, args.subject))
    print(json.dumps(answer, indent=2, ensure_ascii=False) if args.json else "\n".join(_table(answer)))


def run_checkpoint(args: argparse.Namespace) -> None:
    published = asyncio.run(publish_checkpoints(_history(args), args.day))
    for c in published:
        print(f"{c.day}  {c.topic:28} {c.events:>10,} events  {c.digest}")
    print(f"{len(published)} checkpoint(s) published" if published else "nothing new to checkpoint")
