"""`ksd simulate`: the 546 autonomous governments as nodes, driving agreement lifecycles and their
own declarations through the public API.

Deterministic for a seed: the same seed gives the same submissions and the same idempotency keys
(`sim-<seed>-...`), so a second run is answered from intake's idempotency records instead of
doubling the register.
"""

from __future__ import annotations

import argparse
import asyncio

from ksd_agreement.domain import near_in_time, reconciliation_key
from ksd_common.settings import settings
from ksd_tools.simulate.plan import Step, Track, Workload, workload
from ksd_tools.simulate.runner import PATIENCE, run

__all__ = ["Step", "Track", "Workload", "proposals", "run", "run_command", "workload", "would_join"]


def proposals(count: int, seed: int) -> list[Step]:
    """The first valid proposal of each of `count` lifecycles, initiated in turn by every one of the
    546 governments: independent submissions, each a new agreement, for the benches' load (so
    `546 * k` of them is a deadline burst of k from every node). A proposal that the agreement
    service could join to an earlier one as the other side's report (`would_join`) is left out, so
    each of them opens its own agreement. Only those with the same reconciliation key are compared
    (comparing each with every earlier one took hours for the full deadline burst's 109,200)."""
    work = workload(count, seed)
    first = [next(s for s in t.steps if s.type == "agreement.propose" and s.expect == "applied")
             for t in work.tracks if t.name.startswith("a")]
    kept: list[Step] = []
    by_key: dict[str, list[Step]] = {}
    for step in first:
        key = reconciliation_key(step.data)
        same_key = by_key.setdefault(key, []) if key is not None else []
        if not any(would_join(step, earlier) for earlier in same_key):
            kept.append(step)
            same_key.append(step)
    return kept


def would_join(step: Step, earlier: Step) -> bool:
    """Whether the agreement service could take `step` as the other side's report of `earlier`: one
    reconciliation key, another region, dated within the window (`join_target`)."""
    key = reconciliation_key(step.data)
    return (key is not None and key == reconciliation_key(earlier.data) and step.node != earlier.node
            and near_in_time(step.data["initiated_on"], earlier.data["initiated_on"]))


def run_command(args: argparse.Namespace) -> None:
    """`ksd simulate`: run the workload against intake (by default this machine's, KSD_INTAKE_PORT)."""
    intake = args.intake or f"http://127.0.0.1:{settings().intake_port}"
    result = asyncio.run(run(workload(args.agreements, args.seed), intake, args.rate, args.burst, args.answer_timeout,
                             args.patience or PATIENCE, args.ledger, batched=args.batches))
    wrong = result.pop("wrong")
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    for line in wrong:
        print(f"  unexpected: {line}")
