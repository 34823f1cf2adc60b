"""Intake under load, driven by k6 (a native load generator, deploy/local/k6.sh): accepted
submissions/s and POST p50/p99 at the run's concurrency, and one POST's latency on an idle
platform (sequential), each beside the same server's `GET /healthz` with the same generator at the
same concurrency (the HTTP floor) and PostgreSQL's one transaction per row (what a naive intake
would do). A Python generator on the same two cores measured itself: `/healthz` p50 was 116 ms.

Then the batch path: `context.batches` batches of `context.batch_size` (500, intake's most) from
as many nodes, a few at a time, beside PostgreSQL's COPY (the fastest any write path could go);
the bench then waits until the agreement service has answered them, so their backlog does not
weigh on the next section. Both paths also give intake's CPU per accepted submission (the
process's user + system time over the run, from /proc): other load moves it less than the rates,
though it still moves it (read it beside the same run's `/healthz` CPU per request)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx

from ksd_intake.domain import MAX_BATCH_ITEMS
from ksd_tools.bench_limits import PG_COPY, PG_PER_ROW
from ksd_tools.benchkit import Context, caught_up, cpu_seconds, figure, listening_pid
from ksd_tools.simulate import proposals
from ksd_tools.simulate.plan import Step
from ksd_tools.simulate.runner import Tally, answered, batch_item

ORDER = 20
INTAKE_ACCEPTED = "intake accepted"
INTAKE_BATCHES = "intake accepted in batches"
INTAKE_CPU = "intake CPU per accepted submission (single POSTs)"
INTAKE_BATCH_CPU = "intake CPU per accepted submission (batches)"
SCRIPT = files("ksd_tools") / "k6" / "intake.js"
K6_INSTALLER = Path(__file__).resolve().parents[3] / "deploy" / "local" / "k6.sh"
SEQUENTIAL = 200
"""Requests of the idle-latency runs: one at a time, with a pause after each."""
PAUSE = 0.05
"""Seconds between sequential requests, so the relay has published before the next (idle)."""
ACCEPTED_LINE = re.compile(r"accepted (\S+) ([0-9a-f-]{36})")
BATCH_LINE = re.compile(r"batch \d+ (\S+) ([0-9a-f-]{36})")
BATCH_CONCURRENCY = 4
"""Batches in flight at once: a node's system sends its batches one after another; a few nodes at
a time is a deadline's shape without 64 x 500 submissions queued in one process."""


@dataclass(frozen=True)
class Run:
    """What k6 measured: requests/s, accepted submissions/s, latency p50/p99 (ms), the ids of the
    accepted submissions by Idempotency-Key (single POSTs) or of each batch's last one (batches),
    and the server's CPU seconds over the run (0 when its process is not ours to read)."""

    requests_per_second: float
    accepted_per_second: float
    p50: float
    p99: float
    accepted: dict[str, str]
    batch_ends: dict[str, str]
    count: int
    cpu: float = 0.0

    def cpu_ms_per(self) -> float:
        """The server's CPU milliseconds per accepted submission (per request, for /healthz)."""
        return 1000 * self.cpu / self.count if self.count else 0.0


def k6() -> str:
    """The pinned k6 binary, built once into .cache/k6 by the project's installer."""
    found = subprocess.run([str(K6_INSTALLER), "path"], check=True, capture_output=True, text=True)
    return found.stdout.strip().splitlines()[-1]


def _run_k6(url: str, target: str, requests: int, concurrency: int, load: list[dict[str, str]] | None = None,
            pause: float = 0.0) -> Run:
    pid = listening_pid(int(url.rsplit(":", 1)[1]))
    cpu_before = cpu_seconds(pid) if pid else 0.0
    with tempfile.TemporaryDirectory(prefix="ksd-k6-") as folder:
        summary, console, load_file = (Path(folder, name) for name in ("summary.json", "console.log", "load.json"))
        load_file.write_text(json.dumps(load or []))
        env = os.environ | {"KSD_TARGET": target, "KSD_URL": url, "KSD_LOAD": str(load_file),
                            "KSD_SUMMARY": str(summary), "KSD_PAUSE": str(pause), "K6_NO_USAGE_REPORT": "true"}
        subprocess.run([k6(), "run", "--quiet", "--no-color", "--log-format", "raw", "--console-output", str(console),
                        "--vus", str(min(concurrency, requests)), "--iterations", str(requests), str(SCRIPT)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        cpu = cpu_seconds(pid) - cpu_before if pid else 0.0
        metrics = json.loads(summary.read_text())["metrics"]
        seconds = json.loads(summary.read_text())["state"]["testRunDurationMs"] / 1000
        logged = console.read_text() if console.exists() else ""
    duration = metrics["http_req_duration"]["values"]
    requests_made = metrics["http_reqs"]["values"]["count"]
    count = requests_made if target == "healthz" else metrics.get("accepted", {}).get("values", {}).get("count", 0)
    return Run(requests_made / seconds, count / seconds, duration["med"], duration["p(99)"],
               dict(ACCEPTED_LINE.findall(logged)), dict(BATCH_LINE.findall(logged)), count, cpu)


async def drive(url: str, target: str, requests: int, concurrency: int, load: list[Step] | None = None,
                tokens: dict[str, str] | None = None, pause: float = 0.0) -> Run:
    """k6 against `url`: `requests` requests, `concurrency` at a time (the loop is not blocked)."""
    items = [{"token": (tokens or {})[s.node], "key": s.key, "body": json.dumps(s.body)} for s in load or []]
    return await asyncio.to_thread(_run_k6, url, target, requests, concurrency, items, pause)


def batch_of(step: Step, size: int) -> dict[str, Any]:
    """`size` proposals of `step`'s node in one batch body, each its own Idempotency-Key and its
    own agreement (its own id, and its title numbered), so none is a repeat of another."""
    data = step.body["data"]
    return {"submissions": [
        {"idempotency_key": f"{step.key}-b{i}", "type": step.body["type"],
         "data": data | {"agreement_id": str(uuid.uuid4()), "title": f"{data['title']} (paket {i + 1})"}}
        for i in range(size)]}


def node_batches(steps: list[Step], tokens: dict[str, str]) -> list[dict[str, str]]:
    """Each node's steps as one batch (of k6's `batch` target; more than intake takes at once, in
    several), as a node's system sends them at a deadline; the item's key is the node's."""
    by_node: dict[str, list[Step]] = {}
    for step in steps:
        by_node.setdefault(step.node, []).append(step)
    return [k6_batch(tokens[node], f"{node}-{start}",
                     {"submissions": [batch_item(s) for s in group[start:start + MAX_BATCH_ITEMS]]})
            for node, group in by_node.items() for start in range(0, len(group), MAX_BATCH_ITEMS)]


def k6_batch(token: str, key: str, body: dict[str, Any]) -> dict[str, str]:
    """One batch as k6's `batch` target takes it: whose token, a key naming it, the JSON body."""
    return {"token": token, "key": key, "body": json.dumps(body)}


async def drive_batches(url: str, items: list[dict[str, str]], concurrency: int = BATCH_CONCURRENCY) -> Run:
    """k6 posting the batches of `items` ({token, key, body}), `concurrency` at a time."""
    return await asyncio.to_thread(_run_k6, url, "batch", len(items), concurrency, items)


async def settled(url: str, tokens: dict[str, str], waiting: dict[str, str], timeout: float) -> None:
    """Wait until each of these submissions (id: its node; a batch's last) is answered (no longer
    `accepted`), within `timeout`: the agreement service is then through the batches' backlog."""
    deadline = time.monotonic() + timeout
    waiting = dict(waiting)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while waiting and time.monotonic() < deadline:
            for id, node in list(waiting.items()):
                answer = await client.get(f"/v1/submissions/{id}", headers={"Authorization": f"Bearer {tokens[node]}"})
                if answer.status_code == 200 and answer.json()["status"] != "accepted":
                    del waiting[id]
            if waiting:
                await asyncio.sleep(1)


async def figures(context: Context) -> dict[str, Any]:
    url = context.urls["intake"]
    sequential = min(context.submissions, SEQUENTIAL)
    load = proposals(context.submissions + sequential, context.seed)
    tokens = await context.node_tokens(sorted({s.node for s in load}))
    burst, idle = load[:context.submissions], load[context.submissions:]
    # The idle runs first: after the burst intake has answered every submission, but reporting and
    # mapping are still working through its events on the same two cores (13.5 ms p50 measured
    # there on 29 Nov against 7.8 ms on a platform at rest).
    idle_floor = await drive(url, "healthz", len(idle), 1, pause=PAUSE)
    one = await drive(url, "submit", len(idle), 1, idle, tokens, pause=PAUSE)
    floor = await drive(url, "healthz", len(burst), context.concurrency)
    started = time.perf_counter()
    loaded = await drive(url, "submit", len(burst), context.concurrency, burst, tokens)
    tally = Tally(accepted=[(s, loaded.accepted[s.key]) for s in burst if s.key in loaded.accepted])
    final = await answered(url, tokens, tally, timeout=600)
    applied = final["applied"] / (time.perf_counter() - started)
    # The agreement, reporting and mapping services are still working through the burst's events;
    # the batches measured beside that tail varied 1,862-2,805/s at the same CPU per submission.
    await caught_up()
    seeds = proposals(context.batches, context.seed + 1)
    seed_tokens = await context.node_tokens(sorted({s.node for s in seeds}))
    batched = await drive_batches(url, [k6_batch(seed_tokens[s.node], s.key, batch_of(s, context.batch_size))
                                        for s in seeds])
    node_of = {s.key: s.node for s in seeds}
    await settled(url, seed_tokens, {id: node_of[key] for key, id in batched.batch_ends.items()}, timeout=600)
    return {
        INTAKE_ACCEPTED: figure(loaded.accepted_per_second, "submissions/s", context.measured.get(PG_PER_ROW),
                                PG_PER_ROW),
        "intake POST p50": figure(loaded.p50, "ms", floor.p50, "GET /healthz p50 (k6)"),
        "intake POST p99": figure(loaded.p99, "ms", floor.p99, "GET /healthz p99 (k6)"),
        "GET /healthz (k6)": figure(floor.requests_per_second, "requests/s", loaded.accepted_per_second,
                                    INTAKE_ACCEPTED),
        "intake POST p50, idle (sequential)": figure(one.p50, "ms", idle_floor.p50, "GET /healthz p50, sequential"),
        "applied (first POST to last status)": figure(applied, "submissions/s", loaded.accepted_per_second,
                                                      INTAKE_ACCEPTED),
        INTAKE_BATCHES: figure(batched.accepted_per_second, "submissions/s", context.measured.get(PG_COPY), PG_COPY),
        INTAKE_CPU: figure(loaded.cpu_ms_per(), "CPU ms", floor.cpu_ms_per(), "GET /healthz CPU ms per request (k6)"),
        INTAKE_BATCH_CPU: figure(batched.cpu_ms_per(), "CPU ms", loaded.cpu_ms_per(), INTAKE_CPU),
    }
