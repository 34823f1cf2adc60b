"""What every bench section shares: the run's context, the figure shape, the section registry, the
table and the results files.

A section is a module `ksd_tools.bench_<name>` with `async def figures(context: Context) ->
dict[str, Any]`: each key a figure's name, each value a number (no baseline) or `figure(...)`.
Optional module attributes: `ORDER` (int, where its rows go; default 50) and `SCALES = True` when
its figures depend on `context.events`, so `ksd bench --curve` runs it at each scale. Sections see
what ran before them in `context.measured`, so a figure can take an earlier one as its baseline.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import pkgutil
import platform
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

import ksd_tools
from ksd_common.settings import settings
from ksd_common.topics import consumer_group
from ksd_contracts.topics import HISTORY
from ksd_tools.admin import issue_tokens, wait_until_known
from ksd_tools.simulate.runner import node_tokens

SERVICES = ("intake", "agreement", "mapping", "reporting")
Section = Callable[["Context"], Awaitable[dict[str, Any]]]


async def caught_up(services: Sequence[str] = SERVICES, group_prefix: str | None = None,
                    timeout: float = 900) -> float:
    """Wait until the consumer groups of `services` have read everything on their topics (of the
    registry's readers, those with a group: reporting reads the checkpoints without one), so that a
    figure measured next does not share the cores with the tail of the load before it, nor with a
    fresh platform's first reading of its history; the seconds waited."""
    prefix = group_prefix or settings().group_prefix
    started = time.perf_counter()
    consumer = AIOKafkaConsumer(**settings().kafka_options())
    admin = AIOKafkaAdminClient(**settings().kafka_options())
    await consumer.start()
    await admin.start()
    try:
        existing = {listed[0] for listed in await admin.list_consumer_groups()}
        groups = {group: topic for topic in HISTORY for reader in topic.readers
                  if reader in services and (group := consumer_group(prefix, reader, topic)) in existing}
        while True:
            lag = 0
            for group, topic in groups.items():
                partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
                ends = await consumer.end_offsets(partitions)
                done = await admin.list_consumer_group_offsets(group, partitions=partitions)
                lag += sum(end - (done[p].offset if p in done and done[p].offset >= 0 else 0)
                           for p, end in ends.items())
            if lag == 0:
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{', '.join(services)} still have {lag} records to read after {timeout} s")
            await asyncio.sleep(1)
    finally:
        await admin.close()
        await consumer.stop()


def figure(value: float, unit: str, baseline: float | None = None, baseline_name: str = "-") -> dict[str, Any]:
    """A figure beside its baseline from the same run (`baseline_name` says what the baseline is)."""
    return {"value": value, "unit": unit, "baseline": baseline, "baseline_name": baseline_name}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else 0.0


@dataclass
class Context:
    """The run's scale, where the services are, and what was measured so far."""

    urls: dict[str, str] = field(default_factory=lambda: {
        s: f"http://127.0.0.1:{settings().port_of(s)}" for s in SERVICES})
    events: int = 1_000_000
    """The history size of the figures that grow with it (audit, reporting's queries)."""
    submissions: int = 2000
    concurrency: int = 64
    batches: int = 20
    """Batches of intake's batch figure: kept modest, since the agreement service decides every one
    of their submissions afterwards (the bench waits for that before the next section)."""
    batch_size: int = 500
    fresh_rate: float = 5.0
    fresh_seconds: float = 20.0
    burst_per_node: int = 5
    burst_nodes: int | None = None
    """All 546 nodes burst unless a tiny run (the test) takes fewer."""
    seed: int = field(default_factory=lambda: int(time.time()))
    measured: dict[str, float] = field(default_factory=dict)
    rss_at_start: dict[str, int] = field(default_factory=dict)
    _tokens: dict[tuple[str, str | None], str] = field(default_factory=dict)
    _node_tokens: dict[str, str] = field(default_factory=dict)

    async def node_tokens(self, needed: list[str]) -> dict[str, str]:
        """A token for each node in `needed`, once intake knows every one: the figures measure
        submissions, not how fast a new credential travels."""
        if missing := sorted(set(needed) - set(self._node_tokens)):
            self._node_tokens.update(await node_tokens(self.urls["intake"], missing))
        return {n: self._node_tokens[n] for n in needed}

    async def token(self, role: str, region: str | None = None) -> str:
        """A token for (role, region), once intake and reporting both know it."""
        if (role, region) not in self._tokens:
            [token] = await issue_tokens([(role, region, "bench")])
            await wait_until_known(f"{self.urls['intake']}/v1/submissions/{uuid.UUID(int=0)}", token, timeout=180)
            await wait_until_known(f"{self.urls['reporting']}/v1/summary", token, timeout=180)
            self._tokens[(role, region)] = token
        return self._tokens[(role, region)]


# --- memory of the services, from /proc -------------------------------------------------------


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(cols[9])
    return inodes


def listening_pid(port: int) -> int | None:
    """The process that listens on `port` (one of ours: /proc shows only our own fds)."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in sockets:
                    return int(pid)
        except OSError:
            continue
    return None


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far: beside a count of requests it gives
    the CPU each one cost, a figure that holds on a loaded machine where wall time does not."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_by_service(urls: dict[str, str]) -> dict[str, int]:
    """Resident memory of each service process, found by the port it listens on."""
    found = {}
    for service, url in urls.items():
        pid = listening_pid(int(url.rsplit(":", 1)[1]))
        if pid is not None:
            found[service] = rss_bytes(pid)
    return found


# --- the registry ----------------------------------------------------------------------------


def modules() -> list[ModuleType]:
    """Every `ksd_tools.bench_*` module with a `figures` function, in ORDER."""
    found = []
    for info in pkgutil.iter_modules(ksd_tools.__path__):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"ksd_tools.{info.name}")
            if callable(getattr(module, "figures", None)):
                found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def section_name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[1].removeprefix("bench_")


def _rows(section: str, measured: dict[str, Any], scale: int | None) -> list[dict[str, Any]]:
    rows = []
    for name, spec in measured.items():
        spec = spec if isinstance(spec, dict) else figure(spec, "")
        value, baseline = spec["value"], spec.get("baseline")
        rows.append({"section": section, "figure": name if scale is None else f"{name} @{scale:,}",
                     "value": round(value, 3), "unit": spec.get("unit", ""),
                     "baseline": None if baseline is None else round(baseline, 3),
                     "baseline_name": spec.get("baseline_name", "-"),
                     "ratio": round(value / baseline, 4) if baseline else None})
    return rows


async def measure(context: Context, only: set[str] | None = None, curve: list[int] | None = None) -> dict[str, Any]:
    """Run every section (or `only` those); with `curve`, run the scaling sections at each scale.
    A section that fails is recorded with its error and the run goes on."""
    context.rss_at_start = rss_by_service(context.urls)
    figures: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for module in modules():
        name = section_name(module)
        if only and name not in only:
            continue
        scales: list[int | None] = list(curve) if curve and getattr(module, "SCALES", False) else [None]
        for scale in scales:
            if scale is not None:
                context.events = scale
            started = time.perf_counter()
            try:
                measured = await module.figures(context)
            except Exception as error:  # one section's failure must not lose the others
                errors[name] = f"{type(error).__name__}: {error}"
                traceback.print_exc()
                continue
            rows = _rows(name, measured, scale)
            context.measured.update({r["figure"]: r["value"] for r in rows})
            figures.extend(rows)
            print(f"bench: {name}{'' if scale is None else f' @{scale:,}'} took {time.perf_counter() - started:.0f} s",
                  flush=True)
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
            "scale": {"events": context.events, "submissions": context.submissions,
                      "concurrency": context.concurrency, "fresh_rate": context.fresh_rate,
                      "burst_per_node": context.burst_per_node, "curve": curve},
            "figures": figures, "errors": errors}


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    return {"cores": os.cpu_count(), "cpu": model, "memory_gib": round(memory / 2**30, 1),
            "python": platform.python_version(), "system": platform.platform()}


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table: figure, value, baseline (what it is), ratio."""
    lines = ["| section | figure | value | baseline (same run) | ratio |", "|---|---|---|---|---|"]
    for f in result["figures"]:
        value = f"{_number(f['value'])} {f['unit']}".strip()
        baseline = "—" if f["baseline"] is None else f"{_number(f['baseline'])} ({f['baseline_name']})"
        ratio = "—" if f["ratio"] is None else f"{f['ratio']:.3g}"
        lines.append(f"| {f['section']} | {f['figure']} | {value} | {baseline} | {ratio} |")
    for name, error in result.get("errors", {}).items():
        lines.append(f"| {name} | not measured: {error} | | | |")
    return "\n".join(lines)


def write(result: dict[str, Any], folder: Path) -> list[Path]:
    """latest.json and a timestamped copy, so earlier runs stay for comparison."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    paths = [folder / "latest.json", folder / f"{result['date'].replace(':', '')}.json"]
    for path in paths:
        path.write_text(text)
    return paths
