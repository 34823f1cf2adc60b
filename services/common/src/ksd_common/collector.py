"""Python's cyclic garbage collector, tuned once for every long-running process of the platform:
the services (`service.serve`) and the `ksd` command (`ksd_tools.cli`), whose audit commands fold
millions of events. Nothing heavy is imported here, so the command line can call it cheaply."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_COLLECTION_THRESHOLD = 50_000
"""Allocations (less deallocations) between two collections of the youngest generation: Python's
700 made a batch of 500 submissions run the collector over a thousand times, each pass and the
older generations' after it walking the batch's live events and states again (the agreement's
consumer path: 35% of its CPU with the collector off, bench/notes-agreement.md). A few MB more
garbage at most between passes."""


def tune_collector() -> None:
    """Keep the collector off what a process keeps for its life (modules, schemas, the app: frozen
    out of every later pass) and let the youngest generation grow to a batch's worth of objects.
    Called once everything is imported and built; the agreement bench calls it as the service does.
    A rebuild's worker holds up to 200,000 records while it folds them: with Python's thresholds the
    oldest generation was walked again and again over them, a third of its CPU
    (bench/notes-audit-scale.md, seventh pass)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for a while (and back on after, if it was on): for a rebuild's feed, whose
    records and read models are trees with no cycles, held in runs of up to 200,000 while they are
    folded, so every pass walks them for nothing. A million-event rebuild on two workers: 56.8 s
    and 53.8 s without, the same peak memory (670 MB a worker): what cyclic garbage aiokafka and
    asyncpg leave is small (bench/notes-audit-scale.md, eighth pass)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
