"""Mapping: what can be cooperated on, where the potentials are, who should partner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ksd_common.service import Consumes, Publishes, ServiceSpec, build, serve
from ksd_contracts.regions import SOURCE as REGIONS_SOURCE
from ksd_contracts.regions import regions
from ksd_contracts.topics import AGREEMENT_EVENTS, MAPPING_EVENTS
from ksd_contracts.urusan import catalogue
from ksd_mapping import handlers

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/urusan")
async def list_urusan() -> dict[str, Any]:
    """The 32 government affairs with their class, as versioned data with its source."""
    return catalogue()


@router.get("/regions")
async def list_regions() -> dict[str, Any]:
    """The 552 regions with their province; `autonomous` marks the 546 that can be parties."""
    return {
        "source": REGIONS_SOURCE,
        "regions": [
            {"code": r.code, "name": r.name, "level": r.level, "province_code": r.province_code,
             "autonomous": r.autonomous}
            for r in regions().values()
        ],
    }


SPEC = ServiceSpec(
    name="mapping",
    description="Urusan and regional potentials, classification of agreements, partner suggestions.",
    consumes=[Consumes(AGREEMENT_EVENTS, handlers.apply_agreement_events, "Agreements to classify by urusan.")],
    publishes=[Publishes(MAPPING_EVENTS, "Classifications, declarations and flags.")],
    routers=[router],
    authenticates=True,
)
app = build(SPEC)


def main() -> None:
    serve(app, "mapping")
