"""The `ksd audit` commands that rebuild reporting's read models, rebuild and replay (their
arguments are in `ksd_tools.cli`): apart from `commands` because they import reporting's code."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from datetime import UTC, datetime
from typing import Any

from ksd_contracts import labels
from ksd_tools.audit.commands import history_of
from ksd_tools.audit.rebuild import rebuild, replay


def run_rebuild(args: argparse.Namespace) -> None:
    database = args.database or f"ksd_reporting_rebuild_{datetime.now(UTC):%Y%m%d%H%M%S}"
    result = asyncio.run(rebuild(history_of(args), database, workers=args.workers))
    print(f"{result.database} dibangun ulang dari {labels.number(result.events)} peristiwa"
          f" dalam {labels.number(result.seconds, 1)} detik")
    print(f"digest {result.digest}")


REPLAY_KEYS = {"as_of": "per waktu", "subject": "subjek", "events": "peristiwa", "agreement": "kerja sama",
               "summary": "ringkasan"}
"""The replay's own keys in Bahasa Indonesia; reporting's (the record's and the summary's fields)
keep the names the API gives them, so the table reads beside `--json` and the API's documents."""

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _shown(value: Any) -> str:
    """A scalar as people read it here: numbers with dots between thousands, days as "28 Nov 2026",
    moments in WIB, yes or no, a dash for nothing (an empty list or table too)."""
    if value is None or value == [] or value == {}:
        return "-"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int | float):
        return labels.number(value, 0 if isinstance(value, int) or value.is_integer() else 2)
    if isinstance(value, str) and DAY.fullmatch(value):
        return labels.day(value)
    if isinstance(value, str) and MOMENT.match(value):
        return labels.moment(value)
    return str(value)


def _table(value: Any, indent: str = "") -> list[str]:
    """A readable rendering of a nested answer: one line per scalar, nested keys indented."""
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines += [f"{indent}{key}:", *_table(item, indent + "  ")]
            else:
                lines.append(f"{indent}{key:<24} {_shown(item)}")
        return lines
    if isinstance(value, list):
        return [line for i, item in enumerate(value) for line in _table({f"[{i + 1}]": item}, indent)]
    return [f"{indent}{_shown(value)}"]


def replay_table(answer: dict[str, Any]) -> list[str]:
    """The replay's answer as the auditor reads it without `--json`."""
    return _table({REPLAY_KEYS.get(key, key): item for key, item in answer.items()})


def run_replay(args: argparse.Namespace) -> None:
    answer = asyncio.run(replay(history_of(args), args.as_of, args.subject, workers=args.workers))
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        print("\n".join(replay_table(answer)))
