"""The `ksd audit` commands that rebuild reporting's read models, rebuild and replay (their
arguments are in `ksd_tools.cli`): apart from `commands` because they import reporting's code."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from ksd_tools.audit.commands import history_of
from ksd_tools.audit.rebuild import rebuild, replay


def run_rebuild(args: argparse.Namespace) -> None:
    database = args.database or f"ksd_reporting_rebuild_{datetime.now(UTC):%Y%m%d%H%M%S}"
    result = asyncio.run(rebuild(history_of(args), database, workers=args.workers))
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
    answer = asyncio.run(replay(history_of(args), args.as_of, args.subject, workers=args.workers))
    print(json.dumps(answer, indent=2, ensure_ascii=False) if args.json else "\n".join(_table(answer)))
