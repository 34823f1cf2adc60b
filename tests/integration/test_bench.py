"""`ksd bench` at a tiny scale: every section runs and every figure has its value beside a
baseline, in the table and in the JSON files (speed is not asserted)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from conftest import Platform

from ksd_tools import benchkit
from ksd_tools.benchkit import Context, figure, measure, modules, section_name, table, write

MEASURED_HERE = ["limits", "intake", "flow", "agreement", "reporting", "audit", "memory"]
"""Every section but mapping's, which declares for the whole nation (tests/integration/test_mapping_bench.py
runs it at a trial scale)."""


def test_sections_are_found_in_order_and_a_failing_one_is_reported_not_fatal(monkeypatch: Any) -> None:
    names = [section_name(m) for m in modules()]
    assert [n for n in names if n in MEASURED_HERE] == MEASURED_HERE and "mapping" in names

    async def broken(context: Context) -> dict[str, Any]:
        raise RuntimeError("no such endpoint")

    async def fine(context: Context) -> dict[str, Any]:
        return {"plain number": 3, "with baseline": figure(5, "events/s", 10, "plain number")}

    sections = [ModuleType("ksd_tools.bench_broken"), ModuleType("ksd_tools.bench_fine")]
    sections[0].figures, sections[1].figures = broken, fine  # type: ignore[attr-defined]
    monkeypatch.setattr(benchkit, "modules", lambda: sections)
    result = asyncio.run(measure(Context(urls={})))
    assert result["errors"] == {"broken": "RuntimeError: no such endpoint"}
    rows = {f["figure"]: f for f in result["figures"]}
    assert rows["with baseline"]["ratio"] == 0.5 and rows["plain number"]["baseline"] is None
    assert "not measured: RuntimeError" in table(result)


async def test_the_bench_measures_every_figure_beside_a_baseline(platform: Platform, tmp_path: Path) -> None:
    context = Context(urls=platform.url, events=300, submissions=10, concurrency=4, batches=2, batch_size=5,
                      fresh_rate=5, fresh_seconds=1, burst_per_node=2, burst_nodes=20)
    result = await measure(context, only=set(MEASURED_HERE))
    assert result["errors"] == {}
    sections = {f["section"] for f in result["figures"]}
    assert sections == set(MEASURED_HERE)
    for f in result["figures"]:
        assert set(f) == {"section", "figure", "value", "unit", "baseline", "baseline_name", "ratio"}
        assert f["value"] >= 0 and f["unit"]
    by_name = {f["figure"]: f for f in result["figures"]}
    assert by_name["intake accepted"]["baseline"] == by_name["postgres one transaction per row"]["value"]
    assert by_name["intake POST p50"]["baseline_name"] == "GET /healthz p50 (k6)"
    assert by_name["intake POST p50, idle (sequential)"]["value"] > 0
    # The batches were accepted, beside PostgreSQL's COPY of the same run.
    batches = by_name["intake accepted in batches"]
    assert batches["value"] > 0 and batches["baseline"] == by_name["postgres COPY"]["value"]
    # intake's own CPU per accepted submission, read from /proc around each k6 run (our process).
    single = by_name["intake CPU per accepted submission (single POSTs)"]
    assert single["value"] > 0 and single["baseline_name"] == "GET /healthz CPU ms per request (k6)"
    assert by_name["intake CPU per accepted submission (batches)"]["baseline"] == single["value"]
    assert by_name["postgres one transaction per row"]["baseline"] == by_name["postgres COPY"]["value"]
    applied = next(f for name, f in by_name.items() if name.startswith("agreement events applied (batches of"))
    assert applied["baseline_name"] == "one transaction per submission" and by_name["submissions decided"]["value"]
    assert {"intake RSS", "agreement RSS", "mapping RSS", "reporting RSS"} <= set(by_name)
    assert result["machine"]["cores"] and result["scale"]["submissions"] == 10

    paths = write(result, tmp_path)
    assert paths[0].name == "latest.json" and all(p.exists() for p in paths)
    assert json.loads(paths[1].read_text()) == result
    printed = table(result)
    assert printed.count("\n") == len(result["figures"]) + 1 and "| section | figure |" in printed
