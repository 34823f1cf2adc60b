"""`ksd bench` at a tiny scale: every figure is measured, beside its baseline (speed is not asserted)."""

from __future__ import annotations

from conftest import Platform

from ksd_tools.bench import run


async def test_the_bench_measures_every_figure_beside_a_baseline(platform: Platform) -> None:
    result = await run(messages=500, submissions=20, concurrency=4, base=platform.url["intake"])
    figures = {f["figure"]: f for f in result["figures"]}
    assert set(figures) == {"kafka raw produce", "kafka raw consume", "intake accepted", "intake POST p50",
                            "intake POST p99", "applied end to end"}
    assert all(f["value"] > 0 for f in figures.values())
    assert figures["intake accepted"]["baseline"] == figures["kafka raw produce"]["value"]
    assert figures["applied end to end"]["baseline"] == figures["kafka raw consume"]["value"]
    assert figures["intake POST p99"]["value"] >= figures["intake POST p50"]["value"]
    assert result["machine"]["cores"] and result["scale"]["submissions"] == 20
