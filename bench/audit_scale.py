"""Issue 19's scale figures for the audit, apart from `ksd bench`'s wall-clock rates (which a
loaded, shared machine distorts): reporting's fold per CPU second, and `ksd audit verify`'s own
peak memory at several history sizes. Results and method: bench/notes-audit-scale.md.

    .venv/bin/python bench/audit_scale.py fold               # fold rate, 4 and 12 events an agreement
    .venv/bin/python bench/audit_scale.py verify 20000 80000 # verify's peak (VmHWM) per history size
    .venv/bin/python bench/audit_scale.py history 40000 4    # write a history (4 events an agreement)
    .venv/bin/python bench/audit_scale.py rebuild PREFIX 1 2 # raw consume, then a rebuild per workers count
    .venv/bin/python bench/audit_scale.py drop PREFIX        # delete the history

`rebuild` gives events per CPU second of the rebuild's processes (its own and its workers') and of
their PostgreSQL backends (polled from pg_stat_activity and /proc every 0.2 s), with the wall rate
beside raw consume of the same history in the same run. With the sources of another revision first
on PYTHONPATH it measures that revision on the same history (one without `--workers` runs alone).

The fold runs as the rebuild's consumer does, without the database: batches of the history in
written order, each agreement's record read back from JSON (as from PostgreSQL's jsonb), folded,
settled, its count changes taken, and written to JSON again.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg

from ksd_common.collector import tune_collector
from ksd_common.db import drop_database
from ksd_common.settings import settings
from ksd_contracts.topics import AGREEMENT_EVENTS
from ksd_reporting import domain
from ksd_tools.audit.log import History, create_topics, delete_topics
from ksd_tools.audit.rebuild import rebuild
from ksd_tools.audit.synthetic import agreement_events
from ksd_tools.bench_audit import PEAK_OF_VERIFY, _cpu_seconds, _raw_consume, write_history


def fold_rate(events: int, per_agreement: int, batch: int) -> float:
    """Events folded per CPU second of this process."""
    history = list(agreement_events(events // per_agreement, per_agreement))
    stored: dict[str, str] = {}
    started = time.process_time()
    for first in range(0, len(history), batch):
        chunk = history[first:first + batch]
        before: dict[str, Any] = {e.subject: json.loads(stored[e.subject]) for e in chunk if e.subject in stored}
        drafts: dict[str, domain.Draft] = {}
        for event in chunk:
            drafts[event.subject] = domain.fold(drafts.get(event.subject) or domain.Draft(before.get(event.subject)),
                                                event)
        after = {s: domain.settle(d) for s, d in drafts.items()}
        total: domain.Changes = {}
        for s in after:
            domain.add_changes(total, before.get(s), after[s])
        domain.moved(total)
        stored |= {s: json.dumps(r) for s, r in after.items()}
    return len(history) / (time.process_time() - started)


async def verify_peak_mib(events: int) -> tuple[float, float]:
    """`ksd audit verify` over a synthetic history of `events`: the peak resident MiB of its largest
    process, and seconds."""
    history = History(prefix=f"bench-audit-scale-{uuid4().hex[:8]}.")
    await create_topics(history, [AGREEMENT_EVENTS])
    try:
        await write_history(history, events, 4)
        started = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PEAK_OF_VERIFY, "audit", "verify", "--prefix", history.prefix,
            "--topics", AGREEMENT_EVENTS.name, stdout=asyncio.subprocess.PIPE)
        out_text, _ = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError(out_text.decode())
        own, largest = out_text.decode().split()[-2:]
        return max(int(own), int(largest)) / 1024, time.perf_counter() - started
    finally:
        await delete_topics(history, [AGREEMENT_EVENTS])


async def scratch_history(events: int, per_agreement: int = 4) -> str:
    """A synthetic history of `events` (`per_agreement` an agreement) on a scratch topic; its prefix."""
    history = History(prefix=f"bench-audit-scale-{uuid4().hex[:8]}.")
    await create_topics(history, [AGREEMENT_EVENTS])
    await write_history(history, events, per_agreement)
    return history.prefix


def _cpu_of(pid: int) -> float:
    """utime + stime of a process, in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _backends_cpu(database: str, done: asyncio.Event) -> float:
    """CPU seconds of the PostgreSQL backends connected to `database` until `done`: each backend's
    latest reading, polled every 0.2 s."""
    seen: dict[int, float] = {}
    conn = await asyncpg.connect(settings().server_dsn())
    try:
        while not done.is_set():
            for row in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database):
                seen[row["pid"]] = max(seen.get(row["pid"], 0.0), _cpu_of(row["pid"]))
            for pid in seen:
                seen[pid] = max(seen[pid], _cpu_of(pid))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.2)
    finally:
        await conn.close()
    return sum(seen.values())


async def measure_rebuild(prefix: str, workers: int) -> dict[str, Any]:
    """One rebuild of the history at `prefix` into a fresh database (dropped afterwards)."""
    history = History(prefix=prefix)
    database = f"ksd_reporting_bench_{uuid4().hex[:8]}"
    name = f"{database}{settings().db_suffix}"
    done = asyncio.Event()
    backends = asyncio.create_task(_backends_cpu(name, done))
    takes_workers = "workers" in inspect.signature(rebuild).parameters
    cpu, started = _cpu_seconds(), time.perf_counter()
    try:
        rebuilt = await (rebuild(history, database, workers=workers) if takes_workers
                         else rebuild(history, database))
        seconds, process_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    finally:
        done.set()
        postgres_cpu = await backends
        await drop_database(name)
    return {"workers": workers if takes_workers else "-", "events": rebuilt.events, "digest": rebuilt.digest,
            "wall_per_s": rebuilt.events / seconds, "process_cpu_s": process_cpu, "postgres_cpu_s": postgres_cpu,
            "per_cpu_s": rebuilt.events / (process_cpu + postgres_cpu)}


async def rebuild_figures(prefix: str, workers: list[int]) -> None:
    count, seconds = await _raw_consume(History(prefix=prefix))  # the bench's own baseline
    raw = count / seconds
    print(f"raw consume: {count:,} events at {raw:,.0f} events/s")
    for n in workers:
        m = await measure_rebuild(prefix, n)
        print(f"rebuild, workers {m['workers']}: {m['events']:,} events, wall {m['wall_per_s']:,.0f}/s"
              f" ({m['wall_per_s'] / raw:.3f} of raw consume), CPU {m['process_cpu_s']:.1f} s Python"
              f" + {m['postgres_cpu_s']:.1f} s PostgreSQL = {m['per_cpu_s']:,.0f} events per CPU second,"
              f" digest {m['digest'][:16]}")


def main(argv: list[str]) -> None:
    tune_collector()  # as `ksd audit` runs
    if argv[:1] == ["fold"]:
        for per_agreement in (4, 12):
            for batch in (2_000, 10_000):
                rate = fold_rate(20_000, per_agreement, batch)
                print(f"{per_agreement} events an agreement, batches of {batch:,}: {rate:,.0f} events per CPU second")
    elif argv[:1] == ["verify"]:
        for events in (int(a) for a in argv[1:]):
            mib, seconds = asyncio.run(verify_peak_mib(events))
            print(f"{events:,} events: verify's peak {mib:.0f} MiB, {seconds:.0f} s")
    elif argv[:1] == ["history"]:
        print(asyncio.run(scratch_history(*map(int, argv[1:3]))))
    elif argv[:1] == ["rebuild"]:
        asyncio.run(rebuild_figures(argv[1], [int(a) for a in argv[2:]] or [1]))
    elif argv[:1] == ["drop"]:
        asyncio.run(delete_topics(History(prefix=argv[1]), [AGREEMENT_EVENTS]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
