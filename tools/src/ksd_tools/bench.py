"""`ksd bench`: speed figures, each beside a baseline measured in the same run on the same machine.

Needs the platform running (`make up`). The sections are the `ksd_tools.bench_*` modules
(`ksd_tools.benchkit` says how to add one). Figures are printed as a table and written to
bench/results/latest.json and a timestamped copy, so runs can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import fields

from ksd_tools.benchkit import Context, measure, table, write


def run(args: argparse.Namespace) -> None:
    """`ksd bench`: the options not given keep `Context`'s defaults (the one place they are set)."""
    given = {f.name: getattr(args, f.name) for f in fields(Context) if hasattr(args, f.name)}
    context = Context(**given)
    result = asyncio.run(measure(context, args.only, args.curve))
    print(table(result))
    for path in write(result, args.results):
        print(f"written: {path}")
