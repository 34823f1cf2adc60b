"""`ksd simulate`: the provinces and regencies/cities as nodes, submitting through the public API.

Deterministic for a seed: the same seed gives the same agreements and the same idempotency keys,
so a second run is answered from intake's idempotency records instead of doubling the register.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from ksd_common.settings import settings
from ksd_contracts.regions import Region, regions
from ksd_tools.admin import issue_tokens, wait_until_known

# (urusan, title pattern): realistic KSDD subjects between neighbouring regions.
KSDD_SUBJECTS = [
    ("2.11", "Pengelolaan sampah regional {a} dan {b}"),
    ("1.03", "Penyediaan air minum lintas wilayah {a} dan {b}"),
    ("3.26", "Pengembangan kawasan pariwisata terpadu {a} dan {b}"),
    ("2.15", "Angkutan umum antarwilayah {a} dan {b}"),
    ("1.02", "Sistem rujukan pelayanan kesehatan {a} dan {b}"),
    ("1.01", "Peningkatan mutu pendidikan di perbatasan {a} dan {b}"),
    ("2.12", "Integrasi data kependudukan {a} dan {b}"),
    ("3.27", "Ketahanan pangan dan pemasaran hasil pertanian {a} dan {b}"),
    ("1.05", "Penanggulangan kebakaran dan bencana {a} dan {b}"),
]
# (urusan, title pattern, partner, category): KSDPK with third parties.
KSDPK_SUBJECTS = [
    ("2.16", "Pengembangan SDM aparatur {a} dengan {p}", "Universitas Negeri Setempat", "perguruan_tinggi"),
    ("1.03", "Penyediaan air bersih {a} dengan {p}", "PT Air Minum Daerah", "bumd"),
    ("3.29", "Penerangan jalan umum tenaga surya {a} dengan {p}", "PT PLN (Persero)", "bumn"),
    ("2.13", "Pemberdayaan masyarakat desa {a} dengan {p}", "Yayasan Desa Mandiri", "lsm"),
]


@dataclass(frozen=True)
class Planned:
    node: str
    key: str
    body: dict[str, Any]


def plan(count: int, seed: int) -> list[Planned]:
    """`count` proposals drawn from the seed: mostly KSDD between regions of one province."""
    rng = random.Random(seed)
    table = regions()
    by_province: dict[str, list[Region]] = {}
    for r in table.values():
        if r.autonomous and not r.is_province:
            by_province.setdefault(r.province_code, []).append(r)
    provinces = sorted(by_province)
    planned = []
    for index in range(count):
        province = rng.choice(provinces)
        first = rng.choice(by_province[province])
        if rng.random() < 0.75 and len(by_province[province]) > 1:
            second = rng.choice([r for r in by_province[province] if r.code != first.code])
            urusan, title = rng.choice(KSDD_SUBJECTS)
            data = {"kind": "KSDD", "mandatory": rng.random() < 0.3,
                    "title": title.format(a=first.name, b=second.name),
                    "parties": [{"type": "region", "code": first.code}, {"type": "region", "code": second.code}]}
        else:
            urusan, title, partner, category = rng.choice(KSDPK_SUBJECTS)
            data = {"kind": "KSDPK", "title": title.format(a=first.name, p=partner),
                    "parties": [{"type": "region", "code": first.code},
                                {"type": "third_party", "name": partner, "category": category}]}
        initiated = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        data |= {"urusan": [urusan], "initiated_on": initiated,
                 "agreement_id": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
        planned.append(Planned(first.code, f"sim-{seed}-{index}", {"type": "agreement.propose", "data": data}))
    return planned


async def run(count: int, seed: int, rate: float | None, burst: bool, base_url: str) -> dict[str, Any]:
    planned = plan(count, seed)
    nodes = sorted({p.node for p in planned})
    tokens = dict(zip(nodes, await issue_tokens([("regency", n, "simulated node") for n in nodes]), strict=True))
    await wait_until_known(f"{base_url}/v1/submissions/{uuid.UUID(int=0)}", tokens[nodes[-1]])
    limit = asyncio.Semaphore(200 if burst else 32)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def submit(index: int, item: Planned) -> tuple[str, str]:
            if rate and not burst:
                await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
            headers = {"Authorization": f"Bearer {tokens[item.node]}", "Idempotency-Key": item.key}
            async with limit:
                response = await client.post("/v1/submissions", json=item.body, headers=headers)
                if response.status_code != 202:
                    return "", f"http {response.status_code}"
                submission = response.json()["id"]
                while True:  # every submission is answered: wait for applied or rejected
                    status = (await client.get(f"/v1/submissions/{submission}", headers=headers)).json()["status"]
                    if status != "accepted":
                        return submission, status
                    await asyncio.sleep(0.2)

        results = await asyncio.gather(*(submit(i, p) for i, p in enumerate(planned)))
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for _, status in results:
        counts[status] = counts.get(status, 0) + 1
    return {"submissions": len(planned), "nodes": len(nodes), "seconds": round(elapsed, 2),
            "per_second": round(len(planned) / elapsed, 1) if elapsed else None, "answers": counts}


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = subparsers.add_parser("simulate", help="simulated nodes submit lifecycles through the HTTP API")
    simulate.add_argument("--agreements", type=int, default=100)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--rate", type=float, help="submissions per second (default: as fast as answered)")
    simulate.add_argument("--burst", action="store_true", help="every node at once, as at a reporting deadline")
    simulate.add_argument("--intake", default=f"http://127.0.0.1:{settings().intake_port}")

    def _run(a: argparse.Namespace) -> None:
        result = asyncio.run(run(a.agreements, a.seed, a.rate, a.burst, a.intake))
        print(" ".join(f"{k}={v}" for k, v in result.items()))

    simulate.set_defaults(run=_run)
