"""`ksd simulate`: the 546 autonomous governments as nodes, driving agreement lifecycles and their
own declarations through the public API.

Deterministic for a seed: the same seed gives the same submissions and the same idempotency keys
(`sim-<seed>-...`), so a second run is answered from intake's idempotency records instead of
doubling the register.
"""

from __future__ import annotations

import argparse
import asyncio

from ksd_agreement.domain import reconciliation_key
from ksd_common.settings import settings
from ksd_tools.simulate.plan import Step, Track, Workload, workload
from ksd_tools.simulate.runner import run

__all__ = ["Step", "Track", "Workload", "add_commands", "proposals", "run", "workload"]


def proposals(count: int, seed: int) -> list[Step]:
    """The first valid proposal of each of `count` lifecycles, initiated in turn by every one of the
    546 governments: independent submissions, each a new agreement, for the benches' load (so
    `546 * k` of them is a deadline burst of k from every node). A proposal that the agreement
    service would join to an earlier one as the other side's report (the same reconciliation key)
    is left out, so each of them opens its own agreement."""
    work = workload(count, seed)
    first = [next(s for s in t.steps if s.type == "agreement.propose" and s.expect == "applied")
             for t in work.tracks if t.name.startswith("a")]
    seen: set[str] = set()
    kept = []
    for step in first:
        key = reconciliation_key(step.data)
        if key is None or key not in seen:
            kept.append(step)
        seen.add(key or "")
    return kept


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = subparsers.add_parser("simulate", help="simulated nodes submit lifecycles through the HTTP API")
    simulate.add_argument("--agreements", type=int, default=100)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--rate", type=float, help="submissions per second (default: as fast as answered)")
    simulate.add_argument("--burst", action="store_true", help="every node at once, as at a reporting deadline")
    simulate.add_argument(
        "--answer-timeout", type=float, default=120, help="seconds to wait for the last answers (applied or rejected)"
    )
    simulate.add_argument("--intake", default=f"http://127.0.0.1:{settings().intake_port}")

    def _run(a: argparse.Namespace) -> None:
        work = workload(a.agreements, a.seed)
        result = asyncio.run(run(work, a.intake, a.rate, a.burst, a.answer_timeout))
        wrong = result.pop("wrong")
        print(" ".join(f"{k}={v}" for k, v in result.items()))
        for line in wrong:
            print(f"  unexpected: {line}")

    simulate.set_defaults(run=_run)
