"""`ksd admin refold`: fold the agreement states and compile the read models again from their own
logs, in place, while the services run: a corrected rule reaches existing data without replaying
the topics. The services do the same for states an older fold wrote when they start; this command
does it on demand, for those or (with `--all`) for every agreement."""

from __future__ import annotations

import argparse
import asyncio
import json

from ksd_agreement import store as agreement_store
from ksd_common.db import create_pool
from ksd_reporting import store as reporting_store

REFOLDS = {"agreement": agreement_store.refold, "reporting": reporting_store.refold}


async def _refold(services: list[str], everything: bool) -> dict[str, int]:
    done: dict[str, int] = {}
    for service in services:
        pool = await create_pool(f"ksd_{service}", max_size=2)
        try:
            done[service] = await REFOLDS[service](pool, everything=everything)
        finally:
            await pool.close()
    return done


def run(args: argparse.Namespace) -> None:
    services = list(REFOLDS) if args.service == "all" else [args.service]
    for service, n in asyncio.run(_refold(services, args.all)).items():
        print(json.dumps({"layanan": service, "dilipat_ulang": n,
                          "pesan": f"{n} catatan {service} disusun ulang dari riwayatnya"}, ensure_ascii=False))
