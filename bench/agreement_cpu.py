"""Issue 15's agreement figures apart from `ksd bench`'s wall-clock rate (which a loaded, shared
machine distorts): CPU seconds per 1,000 submissions decided, of this process and of its
PostgreSQL backend, and the database round trips per batch. Results: bench/notes-agreement.md.

    .venv/bin/python bench/agreement_cpu.py [SUBMISSIONS] [BATCH] [default-gc]   # default 20000 500

It runs what `ksd bench --only agreement` runs (`ksd_tools.bench_agreement`: the service's own
`BatchConsumer.process` with `apply_submissions`, on a scratch database, fed intake's envelopes of
the simulator's lifecycles, fixed seed) through a pool of one connection, so that one backend does
all of PostgreSQL's work. With the sources of another revision first on PYTHONPATH it measures that
revision on the same submissions; the collector is the service's (`as_the_service`) where the
revision has one, Python's default with `default-gc`. Round trips are counted where asyncpg sends them (a prepared
statement, a simple query such as BEGIN, COMMIT or the pool's reset, a COPY); the first batch, which
prepares the statements, is left out of the count.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import asyncpg

from ksd_agreement.handlers import apply_submissions
from ksd_common.consumer import BatchConsumer
from ksd_common.db import create_pool, drop_database, migrate
from ksd_common.settings import settings
from ksd_contracts.topics import SUBMISSIONS
from ksd_tools import bench_agreement
from ksd_tools.audit.rebuild import create_database
from ksd_tools.bench_agreement import TODAY, _Pool, delivered
from ksd_tools.benchkit import cpu_seconds

SEED = 15

trips: Counter[str] = Counter()


def _counted(kind: str, method: Callable[..., Any], *, only_plain: bool = False) -> Callable[..., Any]:
    async def counting(self: asyncpg.Connection, query: Any = None, *args: Any, **kwargs: Any) -> Any:
        if not only_plain or not args:  # execute with arguments goes through _execute: counted there
            trips[kind if kind != "statement" else str(query).split()[0].upper()] += 1
        return await method(self, query, *args, **kwargs)
    return counting


def count_round_trips() -> None:
    """Every message exchange asyncpg makes with the server, by kind (statement's first word)."""
    connection = asyncpg.connection.Connection
    connection._execute = _counted("statement", connection._execute)  # type: ignore[method-assign]
    connection.execute = _counted("statement", connection.execute, only_plain=True)  # type: ignore[method-assign]
    connection.copy_records_to_table = _counted("COPY", connection.copy_records_to_table)  # type: ignore[method-assign]


async def measure(count: int, batch: int, service_collector: bool) -> None:
    records = delivered(count, SEED)
    collector = getattr(bench_agreement, "as_the_service", contextlib.nullcontext)
    with collector() if service_collector else contextlib.nullcontext():
        await _measure(records, batch)


async def _measure(records: list[bench_agreement.Delivered], batch: int) -> None:
    name = f"ksd_agreement_bench_{uuid.uuid4().hex[:8]}"
    await create_database(f"{name}{settings().db_suffix}")
    pool = await create_pool(name, max_size=1)
    try:
        await migrate(pool, ["ksd_common", "ksd_agreement"])
        backend: int = await pool.fetchval("SELECT pg_backend_pid()")
        consumer = BatchConsumer("agreement", _Pool(pool), SUBMISSIONS, partial(apply_submissions, today=TODAY),
                                 group="bench")
        count_round_trips()
        chunks = [records[i:i + batch] for i in range(0, len(records), batch)]
        await consumer.process(chunks[0])
        trips.clear()
        cpu, pg, wall = time.process_time(), cpu_seconds(backend), time.perf_counter()
        for chunk in chunks[1:]:
            await consumer.process(chunk)
        cpu, pg, wall = time.process_time() - cpu, cpu_seconds(backend) - pg, time.perf_counter() - wall
        events = await pool.fetchval("SELECT count(*) FROM agreement_events")
        counted = dict(trips)
    finally:
        await pool.close()
        await drop_database(f"{name}{settings().db_suffix}")
    measured = len(records) - len(chunks[0])
    per = 1000 / measured
    batches = len(chunks) - 1
    print(f"{len(records)} submissions ({measured} measured, batches of {batch}), {events} events")
    print(f"wall {wall:.2f} s: {measured / wall:,.0f} submissions/s")
    print(f"CPU per 1,000 submissions: python {cpu * per:.3f} s, postgres backend {pg * per:.3f} s"
          f" (python alone: {measured / cpu:,.0f}/s, both: {measured / (cpu + pg):,.0f}/s)")
    print(f"round trips per batch: {sum(counted.values()) / batches:.1f}"
          f" ({', '.join(f'{k} {v / batches:.1f}' for k, v in Counter(counted).most_common())})")


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000,
                        int(sys.argv[2]) if len(sys.argv) > 2 else 500, "default-gc" not in sys.argv))
