"""Mapping in the directorate's console: what each government has declared (its TKKSD decree, the
affairs it offers and needs, its potentials), per region and over a scope, from the `region_facts`
that reporting keeps from mapping's events.

Partner suggestions are not computed here: mapping ranks them (`GET /v1/regions/{code}/partners`
of the mapping service, `ksd_mapping.domain.rank`), with the borders and potentials per affair that
only mapping holds; the answer tells the page where mapping's API is (`mapping_api`).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import APIRouter, Request

from ksd_common.auth import RegionScope
from ksd_common.settings import settings
from ksd_contracts.regions import regions
from ksd_contracts.urusan import urusan
from ksd_reporting import store

router = APIRouter(tags=["mapping in the console"])


async def declared(conn: asyncpg.Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The facts each of `codes` has declared, by code (a region that declared nothing is absent)."""
    rows = await conn.fetch(
        "SELECT region, tkksd_decree, tkksd_on, affairs_declared_on, offers, needs, potentials_declared_on,"
        " potentials FROM region_facts JOIN unnest($1::text[]) AS c(region) USING (region)", codes)  # as in the summary
    return {r["region"]: {
        "tkksd_decree": r["tkksd_decree"],
        "tkksd_on": r["tkksd_on"].isoformat() if r["tkksd_on"] else None,
        "affairs_declared_on": r["affairs_declared_on"].isoformat() if r["affairs_declared_on"] else None,
        "offers": sorted(r["offers"]), "needs": sorted(r["needs"]),
        "potentials_declared_on": r["potentials_declared_on"].isoformat() if r["potentials_declared_on"] else None,
        "potentials": r["potentials"],
    } for r in rows}


NOTHING_DECLARED: dict[str, Any] = {
    "tkksd_decree": None, "tkksd_on": None, "affairs_declared_on": None, "offers": [], "needs": [],
    "potentials_declared_on": None, "potentials": 0,
}


def affairs_where(facts: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """For each of the 32 urusan, how many governments offer and need it, per province: the map of
    which affairs are offered and needed where."""
    table = regions()
    where: dict[str, dict[str, dict[str, int]]] = {u: {"offers": {}, "needs": {}} for u in urusan()}
    for code, fact in facts.items():
        province = table[code].province_code
        for direction in ("offers", "needs"):
            for u in fact[direction]:
                counts = where.setdefault(u, {"offers": {}, "needs": {}})[direction]
                counts[province] = counts.get(province, 0) + 1
    return where


def public_mapping_api() -> dict[str, Any]:
    """Where a browser reaches mapping's API: `KSD_MAPPING_PUBLIC_URL`, else the page's own host at
    mapping's port."""
    return {"url": settings().mapping_public_url, "port": settings().mapping_port}


@router.get("/v1/mapping")
async def mapping(request: Request, scope: RegionScope) -> dict[str, Any]:
    """Each autonomous government in scope with what it has declared to mapping (TKKSD decree,
    affairs offered and needed, potentials), and per urusan how many governments offer and need it
    in each province. Completeness per province is the summary's `regions.by_province`."""
    codes = store.governments(scope)
    async with request.app.state.pool.acquire() as conn:
        facts = await declared(conn, codes)
    table = regions()
    return {
        "region": scope,
        "governments": [{"code": c, "name": table[c].name, "level": table[c].level,
                         "province": table[c].province_code, **facts.get(c, NOTHING_DECLARED)} for c in codes],
        "urusan": affairs_where(facts),
        "names": {"regions": {c: table[c].name for c in sorted({*codes, *(table[c].province_code for c in codes)})},
                  "urusan": {c: u.name for c, u in urusan().items()}},
        "mapping_api": public_mapping_api(),
    }
