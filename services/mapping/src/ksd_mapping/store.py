"""Mapping's queries on ksd_mapping: every write takes a whole batch in one statement per table."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from ksd_contracts import submissions as s
from ksd_contracts.events import Flag
from ksd_contracts.language import localized
from ksd_mapping.domain import Borders, Candidate, Declaration, Proposal, Shared


async def save_classifications(conn: asyncpg.Connection, classified: list[dict[str, Any]]) -> None:
    """All of a batch's classifications in one statement."""
    rows = [(UUID(c["agreement_id"]), u, c["method"]) for c in classified for u in c["urusan"]]
    if rows:
        ids, urusan, methods = zip(*rows, strict=True)
        await conn.execute(
            "INSERT INTO agreement_urusan (agreement_id, urusan, method)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            list(ids), list(urusan), list(methods),
        )


async def save_agreements(conn: asyncpg.Connection, proposed: list[Proposal]) -> None:
    if not proposed:
        return
    await conn.execute(
        "INSERT INTO agreements (agreement_id, registry_number, title, kind, mandatory, initiated_on, regions)"
        " SELECT i, n, t, k, m, d, string_to_array(r, ',')"  # unnest would flatten a text[][]
        " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::date[], $7::text[])"
        " AS u(i, n, t, k, m, d, r) ON CONFLICT DO NOTHING",
        [p.agreement_id for p in proposed], [p.registry_number for p in proposed], [p.title for p in proposed],
        [p.kind for p in proposed], [p.mandatory for p in proposed], [p.initiated_on for p in proposed],
        [",".join(sorted(set(p.region_codes))) for p in proposed],
    )
    pairs = [(p, mine, other) for p in proposed for mine in p.region_codes for other in p.region_codes
             if mine != other]
    await conn.execute(
        "INSERT INTO agreement_pairs (region, other, initiated_on, agreement_id)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::uuid[]) ON CONFLICT DO NOTHING",
        [m for _, m, _ in pairs], [o for _, _, o in pairs], [p.initiated_on for p, _, _ in pairs],
        [p.agreement_id for p, _, _ in pairs],
    )


async def save_flags(conn: asyncpg.Connection, flagged: list[tuple[UUID, Flag]]) -> None:
    if flagged:
        await conn.execute(
            "INSERT INTO agreement_flags (agreement_id, rule, detail, detail_en)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
            [a for a, _ in flagged], [f.rule for _, f in flagged], [f.detail for _, f in flagged],
            [f.detail_en for _, f in flagged],
        )


async def agreement_mapping(pool: asyncpg.Pool, agreement_id: UUID) -> dict[str, Any] | None:
    """An agreement's party regions, its urusan (and how they were found) and its flags; None when
    mapping has not seen it."""
    async with pool.acquire() as conn:
        known = await conn.fetchrow("SELECT title, regions FROM agreements WHERE agreement_id = $1", agreement_id)
        if known is None:
            return None
        urusan = await conn.fetch("SELECT urusan, method FROM agreement_urusan WHERE agreement_id = $1"
                                  " ORDER BY urusan", agreement_id)
        flags = await conn.fetch("SELECT rule, detail, detail_en FROM agreement_flags WHERE agreement_id = $1"
                                 " ORDER BY rule", agreement_id)
    return {"agreement_id": str(agreement_id), "title": known["title"], "regions": known["regions"],
            "urusan": [dict(r) for r in urusan], "flags": [localized(dict(r)) for r in flags]}


async def borders_of(conn: asyncpg.Connection, codes: set[str]) -> Borders:
    """Every declared pair from or to `codes`: enough to know their confirmed borders."""
    rows = await conn.fetch(
        "SELECT region, neighbour FROM declared_neighbours WHERE region = ANY($1::text[])"
        " UNION SELECT region, neighbour FROM declared_neighbours WHERE neighbour = ANY($1::text[])",
        list(codes),
    )
    return Borders({(r["region"], r["neighbour"]) for r in rows})


async def declared_affairs(conn: asyncpg.Connection, codes: set[str]) -> dict[str, set[str]]:
    """Affairs offered or needed, by region, for those of `codes` that declared them."""
    rows = await conn.fetch("SELECT region, urusan FROM region_affairs WHERE region = ANY($1::text[])", list(codes))
    found: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        found[r["region"]].add(r["urusan"])
    return found


async def last_declared(conn: asyncpg.Connection, codes: set[str]) -> dict[tuple[str, str], date]:
    """(region, submission type) -> declared_on of the declaration on record."""
    rows = await conn.fetch(
        "SELECT region, kind, declared_on FROM region_declarations WHERE region = ANY($1::text[])", list(codes))
    return {(r["region"], r["kind"]): r["declared_on"] for r in rows}


async def save_declarations(conn: asyncpg.Connection, latest: list[Declaration], borders: Borders) -> None:
    """The batch's declarations on record (the latest per region and kind), with what they declare."""
    if not latest:
        return
    await conn.execute(
        "INSERT INTO region_declarations (region, kind, declared_on, submission_id, body)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::uuid[], $5::jsonb[])"
        " ON CONFLICT (region, kind) DO UPDATE SET declared_on = excluded.declared_on,"
        " submission_id = excluded.submission_id, body = excluded.body, recorded_at = now()",
        [d.step.region for d in latest], [d.kind for d in latest], [d.step.declared_on for d in latest],
        [d.submitted.submission_id for d in latest], [d.step.model_dump(mode="json") for d in latest],
    )
    await _save_affairs(conn, [d.step for d in latest if isinstance(d.step, s.RegionDeclareCooperableAffairs)])
    await _save_potentials(conn, [d.step for d in latest if isinstance(d.step, s.RegionDeclarePotential)])
    await _save_neighbours(conn, {d.step.region for d in latest if isinstance(d.step, s.RegionDeclareNeighbours)},
                           borders)


async def _save_affairs(conn: asyncpg.Connection, steps: list[s.RegionDeclareCooperableAffairs]) -> None:
    if not steps:
        return
    await conn.execute("DELETE FROM region_affairs WHERE region = ANY($1::text[])", [x.region for x in steps])
    rows = [(x.region, direction, u) for x in steps
            for direction, codes in (("offers", x.offers), ("needs", x.needs)) for u in set(codes)]
    await conn.copy_records_to_table("region_affairs", records=rows, columns=["region", "direction", "urusan"])


async def _save_potentials(conn: asyncpg.Connection, steps: list[s.RegionDeclarePotential]) -> None:
    if not steps:
        return
    await conn.execute("DELETE FROM region_potentials WHERE region = ANY($1::text[])", [x.region for x in steps])
    rows = [(x.region, i, p.urusan, p.title, p.description, p.scale, p.location, p.value_idr)
            for x in steps for i, p in enumerate(x.potentials)]
    await conn.copy_records_to_table(
        "region_potentials", records=rows,
        columns=["region", "position", "urusan", "title", "description", "scale", "location", "value_idr"])


async def _save_neighbours(conn: asyncpg.Connection, codes: set[str], borders: Borders) -> None:
    if not codes:
        return
    await conn.execute("DELETE FROM declared_neighbours WHERE region = ANY($1::text[])", list(codes))
    rows = sorted((r, n) for r, n in borders.pairs if r in codes)
    await conn.copy_records_to_table("declared_neighbours", records=rows, columns=["region", "neighbour"])


# --- reads --------------------------------------------------------------------------------------


async def mapping_of(pool: asyncpg.Pool, code: str) -> dict[str, Any]:
    """The declarations on record for one region, and its borders as declared and confirmed."""
    async with pool.acquire() as conn:
        declarations = await conn.fetch(
            "SELECT kind, declared_on, submission_id, body FROM region_declarations WHERE region = $1"
            " ORDER BY kind", code)
        borders = await borders_of(conn, {code})
    declared = sorted(borders.declared_by(code))
    return {
        "region": code,
        "declarations": {r["kind"]: {"declared_on": r["declared_on"].isoformat(),
                                     "submission_id": str(r["submission_id"]), **r["body"]} for r in declarations},
        "neighbours": {"declared": declared, "confirmed": [n for n in declared if borders.confirmed(code, n)],
                       "declared_by": sorted(r for r, n in borders.pairs if n == code)},
    }


async def needs_of(pool: asyncpg.Pool, code: str) -> list[str]:
    rows = await pool.fetch("SELECT urusan FROM region_affairs WHERE region = $1 AND direction = 'needs'"
                            " ORDER BY urusan", code)
    return [r["urusan"] for r in rows]


async def candidates(pool: asyncpg.Pool, code: str, wanted: list[str]) -> list[Candidate]:
    """Regions offering any of `wanted`, with their potentials in them and whether they share a
    confirmed border with `code`: one query on the indexes by urusan."""
    rows = await pool.fetch(
        "WITH offering AS (SELECT region, array_agg(urusan) AS urusan FROM region_affairs"
        "   WHERE direction = 'offers' AND urusan = ANY($1::text[]) AND region <> $2 GROUP BY region),"
        " potentials AS (SELECT region, jsonb_object_agg(urusan, n) AS counts FROM ("
        "   SELECT region, urusan, count(*) AS n FROM region_potentials WHERE urusan = ANY($1::text[])"
        "   GROUP BY region, urusan) AS p GROUP BY region),"
        " confirmed AS (SELECT d.neighbour FROM declared_neighbours d JOIN declared_neighbours back"
        "   ON back.region = d.neighbour AND back.neighbour = d.region WHERE d.region = $2)"
        " SELECT o.region, o.urusan, p.counts, o.region IN (SELECT neighbour FROM confirmed) AS neighbour"
        " FROM offering o LEFT JOIN potentials p USING (region)",
        wanted, code)
    return [Candidate(r["region"], frozenset(r["urusan"]), r["counts"] or {}, r["neighbour"]) for r in rows]


SHARED_SHOWN = 5
"""Agreements listed per partner, the latest by initiation; `agreements_total` counts them all: a
pair of busy regions can share hundreds, and listing them all made the answer slow and long."""


async def shared_agreements(pool: asyncpg.Pool, code: str, others: list[str]) -> dict[str, Shared]:
    """How many agreements `code` has with each of `others`, and the latest SHARED_SHOWN of them."""
    rows = await pool.fetch(
        "SELECT o.other, c.total, l.agreement_id, a.registry_number, a.title, a.kind"
        " FROM unnest($2::text[]) AS o(other)"
        " CROSS JOIN LATERAL (SELECT count(*) AS total FROM agreement_pairs"
        "   WHERE region = $1 AND other = o.other) AS c"
        " CROSS JOIN LATERAL (SELECT agreement_id, initiated_on FROM agreement_pairs"
        "   WHERE region = $1 AND other = o.other ORDER BY initiated_on DESC, agreement_id DESC LIMIT $3) AS l"
        " JOIN agreements a USING (agreement_id)"
        " ORDER BY o.other, l.initiated_on DESC, l.agreement_id DESC",
        code, others, SHARED_SHOWN)
    totals: dict[str, int] = {}
    latest: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        totals[r["other"]] = r["total"]
        latest[r["other"]].append({"agreement_id": str(r["agreement_id"]), "registry_number": r["registry_number"],
                                   "title": r["title"], "kind": r["kind"]})
    return {other: Shared(total, tuple(latest[other])) for other, total in totals.items()}
