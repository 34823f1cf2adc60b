"""Reporting: the consolidated view for the directorate, the provinces and auditors."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import IO, Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Scope

from ksd_common.auth import (
    CallerDep,
    NationReader,
    RegionScope,
    found_in_scope,
    known_region,
    readable_region,
    region_code,
)
from ksd_common.params import PRINTABLE, IsoDay, SearchText
from ksd_common.service import Consumes, Reads, ServiceSpec, build, serve
from ksd_contracts.events import Status
from ksd_contracts.language import Words, localized
from ksd_contracts.regions import regions
from ksd_contracts.submissions import FundingSource, Kind, today_wib
from ksd_contracts.topics import AGREEMENT_EVENTS, AUDIT_CHECKPOINTS, MAPPING_EVENTS
from ksd_reporting import audit_api, exports, handlers, inbox, reminders, store
from ksd_reporting.digest import digest as read_model_digest
from ksd_reporting.regions import router as mapping_router

router = APIRouter(tags=["reporting"])
AsOf = Annotated[IsoDay | None, Query(description=(
    "The day measured at, YYYY-MM-DD (default: today, WIB): the agreements on the register that day, at the"
    " stage they had then."))]
DormantMonths = Annotated[int, Query(ge=1, le=120, description="A KSB without PKS this long is dormant.")]
VerificationState = Enum("VerificationState", {s: s for s in store.VERIFICATION_STATES}, type=str)  # type: ignore[misc]
Verification = Annotated[VerificationState | None, Query(description=(
    "Only the records in this state of the province's verification (as it stands today): `verified`,"
    " `unverified` (never verified, or changed since), `returned` (sent back for correction)."))]


def filters(
    caller: CallerDep, scope: RegionScope, kind: Kind | None = None, status: Status | None = None,
    urusan: Annotated[str | None, Query(pattern=r"^[1-3]\.[0-9]{2}$")] = None,
    q: Annotated[SearchText | None, Query(min_length=2, max_length=200, description="Words of the title.",
                                          json_schema_extra={"pattern": PRINTABLE})] = None,
    as_of: AsOf = None,
    indicator: Annotated[store.Indicator | None, Query(
        description="The agreements an indicator of the summary counts, at `as_of`.")] = None,
    dormant_months: DormantMonths = 12,
    party: Annotated[str | None, Query(**region_code(
        "A government among the parties, a regency/city or a province itself: the summary's by_region."))] = None,
    province: Annotated[str | None, Query(**region_code(
        "A province a party is in (itself or its regencies/cities): the summary's by_province.",
        lambda: (c for c in regions() if len(c) == 2)))] = None,
    month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Initiated in YYYY-MM.")
                     ] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$", description="A foreign partner's country.")] = None,
    partner: Annotated[SearchText | None, Query(max_length=200, description="A foreign partner, by name.",
                                                json_schema_extra={"pattern": PRINTABLE})] = None,
    funding: Annotated[FundingSource | None, Query(description="A funding source.")] = None,
    flag: Annotated[str | None, Query(pattern=r"^[a-z_]+\.[a-z_]+$", description="A flag's rule.")] = None,
    verification: Verification = None,
    awaiting_report_of: Annotated[str | None, Query(**region_code(
        "A party that has not reported the agreement itself: the KSDD a partner reported that await this"
        " region's own report (`agreement.propose` with the same `agreement_id`)."))] = None,
) -> store.Filters:
    """The filters of the list and the exports: each breakdown and indicator of `/v1/summary` has
    one, so a figure opens the agreements behind it."""
    return store.Filters(
        scope=scope, kind=kind.value if kind else None, status=status.value if status else None, urusan=urusan, q=q,
        as_of=as_of, indicator=indicator.value if indicator else None, dormant_months=dormant_months,
        party=party and known_region(party, ("query", "party")),
        province=province and known_region(province, ("query", "province")),
        month=month, country=country, partner=partner, funding=funding, flag=flag,
        verification=verification.value if verification else None,
        awaiting_report_of=awaiting_report_of and readable_region(caller, awaiting_report_of,
                                                                  ("query", "awaiting_report_of")))


FiltersDep = Annotated[store.Filters, Depends(filters)]


@router.get("/v1/summary")
async def summary(
    request: Request, scope: RegionScope,
    as_of: AsOf = None, dormant_months: DormantMonths = 12, verification: Verification = None,
) -> dict[str, Any]:
    """Counts by kind, status, urusan, province, region and month, and the indicators of the
    ministry, for the nation or one region (a province includes its regencies/cities); with
    `verification`, of the records in that state only."""
    horizon = store.Horizon(as_of or today_wib(), dormant_months)
    return await store.summary(request.app.state.pool, scope, horizon, verification.value if verification else None)


@router.get("/v1/agreements")
async def agreements(
    request: Request, chosen: FiltersDep,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """A page of the agreements the filters select, the latest initiated first, with their `total`;
    `next_cursor` fetches the next page (null on the last)."""
    total, items = await store.page(request.app.state.pool, chosen, cursor, limit)
    return {"items": items, "next_cursor": store.next_cursor(items, limit), "total": total}


@router.get("/v1/agreements/{agreement_id}")
async def agreement(request: Request, caller: CallerDep, agreement_id: UUID) -> dict[str, Any]:
    """The compiled record: the current terms and the whole timeline, each step with who submitted
    it, its legal date and when it was recorded. Outside the caller's scope it does not exist."""
    found = await store.compiled(request.app.state.pool, agreement_id)
    return _in_reader_language(found_in_scope(caller, found, lambda f: f["terms"]["regions"],
                                              Words(f"kerja sama {agreement_id}", f"agreement {agreement_id}")))


def _in_reader_language(record: dict[str, Any]) -> dict[str, Any]:
    """The record with each flag's detail in the reader's language (the events carry both)."""
    terms = {**record["terms"], "flags": [localized(f) for f in record["terms"].get("flags", [])]}
    timeline = [{**step, "flags": [localized(f) for f in step.get("flags", [])]} for step in record["timeline"]]
    return {**record, "terms": terms, "timeline": timeline}


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/v1/exports/agreements.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The agreements, as CSV."}})
async def export_csv(request: Request, chosen: FiltersDep) -> StreamingResponse:
    """The agreements of the filters (the list's rows, in its order) as CSV: semicolons, UTF-8
    with BOM, Indonesian headers, streamed as the database yields them."""
    rows = exports.csv_chunks(store.each(request.app.state.pool, chosen))
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=_attachment("kerja-sama-daerah.csv"))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/v1/exports/agreements.xlsx", response_class=StreamingResponse,
            responses={200: {"content": {XLSX: {}}, "description": "The agreements, as an Excel workbook."}})
async def export_xlsx(request: Request, chosen: FiltersDep) -> StreamingResponse:
    """The agreements of the filters (the list's rows, in its order) as an Excel workbook with an
    autofilter, a frozen header, dates as dates and amounts in rupiah."""
    book = await exports.xlsx_file(store.each(request.app.state.pool, chosen))
    return StreamingResponse(_chunks(book), media_type=XLSX, headers=_attachment("kerja-sama-daerah.xlsx"))


def _chunks(file: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    with file:
        while chunk := file.read(size):
            yield chunk


@router.get("/v1/digest")
async def digest(request: Request, caller: NationReader) -> dict[str, str]:
    """SHA-256 of every read-model table (every region's rows): `ksd audit rebuild` compares it
    with a rebuild's."""
    return {"digest": await read_model_digest(request.app.state.pool)}


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
    reads=[Reads(AUDIT_CHECKPOINTS, "The latest `audit.history_verified`, which the audit report shows.")],
    routers=[router, audit_api.router, mapping_router, inbox.router],
    authenticates=True,
    refold=store.refold,
    periodic=[reminders.every],
)
app = build(SPEC)



class Assets(StaticFiles):
    """The dashboard's files. Mounted at `/`, they also answer any path the API does not route, a
    method the API does not take on its own paths included: so a 405 says which are (`Allow`)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        return await super().get_response(path, scope)


app.mount("/", Assets(directory=STATIC), name="static")


def main() -> None:
    serve(app, "reporting")
