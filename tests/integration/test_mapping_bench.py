"""Mapping's bench at a trial scale (the national run is `make bench`'s): each figure is measured
beside its baseline (speed is not asserted)."""

from __future__ import annotations

from datetime import date

from conftest import GROUP_PREFIX, Platform

from ksd_tools.bench_mapping import national_declarations, partners


def test_the_nation_declares_every_kind_with_borders_declared_by_both_sides() -> None:
    declared = national_declarations(seed=7)
    assert len({code for _, code, _ in declared}) == 546 and len(declared) == 3 * 546
    neighbours = {code: set(p["neighbours"]) for kind, code, p in declared if kind == "region.declare_neighbours"}
    assert all(code in neighbours[n] for code, ns in neighbours.items() for n in ns)


async def test_partner_suggestions_are_timed_beside_healthz(platform: Platform) -> None:
    result = await partners(platform.url["mapping"], requests=20, group_prefix=GROUP_PREFIX, regions=60,
                            declared_on=date(2019, 1, 2))
    figures = result["figures"]
    assert figures["mapping partners p99"]["value"] >= figures["mapping partners p50"]["value"] > 0
    assert figures["mapping partners p99"]["baseline_name"] == "mapping /healthz p99"
    assert result["scale"]["regions"] == 60 and result["scale"]["partners_ranked_per_answer"] > 0
