"""A long audit command's work on several processes (rebuild, replay, verify): each process takes a
share, reports what it has done to the parent's progress bar, and may tell the others to stop."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import TypeVar

from ksd_tools.audit.log import Progress, Span, total

WORKER_EVENTS = 20_000
"""By default a command starts no more processes than one per this many events: a process's start
(its Kafka login, its connections, for a rebuild reporting's first queries) costs a fraction of a
second of CPU, which a small history does not repay."""

WORKER_START = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
"""How a process starts: forked, it has the command's code already imported (spawned, it imports it
again: 2.6 s of CPU a process for reporting's, as much as folding 10,000 events). The fork happens
while no Kafka client is open; the parent's open database pool and event loop are copied but never
used (a process makes its own loop and connections, and ends without finalizing what it inherited)."""

Share = TypeVar("Share")
Result = TypeVar("Result")

_done: Synchronized[int] | None = None
"""In a process: the count of records done by every process, which the parent's progress bar shows."""
_stop: Event | None = None
"""In a process: set by the first that has found a reason for all to stop (verify's first finding)."""


def processes_for(spans: Span, asked: int | None) -> int:
    """`asked`, or by default the machine's cores but no more than one per `WORKER_EVENTS` events."""
    if asked is not None:
        return max(1, asked)
    return max(1, min(os.cpu_count() or 1, total(spans) // WORKER_EVENTS))


def share(key: bytes | None, of: int) -> int:
    """Which of `of` shares takes the records of this key (an agreement's or a region's id): by the
    key's CRC-32, so all of a subject's records go to one share, in the order read."""
    return 0 if of == 1 else zlib.crc32(key or b"") % of


def owns(key: bytes | None, index: int, of: int) -> bool:
    """Whether share `index` of `of` takes the records of this key (`share`)."""
    return share(key, of) == index


def _joined(done: Synchronized[int], stop: Event) -> None:
    global _done, _stop
    _done, _stop = done, stop


def advanced(records: int) -> None:
    """In a process: `records` more are done."""
    assert _done is not None
    with _done.get_lock():
        _done.value += records


def stop_all() -> None:
    """In a process: tell every process to stop."""
    assert _stop is not None
    _stop.set()


def stopping() -> bool:
    """In a process: whether one of them said to stop."""
    return _stop is not None and _stop.is_set()


async def on_processes(work: Callable[[Share], Result], shares: Sequence[Share], progress: Progress) -> list[Result]:
    """`work(share)` for each share, each on a process of its own (`WORKER_START`), the progress bar
    advancing as they report (`advanced`); their results in the order of `shares`."""
    context = multiprocessing.get_context(WORKER_START)
    done, stop = context.Value("q", 0), context.Event()
    with ProcessPoolExecutor(len(shares), mp_context=context, initializer=_joined, initargs=(done, stop)) as pool:
        loop = asyncio.get_running_loop()
        parts = [loop.run_in_executor(pool, work, share) for share in shares]
        pending = set(parts)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=0.2)
            progress.advance(done.value - progress.done)
        return [part.result() for part in parts]
