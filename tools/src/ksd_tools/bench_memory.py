"""Resident memory of each service process (VmRSS from /proc, found by its listening port), after
the load of every earlier section, beside the same process's memory when the bench started."""

from __future__ import annotations

from typing import Any

from ksd_tools.benchkit import Context, figure, rss_by_service

ORDER = 90
MIB = 2**20


async def figures(context: Context) -> dict[str, Any]:
    now = rss_by_service(context.urls)
    return {f"{service} RSS": figure(rss / MIB, "MiB", context.rss_at_start.get(service, 0) / MIB or None,
                                     "at bench start") for service, rss in now.items()}
