"""Audit throughput: verify and rebuild on a synthetic chained history, beside the raw aiokafka
consume rate of the same topic in the same run, with peak memory (for `ksd bench`).

`audit_figures(events=1_000_000)` is the scale of the issue; the default is small for a quick run.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from ksd_common.db import drop_database
from ksd_common.settings import settings
from ksd_contracts.topics import AGREEMENT_EVENTS
from ksd_tools.audit.log import History, create_topics, delete_topics, producer, read, reader, send_all, span
from ksd_tools.audit.rebuild import rebuild, replay
from ksd_tools.audit.synthetic import agreement_events
from ksd_tools.audit.verify import verify
from ksd_tools.benchkit import Context, figure


def _cpu_seconds() -> float:
    """CPU of this process and of its children that ended: a rebuild's workers are its children."""
    used = os.times()
    return used.user + used.system + used.children_user + used.children_system


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PEAK_OF_VERIFY = """
import resource, sys
from ksd_tools.cli import main
code = main(sys.argv[1:])
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")),
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""
"""`ksd audit verify`, then its own peak resident memory in KiB and its largest process's (verify
on several processes; 0 when alone): VmHWM counts only what the process used after exec, where
rusage would count the bench's pages the fork copied; its processes are forks of it."""


async def _verify_alone_peak_mib(history: History) -> tuple[float, float]:
    """Peak memory of `ksd audit verify` run as an auditor runs it, in its own process, and of its
    largest process: the bench's own peak mixes in writing the history and the rebuild."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PEAK_OF_VERIFY, "audit", "verify", "--prefix", history.prefix,
        "--topics", AGREEMENT_EVENTS.name, stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError("ksd audit verify failed on the synthetic history")
    own, largest = out.decode().split()[-2:]
    return int(own) / 1024, int(largest) / 1024


async def _raw_consume(history: History) -> tuple[int, float]:
    consumer = reader(history)
    await consumer.start()
    started, count = time.perf_counter(), 0
    try:
        async for batch in read(consumer, await span(consumer, history, [AGREEMENT_EVENTS])):
            count += len(batch)
    finally:
        await consumer.stop()
    return count, time.perf_counter() - started


async def write_history(history: History, events: int, per_agreement: int = 4) -> None:
    """`events` synthetic chained agreement events (`per_agreement` an agreement) onto the history's
    scratch topic, made already, in chunks of 10,000."""
    out = producer(history)
    await out.start()
    try:
        chunk: list[Any] = []
        for event in agreement_events(max(events // per_agreement, 1), per_agreement):
            chunk.append((event.to_kafka(), None))
            if len(chunk) == 10_000:
                await send_all(out, history.name(AGREEMENT_EVENTS), chunk)
                chunk = []
        await send_all(out, history.name(AGREEMENT_EVENTS), chunk)
    finally:
        await out.stop()


WRITE_HISTORY = """
import asyncio, sys
from ksd_tools.audit.log import History
from ksd_tools.bench_audit import write_history
asyncio.run(write_history(History(prefix=sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
"""


async def _written_apart(history: History, events: int, per_agreement: int) -> None:
    """`write_history` in a process of its own, as the history an auditor reads was written by the
    platform, not by the `ksd` process that reads it: the process that made a million events read
    them at 63,000-77,000 events/s where a fresh one read 104,000 (its heap left scattered), and a
    rebuild's workers are forks of the bench's process."""
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITE_HISTORY, history.prefix, str(events),
                                                 str(per_agreement))
    if await child.wait() != 0:
        raise RuntimeError("the synthetic history could not be written")


async def audit_figures(events: int = 20_000, per_agreement: int = 4) -> dict[str, Any]:
    """Write `events` chained agreement events to a scratch topic, then time raw consume, verify,
    rebuild and the nation's replay over it; the scratch topic and database are removed afterwards."""
    history = History(prefix=f"bench-audit-{uuid4().hex[:8]}.")
    database = f"ksd_reporting_bench_{uuid4().hex[:8]}"
    await create_topics(history, [AGREEMENT_EVENTS])
    try:
        await _written_apart(history, events, per_agreement)
        consumed, raw_seconds = await _raw_consume(history)
        verified = await verify(history, [AGREEMENT_EVENTS])
        verify_peak = _peak_mib()
        verify_alone, verify_process = await _verify_alone_peak_mib(history)
        cpu = _cpu_seconds()
        rebuilt = await rebuild(history, database)
        rebuild_cpu = _cpu_seconds() - cpu
        started = time.perf_counter()
        nation = await replay(history, datetime.now(UTC), None)
        replay_seconds = time.perf_counter() - started
        return {
            "events": consumed,
            "raw_consume_per_s": round(consumed / raw_seconds),
            "verify_per_s": round(consumed / verified.seconds),
            "verify_clean": verified.clean,
            "rebuild_per_s": round(rebuilt.events / rebuilt.seconds),
            "rebuild_per_cpu_s": round(rebuilt.events / rebuild_cpu),
            "replay_nation_per_s": round(nation["events"] / replay_seconds),
            "verify_alone_peak_rss_mib": round(verify_alone),
            "verify_process_peak_rss_mib": round(verify_process),
            "peak_rss_mib_after_verify": round(verify_peak),
            "peak_rss_mib_after_rebuild": round(_peak_mib()),
        }
    finally:
        await delete_topics(history, [AGREEMENT_EVENTS])
        await drop_database(f"{database}{settings().db_suffix}")


ORDER = 60
SCALES = True


async def figures(context: Context) -> dict[str, Any]:
    """Verify, rebuild and the nation's replay over `context.events` events, beside the raw consume
    of the same topic."""
    measured = await audit_figures(events=context.events)
    if not measured["verify_clean"]:
        raise RuntimeError("the synthetic history did not verify clean: its figures would mean nothing")
    raw = measured["raw_consume_per_s"]
    return {
        "audit history": figure(measured["events"], "events"),
        "raw consume of the history": figure(raw, "events/s", raw, "the limit"),
        "audit verify (schema, chain, sequence, source)": figure(
            measured["verify_per_s"], "events/s", raw, "raw consume"),
        "audit rebuild (replay into fresh read models)": figure(
            measured["rebuild_per_s"], "events/s", raw, "raw consume"),
        "audit rebuild per CPU second of the bench process and its workers (PostgreSQL's work not counted)": figure(
            measured["rebuild_per_cpu_s"], "events/s"),
        "audit replay of the nation (read models rebuilt to now, then the national summary)": figure(
            measured["replay_nation_per_s"], "events/s", raw, "raw consume"),
        "audit peak memory of the process": figure(measured["peak_rss_mib_after_rebuild"], "MiB"),
        "audit verify's own peak memory (ksd audit verify in its own process)": figure(
            measured["verify_alone_peak_rss_mib"], "MiB"),
        "audit verify's largest process's peak memory (verify on the machine's cores)": figure(
            measured["verify_process_peak_rss_mib"], "MiB"),
    }
