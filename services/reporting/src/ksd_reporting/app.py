"""Reporting: the consolidated view for the directorate, the provinces and auditors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ksd_common.auth import CallerDep, NationReader, RegionScope, found_in_scope
from ksd_common.params import IsoDay, SearchText
from ksd_common.service import Consumes, ServiceSpec, build, serve
from ksd_contracts.events import Status
from ksd_contracts.submissions import Kind, today_wib
from ksd_contracts.topics import AGREEMENT_EVENTS, MAPPING_EVENTS
from ksd_reporting import exports, handlers, regions, store
from ksd_reporting.digest import digest as read_model_digest

router = APIRouter(tags=["reporting"])


def filters(
    scope: RegionScope, kind: Kind | None = None, status: Status | None = None,
    urusan: Annotated[str | None, Query(pattern=r"^[1-3]\.[0-9]{2}$")] = None,
    q: Annotated[SearchText | None, Query(min_length=2, max_length=200, description="Words of the title.")] = None,
) -> store.Filters:
    return store.Filters(scope, kind.value if kind else None, status.value if status else None,
                         urusan, q)


FiltersDep = Annotated[store.Filters, Depends(filters)]


@router.get("/v1/summary")
async def summary(
    request: Request, scope: RegionScope,
    as_of: Annotated[IsoDay | None, Query(description="The day measured at, YYYY-MM-DD (default: today, WIB).")] = None,
    dormant_months: Annotated[int, Query(ge=1, le=120, description="A KSB without PKS this long is dormant.")] = 12,
) -> dict[str, Any]:
    """Counts by kind, status, urusan, province, region and month, and the indicators of the
    ministry, for the nation or one region (a province includes its regencies/cities)."""
    horizon = store.Horizon(as_of or today_wib(), dormant_months)
    return await store.summary(request.app.state.pool, scope, horizon)


@router.get("/v1/agreements")
async def agreements(
    request: Request, chosen: FiltersDep, cursor: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """A page of agreements, filtered; `next_cursor` fetches the next page (null on the last)."""
    items = await store.page(request.app.state.pool, chosen, cursor, limit)
    return {"items": items, "next_cursor": items[-1]["agreement_id"] if len(items) == limit else None}


@router.get("/v1/agreements/{agreement_id}")
async def agreement(request: Request, caller: CallerDep, agreement_id: UUID) -> dict[str, Any]:
    """The compiled record: the current terms and the whole timeline, each step with who submitted
    it, its legal date and when it was recorded. Outside the caller's scope it does not exist."""
    found = await store.compiled(request.app.state.pool, agreement_id)
    return found_in_scope(caller, found, lambda f: f["terms"]["regions"], f"kerja sama {agreement_id}")


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/v1/exports/agreements.csv")
async def export_csv(request: Request, chosen: FiltersDep) -> Response:
    """The agreements of the filters as CSV (semicolons, UTF-8 with BOM), Indonesian headers."""
    rows = await store.every(request.app.state.pool, chosen)
    return _download(exports.to_csv(rows), "text/csv; charset=utf-8", "kerja-sama-daerah.csv")


@router.get("/v1/exports/agreements.xlsx")
async def export_xlsx(request: Request, chosen: FiltersDep) -> Response:
    """The agreements of the filters as an Excel workbook, Indonesian headers."""
    rows = await store.every(request.app.state.pool, chosen)
    return _download(exports.to_xlsx(rows),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "kerja-sama-daerah.xlsx")


@router.get("/v1/digest")
async def digest(request: Request, caller: NationReader) -> dict[str, str]:
    """SHA-256 of every read-model table (every region's rows): `ksd audit rebuild` compares it
    with a rebuild's."""
    async with request.app.state.pool.acquire() as conn:
        return {"digest": await read_model_digest(conn)}


STATIC = Path(__file__).parent / "static"


@router.get("/", include_in_schema=False)
async def dashboard() -> FileResponse:
    """The consolidated dashboard: a page that reads this API with the analyst's token."""
    return FileResponse(STATIC / "index.html")


SPEC = ServiceSpec(
    name="reporting",
    description="Read models rebuilt from the topics: summary, indicators, search and exports.",
    consumes=[
        Consumes(AGREEMENT_EVENTS, handlers.apply_agreement_events, "Lifecycle events for the read models."),
        Consumes(MAPPING_EVENTS, handlers.apply_mapping_events, "TKKSD decrees, mappings and flags of regions."),
    ],
    routers=[router, regions.router],
    authenticates=True,
    refold=store.refold,
)
app = build(SPEC)

app.mount("/", StaticFiles(directory=STATIC), name="static")


def main() -> None:
    serve(app, "reporting")
