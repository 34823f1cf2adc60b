"""`ksd audit`: replay any state as of any time, and prove nothing was altered (INTERFACES.md, "Audit")."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from ksd_tools.audit.checkpoint import publish_checkpoints
from ksd_tools.audit.log import History, topics_named
from ksd_tools.audit.rebuild import rebuild, replay
from ksd_tools.audit.verify import verify

WIB = timezone(timedelta(hours=7), "WIB")


def as_of(text: str) -> datetime:
    """An RFC 3339 time (UTC when it names no zone), or a date: the end of that day in WIB, the
    platform's legal calendar."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(), WIB) - timedelta(microseconds=1)


def _history(args: argparse.Namespace) -> History:
    return History(prefix=args.prefix, bootstrap=args.bootstrap) if args.bootstrap else History(prefix=args.prefix)


def _run_verify(args: argparse.Namespace) -> None:
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


def _run_rebuild(args: argparse.Namespace) -> None:
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


def _run_replay(args: argparse.Namespace) -> None:
    answer = asyncio.run(replay(_history(args), args.as_of, args.subject))
    print(json.dumps(answer, indent=2, ensure_ascii=False) if args.json else "\n".join(_table(answer)))


def _run_checkpoint(args: argparse.Namespace) -> None:
    published = asyncio.run(publish_checkpoints(_history(args), args.day))
    for c in published:
        print(f"{c.day}  {c.topic:28} {c.events:>10,} events  {c.digest}")
    print(f"{len(published)} checkpoint(s) published" if published else "nothing new to checkpoint")


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser("audit", help="replay, verify and rebuild from the history topics")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap", help="Kafka bootstrap servers (default: KSD_KAFKA_BOOTSTRAP)")
    common.add_argument("--prefix", default="", help="read a copy of the history: topics named <prefix><topic>")

    check = commands.add_parser("verify", parents=[common], help="check every event's schema, source and hash chain")
    check.add_argument("--topics", nargs="*", help="history topics to check (default: all)")
    check.add_argument("--checkpoints", action="store_true", help="also recompute every checkpointed day")
    check.set_defaults(run=_run_verify)

    build = commands.add_parser("rebuild", parents=[common],
                                help="reporting's read models from the log, and their digest")
    build.add_argument("--database", help="the fresh database to build (default: ksd_reporting_rebuild_<time>)")
    build.set_defaults(run=_run_rebuild)

    back = commands.add_parser("replay", parents=[common], help="what reporting answered at a past time")
    back.add_argument("--as-of", required=True, type=as_of, help="RFC 3339 time, or a date (its end, WIB)")
    back.add_argument("--subject", help="an agreement id or a region code (default: the nation)")
    back.add_argument("--json", action="store_true", help="JSON for machines (default: a readable table)")
    back.set_defaults(run=_run_replay)

    day = commands.add_parser("checkpoint", parents=[common], help="publish digests of complete days")
    day.add_argument("--day", type=date.fromisoformat, help="one UTC day (default: every complete day not yet done)")
    day.set_defaults(run=_run_checkpoint)
