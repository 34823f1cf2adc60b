"""The `ksd` command line: it imports a command's modules only when that command runs, so `--help`
and every command start without the HTTP stack or a service's code; and every command still finds
the function that runs it. (How fast is shown by bench/notes-startup-and-latency.md, not asserted.)"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from dataclasses import fields

from ksd_common.collector import YOUNG_COLLECTION_THRESHOLD
from ksd_tools.benchkit import Context
from ksd_tools.cli import Command, parser

HEAVY = ("fastapi", "starlette", "faststream", "pydantic", "aiokafka", "asyncpg", "ksd_reporting", "ksd_agreement")


def _imported_by(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after `statement`."""
    code = f"import sys; {statement}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def _commands(node: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Command]:
    """Every runnable command of the tree, by its words (`("admin", "token", "create")`)."""
    found: dict[tuple[str, ...], Command] = {}
    if isinstance(run := node.get_default("run"), Command):
        found[path] = run
    for action in node._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word, child in action.choices.items():
                found |= _commands(child, (*path, word))
    return found


def test_the_command_line_imports_nothing_heavy() -> None:
    assert _imported_by("import ksd_tools.cli; ksd_tools.cli.parser()").isdisjoint(HEAVY)


def test_help_lists_every_command() -> None:
    out = subprocess.run([sys.executable, "-m", "ksd_tools.cli", "--help"], check=True, capture_output=True,
                         text=True).stdout
    assert all(word in out for word in ("admin", "simulate", "bench", "audit"))


def test_help_and_errors_are_in_bahasa_indonesia() -> None:
    """An auditor or operator reads `ksd audit --help` and a mistyped command's error in Indonesian."""
    def run(*words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ksd_tools.cli", *words], capture_output=True, text=True)

    helped = run("audit", "report", "--help")
    assert helped.returncode == 0
    assert helped.stdout.startswith("pemakaian: ksd audit report")
    assert "pilihan:" in helped.stdout and "tampilkan bantuan ini, lalu keluar" in helped.stdout
    assert "laporan nasional, bukan satu subjek" in helped.stdout
    assert "options:" not in helped.stdout and "show this help" not in helped.stdout
    wrong = run("audit", "verivy")
    assert wrong.returncode == 2
    assert "ksd audit: galat: argumen audit_command: pilihan tidak sah: 'verivy'" in wrong.stderr
    missing = run("audit", "replay")
    assert "argumen berikut wajib diisi: --as-of" in missing.stderr


def test_token_hashing_imports_without_the_http_stack() -> None:
    imported = _imported_by("from ksd_common.credentials import check_binding; check_binding('regency', '53.71')")
    assert imported.isdisjoint({"fastapi", "starlette", "asyncpg", "faststream", "lokal"})


def test_a_token_command_does_not_import_a_service_or_faststream() -> None:
    assert _imported_by("import ksd_tools.admin").isdisjoint({"fastapi", "faststream", "ksd_reporting", "httpx"})


def test_every_command_finds_its_function() -> None:
    commands = _commands(parser())
    assert set(commands) == {("admin", "token", "create"), ("admin", "token", "list"), ("admin", "token", "revoke"),
                             ("admin", "token", "rotate"), ("admin", "topics"), ("admin", "dlq", "list"),
                             ("admin", "dlq", "show"), ("admin", "dlq", "redrive"), ("admin", "refold"),
                             ("admin", "remind"),
                             ("simulate",), ("bench",),
                             ("audit", "verify"), ("audit", "rebuild"), ("audit", "replay"), ("audit", "checkpoint"),
                             ("audit", "keygen"), ("audit", "report")}
    for words, command in commands.items():
        module, _, name = command.target.partition(":")
        assert callable(getattr(importlib.import_module(module), name, None)), words


def test_bench_options_not_given_keep_the_contexts_defaults() -> None:
    given = parser().parse_args(["bench", "--events", "10000"])
    assert given.events == 10000 and given.only is None and given.curve is None
    assert not any(hasattr(given, f.name) for f in fields(Context) if f.name != "events")


def test_a_command_runs_with_the_collector_tuned_as_a_service_does() -> None:
    """A rebuild's worker folds millions of events holding tens of thousands of records: with
    Python's thresholds the collector walked them again and again (a third of its CPU). Every
    command runs as a service does (`tune_collector`: what was imported frozen, a larger youngest
    generation), in a fresh interpreter so this one keeps its own."""
    code = ("import gc, json, sys, types\n"
            "from ksd_tools.cli import Command\n"
            "probe = types.ModuleType('probe')\n"
            "probe.run = lambda args: print(json.dumps([gc.get_threshold()[0], gc.get_freeze_count()]))\n"
            "sys.modules['probe'] = probe\n"
            "Command('probe:run')(None)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    threshold, frozen = json.loads(out)
    assert threshold == YOUNG_COLLECTION_THRESHOLD
    assert frozen > 10_000  # the interpreter's and the command line's objects, out of every pass
