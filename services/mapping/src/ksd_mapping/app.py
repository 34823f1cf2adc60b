"""Mapping: what can be cooperated on, where the potentials are, who should partner."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from ksd_common.audience import catalogue as catalogue_link
from ksd_common.auth import CallerDep, RegionInPath, found_in_scope
from ksd_common.parking import announce_held
from ksd_common.problems import Problem, invalid
from ksd_common.service import Consumes, Publishes, ServiceSpec, build, serve
from ksd_contracts.language import Words, say
from ksd_contracts.regions import SOURCE as REGIONS_SOURCE
from ksd_contracts.regions import autonomous_codes, regions
from ksd_contracts.topics import AGREEMENT_EVENTS, MAPPING_EVENTS, SUBMISSIONS
from ksd_contracts.urusan import catalogue, urusan
from ksd_mapping import domain, handlers, store
from ksd_mapping.catalogue import lineage_document, region_detail, region_json

router = APIRouter(prefix="/v1", tags=["catalogue"])
declarations = APIRouter(prefix="/v1", tags=["mapping"])


@router.get("/urusan")
async def list_urusan() -> dict[str, Any]:
    """The 32 government affairs with their class, as versioned data with its source."""
    return catalogue()


@router.get("/regions")
async def list_regions() -> dict[str, Any]:
    """The 552 regions with their province; `autonomous` marks the 546 that can be parties."""
    return {"source": REGIONS_SOURCE, "regions": [region_json(r) for r in regions().values()]}


@router.get("/regions/lineage")
async def list_lineage() -> dict[str, Any]:
    """Every code change of a split (pemekaran): old code -> new code, from a date, with its basis."""
    return lineage_document()


@router.get("/regions/{code}")
async def get_region(code: str) -> dict[str, Any]:
    """One region with its hierarchy and lineage; a retired code says which code carries it on."""
    detail = region_detail(code)
    if detail is None:
        raise Problem(404, "not-found", say("Wilayah tidak dikenal", "Unknown region"),
                      say(f"{code} bukan kode wilayah Kemendagri, sekarang maupun sebelumnya.",
                          f"{code} is no region code of Kemendagri, now or before."))
    return detail


def _autonomous(code: str) -> None:
    """Only the 546 autonomous governments declare a mapping and take partners: an administrative
    city or regency (of DKI Jakarta) has none, as an id that exists nowhere has none."""
    if code not in autonomous_codes():
        raise Problem(404, "not-found", say("Tidak ada pemetaan", "No mapping"),
                      say(f"{code} bukan daerah otonom: hanya 546 pemerintah daerah otonom yang memetakan kerja sama.",
                          f"{code} is not an autonomous region: only the 546 autonomous governments map cooperation."),
                      code="region.not_autonomous")


@declarations.get("/regions/{code}/mapping")
async def get_mapping(code: RegionInPath, request: Request) -> dict[str, Any]:
    """What the region has declared: TKKSD decree, potentials, affairs, neighbours (confirmed or not)."""
    _autonomous(code)
    return await store.mapping_of(request.app.state.pool, code)


@declarations.get("/regions/{code}/partners")
async def get_partners(
    code: RegionInPath, request: Request,
    urusan_code: Annotated[str | None, Query(alias="urusan", description="One urusan code, e.g. 2.11.",
                                             json_schema_extra={"enum": sorted(urusan())})] = None,
    limit: Annotated[int, Query(ge=1, le=546, description="How many of the ranked partners to show.")] = 20,
) -> JSONResponse:
    """Regions that offer what this one needs (or `urusan`): confirmed neighbours first, the same
    province next, then the rest, each with its reasons and the agreements the two already have
    (how many, and the latest five)."""
    _autonomous(code)
    if urusan_code is not None and urusan_code not in urusan():
        link = catalogue_link("urusan")
        raise invalid([{"loc": ["query", "urusan"], "code": "urusan.unknown", "see": link,
                        "msg": say(f"{urusan_code!r} bukan kode urusan (lihat {link})",
                                   f"{urusan_code!r} is no urusan code (see {link})")}])
    pool = request.app.state.pool
    me = domain.region_of(code)
    wanted = [urusan_code] if urusan_code else await store.needs_of(pool, code)
    ranked = domain.rank(me, wanted, await store.candidates(pool, code, wanted) if wanted else [])
    shown = ranked[:limit]
    shared = await store.shared_agreements(pool, code, [r.region.code for r in shown]) if shown else {}
    # Answered as JSON directly: the suggestions are plain data, and re-encoding them is most of the time.
    return JSONResponse({"region": code, "urusan": wanted, "total": len(ranked),
                         "partners": [domain.suggestion(me, r, shared.get(r.region.code, domain.NOTHING_SHARED))
                                      for r in shown]})


@declarations.get("/agreements/{agreement_id}/mapping")
async def get_agreement_mapping(agreement_id: UUID, request: Request, caller: CallerDep) -> dict[str, Any]:
    """The urusan an agreement serves (submitted or found by the rules) and the mapping flags it
    raised. Outside the caller's scope it does not exist."""
    found = await store.agreement_mapping(request.app.state.pool, agreement_id)
    return found_in_scope(caller, found, lambda f: f["regions"],
                          Words(f"kerja sama {agreement_id} (mungkin belum sampai ke layanan pemetaan)",
                                f"agreement {agreement_id} (it may not have reached the mapping service yet)"))


SPEC = ServiceSpec(
    name="mapping",
    description="Urusan and regional potentials, classification of agreements, partner suggestions.",
    consumes=[
        Consumes(AGREEMENT_EVENTS, handlers.apply_agreement_events, "Agreements to classify by urusan and check."),
        Consumes(SUBMISSIONS, handlers.apply_region_submissions,
                 "Region declarations (`region.*`): TKKSD decree, potentials, affairs, neighbours.",
                 on_park=announce_held(MAPPING_EVENTS, "mapping", "region.")),
    ],
    publishes=[Publishes(MAPPING_EVENTS, "Classifications, declarations, borders, flags and rejections.")],
    routers=[router, declarations],
    authenticates=True,
)
app = build(SPEC)
# The directorate's dashboard (served by reporting, another origin) asks for partner suggestions
# here. Any origin may read: the bearer token is sent by the page itself and no cookie is honoured.
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"], allow_headers=["Authorization"])


def main() -> None:
    serve(app, "mapping")
