"""Issue 19's scale figures for the audit, apart from `ksd bench`'s wall-clock rates (which a
loaded, shared machine distorts): reporting's fold per CPU second, and `ksd audit verify`'s own
peak memory at several history sizes. Results and method: bench/notes-audit-scale.md.

    .venv/bin/python bench/audit_scale.py fold               # fold rate, 4 and 12 events an agreement
    .venv/bin/python bench/audit_scale.py verify 20000 80000 # verify's peak (VmHWM) per history size

The fold runs as the rebuild's consumer does, without the database: batches of the history in
written order, each agreement's record read back from JSON (as from PostgreSQL's jsonb), folded,
settled, its count changes taken, and written to JSON again.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any
from uuid import uuid4

from ksd_contracts.topics import AGREEMENT_EVENTS
from ksd_reporting import domain
from ksd_reporting.handlers import _summed
from ksd_tools.audit.log import History, create_topics, delete_topics, producer, send_all
from ksd_tools.audit.synthetic import agreement_events
from ksd_tools.bench_audit import PEAK_OF_VERIFY


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
        _summed(domain.count_changes(before.get(s), after[s]) for s in after)
        stored |= {s: json.dumps(r) for s, r in after.items()}
    return len(history) / (time.process_time() - started)


async def verify_peak_mib(events: int) -> tuple[float, float]:
    """`ksd audit verify` over a synthetic history of `events`: its peak resident MiB and seconds."""
    history = History(prefix=f"bench-audit-scale-{uuid4().hex[:8]}.")
    await create_topics(history, [AGREEMENT_EVENTS])
    try:
        out = producer(history)
        await out.start()
        try:
            records = [(e.to_kafka(), None) for e in agreement_events(events // 4, 4)]
            for first in range(0, len(records), 10_000):
                await send_all(out, history.name(AGREEMENT_EVENTS), records[first:first + 10_000])
        finally:
            await out.stop()
        started = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PEAK_OF_VERIFY, "audit", "verify", "--prefix", history.prefix,
            "--topics", AGREEMENT_EVENTS.name, stdout=asyncio.subprocess.PIPE)
        out_text, _ = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError(out_text.decode())
        return int(out_text.decode().split()[-1]) / 1024, time.perf_counter() - started
    finally:
        await delete_topics(history, [AGREEMENT_EVENTS])


def main(argv: list[str]) -> None:
    if argv[:1] == ["fold"]:
        for per_agreement in (4, 12):
            for batch in (2_000, 10_000):
                rate = fold_rate(20_000, per_agreement, batch)
                print(f"{per_agreement} events an agreement, batches of {batch:,}: {rate:,.0f} events per CPU second")
    elif argv[:1] == ["verify"]:
        for events in (int(a) for a in argv[1:]):
            mib, seconds = asyncio.run(verify_peak_mib(events))
            print(f"{events:,} events: verify's peak {mib:.0f} MiB, {seconds:.0f} s")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
