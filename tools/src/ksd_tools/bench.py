"""`ksd bench`: speed figures, each beside a baseline measured in the same run on the same machine.

Needs the platform running (`make up`). The sections are the `ksd_tools.bench_*` modules
(`ksd_tools.benchkit` says how to add one). Figures are printed as a table and written to
bench/results/latest.json and a timestamped copy, so runs can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from ksd_tools.benchkit import Context, measure, modules, section_name, table, write

RESULTS = Path("bench/results")


def _scales(text: str) -> list[int]:
    """`10k,100k,1M` -> [10000, 100000, 1000000]."""
    factor = {"k": 1_000, "m": 1_000_000}
    return [int(float(p[:-1]) * factor[p[-1].lower()]) if p[-1].lower() in factor else int(p)
            for p in text.split(",") if p]


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    names = [section_name(m) for m in modules()]
    bench = subparsers.add_parser(
        "bench", help="throughput, latency and memory beside same-run baselines (needs make up)",
        description=f"Sections, in order: {', '.join(names)}. The default scale finishes in under 30 minutes"
                    " on 2 cores; the full deadline burst is --burst-per-node 200, the scale curves"
                    " --curve 10k,100k,1M --only reporting,audit.")
    defaults = Context()
    bench.add_argument("--events", type=int, default=defaults.events,
                       help="history size of the sections that grow with it (audit, reporting queries)")
    bench.add_argument("--curve", type=_scales, help="run those sections at each scale, e.g. 10k,100k,1M")
    bench.add_argument("--submissions", type=int, default=defaults.submissions, help="HTTP load per figure")
    bench.add_argument("--concurrency", type=int, default=defaults.concurrency)
    bench.add_argument("--fresh-rate", type=float, default=defaults.fresh_rate,
                       help="background submissions/s for the freshness figures")
    bench.add_argument("--fresh-seconds", type=float, default=defaults.fresh_seconds)
    bench.add_argument("--burst-per-node", type=int, default=defaults.burst_per_node,
                       help="the deadline burst: each of the 546 nodes sends this many at once (full: 200)")
    bench.add_argument("--only", type=lambda t: set(t.split(",")), help=f"some sections: {','.join(names)}")
    bench.add_argument("--results", type=Path, default=RESULTS)

    def _run(a: argparse.Namespace) -> None:
        context = Context(events=a.events, submissions=a.submissions, concurrency=a.concurrency,
                          fresh_rate=a.fresh_rate, fresh_seconds=a.fresh_seconds, burst_per_node=a.burst_per_node)
        result = asyncio.run(measure(context, a.only, a.curve))
        print(table(result))
        for path in write(result, a.results):
            print(f"written: {path}")

    bench.set_defaults(run=_run)
