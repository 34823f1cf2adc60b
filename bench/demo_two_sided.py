"""After `make demo`: of the demo's KSDD whose partner reports it, how many reporting shows
two-sided (both party regions among its reporters, not `one_sided`). The README's demo figure.

    .venv/bin/python bench/demo_two_sided.py --agreements 2000 --seed 1
"""

from __future__ import annotations

import argparse
import asyncio

import asyncpg

from ksd_common.settings import Settings
from ksd_tools.simulate.plan import workload


def partner_reported(agreements: int, seed: int) -> dict[str, set[str]]:
    """The demo's KSDD agreement ids whose both sides propose them, with the two regions."""
    expected: dict[str, set[str]] = {}
    for track in workload(agreements, seed).tracks:
        withdrawn = {s.data["agreement_id"] for s in track.steps if s.type == "agreement.withdraw"}
        proposals = [s for s in track.steps if s.type == "agreement.propose" and s.expect == "applied"
                     and s.data["agreement_id"] not in withdrawn]
        if len(proposals) == 2 and proposals[0].data.get("kind") == "KSDD":
            expected[proposals[0].data["agreement_id"]] = {proposals[0].node, proposals[1].node}
    return expected


async def main(agreements: int, seed: int) -> None:
    expected = partner_reported(agreements, seed)
    conn = await asyncpg.connect(Settings().database_dsn("ksd_reporting"))
    try:
        rows = await conn.fetch("SELECT agreement_id::text AS id, reporters, one_sided FROM agreements"
                                " WHERE agreement_id::text = ANY($1::text[])", list(expected))
    finally:
        await conn.close()
    two = sum(1 for r in rows if not r["one_sided"] and set(r["reporters"]) >= expected[r["id"]])
    print(f"KSDD whose partner reports it: {len(expected)}; in reporting: {len(rows)}; two-sided: {two}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.agreements, args.seed))
