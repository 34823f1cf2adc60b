"""Intake under load, driven by k6 (a native load generator, deploy/local/k6.sh): accepted
submissions/s and POST p50/p99 at the run's concurrency, and one POST's latency on an idle
platform (sequential), each beside the same server's `GET /healthz` with the same generator at the
same concurrency (the HTTP floor) and PostgreSQL's one transaction per row (what a naive intake
would do). A Python generator on the same two cores measured itself: `/healthz` p50 was 116 ms."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from ksd_tools.bench_limits import PG_PER_ROW
from ksd_tools.benchkit import Context, figure
from ksd_tools.simulate import proposals
from ksd_tools.simulate.plan import Step
from ksd_tools.simulate.runner import Tally, answered

ORDER = 20
INTAKE_ACCEPTED = "intake accepted"
SCRIPT = files("ksd_tools") / "k6" / "intake.js"
K6_INSTALLER = Path(__file__).resolve().parents[3] / "deploy" / "local" / "k6.sh"
SEQUENTIAL = 200
"""Requests of the idle-latency runs: one at a time, with a pause after each."""
PAUSE = 0.05
"""Seconds between sequential requests, so the relay has published before the next (idle)."""
ACCEPTED_LINE = re.compile(r"accepted (\S+) ([0-9a-f-]{36})")


@dataclass(frozen=True)
class Run:
    """What k6 measured: requests/s, accepted submissions/s, latency p50/p99 (ms), and the ids
    of the accepted submissions by Idempotency-Key."""

    requests_per_second: float
    accepted_per_second: float
    p50: float
    p99: float
    accepted: dict[str, str]


def k6() -> str:
    """The pinned k6 binary, built once into .cache/k6 by the project's installer."""
    found = subprocess.run([str(K6_INSTALLER), "path"], check=True, capture_output=True, text=True)
    return found.stdout.strip().splitlines()[-1]


def _run_k6(url: str, target: str, requests: int, concurrency: int, load: list[dict[str, str]] | None = None,
            pause: float = 0.0) -> Run:
    with tempfile.TemporaryDirectory(prefix="ksd-k6-") as folder:
        summary, console, load_file = (Path(folder, name) for name in ("summary.json", "console.log", "load.json"))
        load_file.write_text(json.dumps(load or []))
        env = os.environ | {"KSD_TARGET": target, "KSD_URL": url, "KSD_LOAD": str(load_file),
                            "KSD_SUMMARY": str(summary), "KSD_PAUSE": str(pause), "K6_NO_USAGE_REPORT": "true"}
        subprocess.run([k6(), "run", "--quiet", "--no-color", "--log-format", "raw", "--console-output", str(console),
                        "--vus", str(min(concurrency, requests)), "--iterations", str(requests), str(SCRIPT)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        metrics = json.loads(summary.read_text())["metrics"]
        seconds = json.loads(summary.read_text())["state"]["testRunDurationMs"] / 1000
        accepted = dict(ACCEPTED_LINE.findall(console.read_text())) if console.exists() else {}
    duration = metrics["http_req_duration"]["values"]
    return Run(metrics["http_reqs"]["values"]["count"] / seconds, len(accepted) / seconds,
               duration["med"], duration["p(99)"], accepted)


async def drive(url: str, target: str, requests: int, concurrency: int, load: list[Step] | None = None,
                tokens: dict[str, str] | None = None, pause: float = 0.0) -> Run:
    """k6 against `url`: `requests` requests, `concurrency` at a time (the loop is not blocked)."""
    items = [{"token": (tokens or {})[s.node], "key": s.key, "body": json.dumps(s.body)} for s in load or []]
    return await asyncio.to_thread(_run_k6, url, target, requests, concurrency, items, pause)


async def figures(context: Context) -> dict[str, Any]:
    url = context.urls["intake"]
    sequential = min(context.submissions, SEQUENTIAL)
    load = proposals(context.submissions + sequential, context.seed)
    tokens = await context.node_tokens(sorted({s.node for s in load}))
    burst, idle = load[:context.submissions], load[context.submissions:]
    floor = await drive(url, "healthz", len(burst), context.concurrency)
    started = time.perf_counter()
    loaded = await drive(url, "submit", len(burst), context.concurrency, burst, tokens)
    tally = Tally(accepted=[(s, loaded.accepted[s.key]) for s in burst if s.key in loaded.accepted])
    final = await answered(url, tokens, tally, timeout=600)
    applied = final["applied"] / (time.perf_counter() - started)
    idle_floor = await drive(url, "healthz", len(idle), 1, pause=PAUSE)
    one = await drive(url, "submit", len(idle), 1, idle, tokens, pause=PAUSE)
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
    }
