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
        run(args)


def _admin(subparsers: Subparsers) -> None:
    admin = subparsers.add_parser("admin", help="node credentials and the topic registry")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    token = commands.add_parser("token", help="bearer tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="issue a token; it is printed once, only its hash is kept")
    create.add_argument("--role", required=True, choices=["regency", "province", "directorate", "auditor"])
    create.add_argument("--region", help="the region code a regency or province token is bound to")
    create.add_argument("--label", help="who holds it, for the record")
    create.set_defaults(run=Command("ksd_tools.admin:create_token"))
    listing = token.add_parser("list", help="the tokens in force: hash prefix, role, region, issued, label")
    listing.add_argument("--all", action="store_true", help="the revoked ones too")
    listing.set_defaults(run=Command("ksd_tools.admin:list_tokens"))
    for name, help, command in (("revoke", "the token stops working everywhere within seconds", "revoke_token"),
                                ("rotate", "print a new token for the same role and region; revoke the old",
                                 "rotate_token")):
        action = token.add_parser(name, help=help)
        action.add_argument("hash", help="the first 8 or more hex digits of its hash (ksd admin token list)")
        action.set_defaults(run=Command(f"ksd_tools.admin:{command}"))
    topics = commands.add_parser("topics", help="create the registry's missing topics (idempotent)")
    topics.set_defaults(run=Command("ksd_tools.admin:create_topics"))
    _dlq(commands.add_parser("dlq", help="events a service parked: list, show, redrive once fixed"))
    refold = commands.add_parser("refold", help="fold agreement states and read models again from their logs")
    refold.add_argument("--service", choices=["agreement", "reporting", "all"], default="all")
    refold.add_argument("--all", action="store_true", help="every agreement, not only those an older fold wrote")
    refold.set_defaults(run=Command("ksd_tools.refold:run"))
    remind = commands.add_parser("remind", help="put the reminders due into the regions' inboxes and mail them"
                                 " (reporting does it every KSD_REMINDER_SCHEDULE_SECONDS too)")
    remind.add_argument("--as-of", type=date.fromisoformat, help="the day they are due on (default today, WIB)")
    remind.add_argument("--dormant-months", type=int, default=12, help="a KSB without PKS this long is dormant")
    remind.set_defaults(run=Command("ksd_tools.remind:run"))


def _dlq(dlq: argparse.ArgumentParser) -> None:
    """`list`, `show` and `redrive`, each on one service's database (`ksd_tools.dlq` does the work)."""
    services = ("intake", "agreement", "mapping", "reporting")
    commands = dlq.add_subparsers(dest="dlq_command", required=True)
    for name, help in (("list", "the events parked, not yet applied"),
                       ("redrive", "apply the chosen events (and the rest of their streams) again")):
        command = commands.add_parser(name, help=help)
        command.add_argument("--service", required=True, choices=services)
        command.add_argument("--topic", help="the topic they came from, e.g. ksd.intake.submissions")
        command.add_argument("--error", help="text in their error (case-insensitive)")
        command.add_argument("--id", type=UUID, action="append", help="an event id (repeatable)")
        if name == "list":
            command.add_argument("--all", action="store_true", help="resolved ones too")
        else:
            command.add_argument("--wait", type=float, default=60, help="seconds to wait for the service")
        command.set_defaults(run=Command("ksd_tools.dlq:run"))
    show = commands.add_parser("show", help="one parked event, with its envelope")
    show.add_argument("--service", required=True, choices=services)
    show.add_argument("event_id", type=UUID)
    show.set_defaults(run=Command("ksd_tools.dlq:run"))


def _simulate(subparsers: Subparsers) -> None:
    simulate = subparsers.add_parser("simulate", help="simulated nodes submit lifecycles through the HTTP API")
    simulate.add_argument("--agreements", type=int, default=100)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--rate", type=float, help="submissions per second (default: as fast as answered)")
    simulate.add_argument("--burst", action="store_true", help="every node at once, as at a reporting deadline")
    simulate.add_argument("--batches", action="store_true",
                          help="each node sends its steps in POST /v1/submissions/batch, round after round, "
                               "as a node's own system (SIKERJA) does (default: one POST per step)")
    simulate.add_argument(
        "--answer-timeout", type=float, default=120, help="seconds to wait for the last answers (applied or rejected)"
    )
    simulate.add_argument("--intake", help="intake's address (default: http://127.0.0.1:$KSD_INTAKE_PORT, 8081)")
    simulate.add_argument(
        "--patience", type=float,
        help="seconds each request is sent again (same Idempotency-Key) while intake is unreachable or answers 5xx"
        " (default: 900, the runner's PATIENCE)",
    )
    simulate.add_argument("--ledger", help="write every answer the nodes got to this file (JSON lines)")
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
        "bench", help="throughput, latency and memory beside same-run baselines (needs make up)",
        description=f"Sections: {names}. The default scale finishes in under 30 minutes on 2 cores; the full"
                    " deadline burst is --burst-per-node 200, the scale curves --curve 10k,100k,1M"
                    " --only reporting,audit.",
        argument_default=argparse.SUPPRESS)  # what is not given keeps ksd_tools.benchkit.Context's default
    bench.add_argument("--events", type=int,
                       help="history size of the sections that grow with it (audit, reporting queries; 1M)")
    bench.add_argument("--curve", type=scales, default=None,
                       help="run those sections at each scale, e.g. 10k,100k,1M")
    bench.add_argument("--submissions", type=int, help="HTTP load per figure")
    bench.add_argument("--concurrency", type=int)
    bench.add_argument("--batches", type=int, help="batches of intake's batch figure (default 20)")
    bench.add_argument("--batch-size", type=int, help="submissions per batch (default 500, intake's most)")
    bench.add_argument("--fresh-rate", type=float, help="background submissions/s for the freshness figures")
    bench.add_argument("--fresh-seconds", type=float)
    bench.add_argument("--burst-per-node", type=int,
                       help="the deadline burst: each of the 546 nodes sends this many at once (default 5, full: 200)")
    bench.add_argument("--only", type=lambda t: set(t.split(",")), default=None, help=f"some sections: {names}")
    bench.add_argument("--results", type=Path, default=Path("bench/results"))
    bench.set_defaults(run=Command("ksd_tools.bench:run"))


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return int(text)


def _audit(subparsers: Subparsers) -> None:
    audit = subparsers.add_parser("audit", help="replay, verify and rebuild from the history topics")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap", help="Kafka bootstrap servers (default: KSD_KAFKA_BOOTSTRAP)")
    common.add_argument("--prefix", default="", help="read a copy of the history: topics named <prefix><topic>")
    rebuilding = argparse.ArgumentParser(add_help=False)
    rebuilding.add_argument("--workers", type=_positive, metavar="N",
                            help="processes that rebuild the read models, each some partitions (default: the"
                                 " cores, at most one per 20,000 events)")

    check = commands.add_parser("verify", parents=[common], help="check every event's schema, source and hash chain")
    check.add_argument("--topics", nargs="*", help="history topics to check (default: all)")
    check.add_argument("--checkpoints", nargs="?", const=True, type=Path, metavar="FILE",
                       help="also recompute every checkpointed day; with FILE, each day of a signed export")
    check.add_argument("--public-key", type=Path, default=Path(".data/audit/ministry-dev.key.pub"),
                       help="the ministry's published key the FILE must be signed with (default: the dev key's)")
    check.add_argument("--record", action="store_true",
                       help="with FILE: record the result on ksd.audit.checkpoints, where audit reports show it")
    check.set_defaults(run=Command("ksd_tools.audit.commands:run_verify"))

    build = commands.add_parser("rebuild", parents=[common, rebuilding],
                                help="reporting's read models from the log, and their digest")
    build.add_argument("--database", help="the fresh database to build (default: ksd_reporting_rebuild_<time>)")
    build.set_defaults(run=Command("ksd_tools.audit.rebuild_commands:run_rebuild"))

    back = commands.add_parser("replay", parents=[common, rebuilding], help="what reporting answered at a past time")
    back.add_argument("--as-of", required=True, type=as_of, help="RFC 3339 time, or a date (its end, WIB)")
    back.add_argument("--subject", help="an agreement id or a region code (default: the nation)")
    back.add_argument("--json", action="store_true", help="JSON for machines (default: a readable table)")
    back.set_defaults(run=Command("ksd_tools.audit.rebuild_commands:run_replay"))

    day = commands.add_parser("checkpoint", parents=[common], help="publish digests of complete days")
    day.add_argument("--day", type=date.fromisoformat, help="one UTC day (default: every complete day not yet done)")
    day.add_argument("--export", type=Path, metavar="FILE",
                     help="then sign every checkpoint on the topic into FILE (small JSON to publish or hand over)")
    day.add_argument("--key", type=Path, help="the ministry's Ed25519 key (default: a dev key under .data, made once)")
    day.set_defaults(run=Command("ksd_tools.audit.commands:run_checkpoint"))

    told = commands.add_parser("report", parents=[common, rebuilding],
                               help="the auditor's report of an agreement, a region or the nation: JSON, HTML, PDF")
    told.add_argument("subject", nargs="?",
                      help="an agreement id, or a region code (a province includes its regencies)")
    told.add_argument("--nation", action="store_true", help="the nation's report instead of one subject's")
    told.add_argument("--limit", type=int, metavar="N",
                      help="a region's or the nation's report lists N agreements (default: all; the counts per"
                           " stage are always over the whole scope)")
    told.add_argument("--recorded-as-of", type=as_of, help="R: RFC 3339 time, or a date (its end, WIB); default now")
    told.add_argument("--in-force-on", type=date.fromisoformat, help="D: YYYY-MM-DD (default: R's day, WIB)")
    told.add_argument("--changes-since", type=as_of, help="also what was recorded after this time up to R")
    for form in ("json", "html", "pdf"):
        told.add_argument(f"--{form}", type=Path, metavar="FILE", help=f"write the report as {form.upper()}")
    told.set_defaults(run=Command("ksd_tools.audit.report:run_report"))

    keys = commands.add_parser("keygen", help="make an Ed25519 signing key and its public half (<key>.pub)")
    keys.add_argument("--key", type=Path, required=True, help="where to write the private key (never overwritten)")
    keys.set_defaults(run=Command("ksd_tools.audit.commands:run_keygen"))


def parser() -> argparse.ArgumentParser:
    """Every command and its arguments."""
    root = argparse.ArgumentParser(prog="ksd", description="National platform for regional cooperation (KSD).")
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
