"""End to end, from a node's HTTP POST to the national view: sustained submissions/s until visible
in reporting, freshness at a fixed background rate, and the deadline burst (every node at once,
each sending its submissions in one batch as a node's own system does at a deadline). The
sustained load and the burst are sent by k6, as intake's own figures are; the light background by
the Python simulator's sender, which keeps a rate.

"Visible" is read from reporting's national `GET /v1/summary`: its `party_reports`, the party
regions' reports of agreements the directorate sees, rise by one for each bench proposal, whether
it opens a new agreement or joins the other side's (a proposal can match an agreement already in
the platform by its reconciliation key, so the agreement total would fall short). Freshness pairs
the k-th accepted submission with the moment the count first reached base+k; at a low fixed rate
submissions apply in the order they were accepted, so the pairing is close.

The count is polled every 50 ms for freshness and every 250 ms while the sustained load and the
burst go on: each read of the national summary costs reporting and PostgreSQL ~10-16 ms of CPU, so
twenty a second took a third of a core from the platform being measured (29 November); a quarter
of a second is within 3% of the shortest run it times.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from ksd_contracts.regions import autonomous_codes
from ksd_tools.bench_intake import INTAKE_ACCEPTED, Run, drive, drive_batches, node_batches
from ksd_tools.benchkit import Context, caught_up, figure, percentile
from ksd_tools.simulate import Step, proposals
from ksd_tools.simulate.runner import Tally, retrying, send

ORDER = 30
T = TypeVar("T")
FRESH_POLL_SECONDS = 0.05
LOAD_POLL_SECONDS = 0.25
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

    async def watch(self, base: int, timeout: float, poll: float) -> float:
        """Poll every `poll` seconds until the count is base + target; the time it got there (perf_counter)."""
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
            await asyncio.sleep(poll)


async def _until_visible(national: National, expected: int, sending: Callable[[], Awaitable[T]],
                         accepted: Callable[[T], int], poll: float = LOAD_POLL_SECONDS) -> tuple[float, T]:
    """Run `sending` while watching the national count of reports, until as many new reports show as
    intake accepted (`accepted` of what `sending` returns; `expected` until it is known): the
    seconds from the start of sending, and what it returned. It begins once every service has read
    everything before it (`caught_up`): the tail of the section before (intake's, whose figure ends
    with the agreement service's answers, not with reporting's count) raised the count during the
    sustained load and its own tail during the light one, whose freshness then came out negative
    (-9.5 s for the p50 in one run of 29 November)."""
    await caught_up()
    base = await national.reports()
    national.reached.clear()
    national.target = expected
    started = time.perf_counter()

    async def sent() -> T:
        answer = await sending()
        national.target = accepted(answer)  # only what intake accepted can become visible
        return answer

    answer, reached = await asyncio.gather(sent(), national.watch(base, timeout=120 + expected / 5, poll=poll))
    return reached - started, answer


async def _sustained(context: Context, national: National, load: list[Step]) -> float:
    """Single POSTs at the run's concurrency, sent by k6 (intake's own figure's generator: a Python
    sender on the same two cores took a core of its own), until all are visible nationally: the
    accepted per second from the first POST until the last is counted."""
    tokens = await context.node_tokens(sorted({s.node for s in load}))
    seconds, sent = await _until_visible(national, len(load), lambda: drive(
        context.urls["intake"], "submit", len(load), context.concurrency, load, tokens), lambda run: run.count)
    return sent.count / seconds


async def _background(context: Context, national: National, load: list[Step]) -> Tally:
    """`load` at the fixed freshness rate, a few at a time (Python's sender keeps the rate: light at it)."""
    tokens = await context.node_tokens(sorted({s.node for s in load}))
    _, tally = await _until_visible(national, len(load), lambda: send(
        load, context.urls["intake"], tokens, 4, context.fresh_rate), lambda sent: len(sent.accepted),
        poll=FRESH_POLL_SECONDS)
    return tally


async def _burst(context: Context, national: National, burst: list[Step]) -> tuple[float, Run]:
    """Every node's submissions in one batch, all nodes at once (k6, one connection each), until all
    are visible nationally: seconds from the first POST, and what k6 measured of the POSTs."""
    items = node_batches(burst, await context.node_tokens(sorted({s.node for s in burst})))
    return await _until_visible(national, len(burst), lambda: drive_batches(
        context.urls["intake"], items, len(items)), lambda run: run.count)


def burst_load(context: Context) -> list[Step]:
    """`burst_per_node` new proposals from each node (all 546, or the first `burst_nodes`)."""
    nodes = set(sorted(autonomous_codes())[: context.burst_nodes])
    load = proposals(len(autonomous_codes()) * context.burst_per_node, context.seed + 3)
    return [s for s in load if s.node in nodes]


async def figures(context: Context) -> dict[str, Any]:
    token = await context.token("directorate")
    async with httpx.AsyncClient(base_url=context.urls["reporting"], timeout=30) as client:
        national = National(client, token)
        sustained = await _sustained(context, national, proposals(context.submissions, context.seed + 1))

        count = max(1, int(context.fresh_rate * context.fresh_seconds))
        background = await _background(context, national, proposals(count, context.seed + 2))
        freshness = [national.reached[k + 1] - at for k, at in enumerate(sorted(background.accepted_at))
                     if k + 1 in national.reached]

        burst = burst_load(context)
        nodes = len({s.node for s in burst})
        burst_seconds, burst_run = await _burst(context, national, burst)

    return {
        END_TO_END: figure(sustained, "submissions/s", context.measured.get(INTAKE_ACCEPTED), INTAKE_ACCEPTED),
        f"freshness p50 at {context.fresh_rate:g}/s": figure(
            percentile(freshness, 0.5) * 1000, "ms", context.measured.get("intake POST p50"), "intake POST p50"),
        f"freshness p99 at {context.fresh_rate:g}/s": figure(
            percentile(freshness, 0.99) * 1000, "ms", context.measured.get("intake POST p99"), "intake POST p99"),
        f"deadline burst {nodes} nodes x {context.burst_per_node}, each node one batch: all visible": figure(
            burst_seconds, "s", burst_run.count / sustained, "same count at the sustained single-POST end-to-end rate"),
        "deadline burst batch POST p99": figure(
            burst_run.p99, "ms", context.measured.get("intake POST p99"), "intake single POST p99"),
    }
