"""Reporting: the consolidated view for the directorate, the provinces and auditors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ksd_common.auth import Caller, authenticate
from ksd_common.problems import forbidden
from ksd_common.service import Consumes, ServiceSpec, build, serve
from ksd_contracts.topics import AGREEMENT_EVENTS
from ksd_reporting import handlers, store

CallerDep = Annotated[Caller, Depends(authenticate)]
router = APIRouter(tags=["reporting"])


@router.get("/v1/summary")
async def summary(
    request: Request, caller: CallerDep,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{2}(\.[0-9]{2})?$")] = None,
) -> dict[str, Any]:
    """Counts by kind, status and urusan, for the nation or one region (a province includes its
    regencies/cities). A node sees its own scope; asking for another is a 403."""
    scope = region or caller.region
    if scope is not None and not caller.may_read(scope):
        raise forbidden(f"a {caller.role} token of {caller.region} cannot read {scope}")
    return await store.summary(request.app.state.pool, scope)


STATIC = Path(__file__).parent / "static"


@router.get("/", include_in_schema=False)
async def dashboard() -> FileResponse:
    """The consolidated dashboard: a page that reads this API with the analyst's token."""
    return FileResponse(STATIC / "index.html")


SPEC = ServiceSpec(
    name="reporting",
    description="Read models rebuilt from the topics: summary, indicators, search and exports.",
    consumes=[Consumes(AGREEMENT_EVENTS, handlers.apply_agreement_events, "Lifecycle events for the read models.")],
    routers=[router],
    authenticates=True,
)
app = build(SPEC)

app.mount("/", StaticFiles(directory=STATIC), name="static")


def main() -> None:
    serve(app, "reporting")
