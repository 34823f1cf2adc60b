"""End to end, from a node's HTTP POST to the national view: sustained submissions/s until visible
in reporting, freshness at a fixed background rate, and the deadline burst (every node at once,
each sending its submissions in one batch as a node's own system does at a deadline).

"Visible" is read from reporting's national `GET /v1/summary`: its `party_reports`, the party
regions' reports of agreements the directorate sees, rise by one for each bench proposal, whether
it opens a new agreement or joins the other side's (a proposal can match an agreement already in
the platform by its reconciliation key, so the agreement total would fall short). Freshness pairs
the k-th accepted submission with the moment the count first reached base+k; at a low fixed rate
submissions apply in the order they were accepted, so the pairing is close.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from ksd_contracts.regions import autonomous_codes
from ksd_tools.bench_intake import INTAKE_ACCEPTED
from ksd_tools.benchkit import Context, figure, percentile
from ksd_tools.simulate import Step, proposals
from ksd_tools.simulate.runner import Tally, retrying, send

ORDER = 30
POLL_SECONDS = 0.05
END_TO_END = "end to end (POST to visible nationally)"


class National:
    """Reporting's national count of party reports, polled; remembers when it first reached each."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}
        self.reached: dict[int, float] = {}
        self.target = 0
        """How many new reports to wait for: lowered to those accepted once sending ends."""

    async def reports(self) -> int:
        response = await retrying(self.client.get, "/v1/summary", headers=self.headers)
        response.raise_for_status()
        reports: int = response.json()["party_reports"]
        return reports

    async def watch(self, base: int, timeout: float) -> float:
        """Poll until the count is base + target; the time it got there (perf_counter)."""
        deadline, last = time.perf_counter() + timeout, 0
        while True:
            seen, now = await self.reports() - base, time.perf_counter()
            for k in range(last + 1, min(seen, self.target) + 1):
                self.reached[k] = now
            last = max(last, min(seen, self.target))
            if last >= self.target:
                return now
            if now > deadline:
                raise TimeoutError(f"reporting showed {last} of {self.target} new reports after {timeout:.0f} s")
            await asyncio.sleep(POLL_SECONDS)


async def _send_and_watch(context: Context, national: National, load: list[Step], concurrency: int,
                          rate: float | None = None, *, batched: bool = False) -> tuple[float, Tally]:
    """Send `load`, watching the national count of reports; seconds from the first POST until all visible."""
    tokens = await context.node_tokens(sorted({s.node for s in load}))
    base = await national.reports()
    national.reached.clear()
    national.target = len(load)
    tally = Tally()

    async def sending() -> None:
        await send(load, context.urls["intake"], tokens, concurrency, rate, tally, batched=batched)
        national.target = len(tally.accepted)  # only what intake accepted can become visible

    _, reached = await asyncio.gather(sending(), national.watch(base, timeout=120 + len(load) / 5))
    return reached - (tally.first_sent or reached), tally


def burst_load(context: Context) -> list[Step]:
    """`burst_per_node` new proposals from each node (all 546, or the first `burst_nodes`)."""
    nodes = sorted(autonomous_codes())[: context.burst_nodes]
    load = proposals(len(autonomous_codes()) * context.burst_per_node, context.seed + 3)
    return [s for s in load if s.node in set(nodes)]


async def figures(context: Context) -> dict[str, Any]:
    token = await context.token("directorate")
    async with httpx.AsyncClient(base_url=context.urls["reporting"], timeout=30) as client:
        national = National(client, token)
        load = proposals(context.submissions, context.seed + 1)
        seconds, sent = await _send_and_watch(context, national, load, context.concurrency)
        sustained = len(sent.accepted) / seconds

        count = max(1, int(context.fresh_rate * context.fresh_seconds))
        _, background = await _send_and_watch(context, national, proposals(count, context.seed + 2), 4,
                                               context.fresh_rate)
        freshness = [national.reached[k + 1] - at for k, at in enumerate(sorted(background.accepted_at))
                     if k + 1 in national.reached]

        burst = burst_load(context)
        nodes = len({s.node for s in burst})
        burst_seconds, burst_tally = await _send_and_watch(context, national, burst, nodes, batched=True)

    return {
        END_TO_END: figure(sustained, "submissions/s", context.measured.get(INTAKE_ACCEPTED), INTAKE_ACCEPTED),
        f"freshness p50 at {context.fresh_rate:g}/s": figure(
            percentile(freshness, 0.5) * 1000, "ms", context.measured.get("intake POST p50"), "intake POST p50"),
        f"freshness p99 at {context.fresh_rate:g}/s": figure(
            percentile(freshness, 0.99) * 1000, "ms", context.measured.get("intake POST p99"), "intake POST p99"),
        f"deadline burst {nodes} nodes x {context.burst_per_node}, each node one batch: all visible": figure(
            burst_seconds, "s", len(burst_tally.accepted) / sustained,
            "same count at the sustained single-POST end-to-end rate"),
        "deadline burst batch POST p99": figure(
            percentile(burst_tally.latencies, 0.99) * 1000, "ms", context.measured.get("intake POST p99"),
            "intake single POST p99"),
    }
