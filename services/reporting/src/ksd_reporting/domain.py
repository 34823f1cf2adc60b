"""The projection of lifecycle events into the read models: a pure function.

The live consumer and `ksd audit rebuild` both call `project`, so a rebuild from the log gives
the same records as the live service.
"""

from __future__ import annotations

from typing import Any

from ksd_contracts.envelope import Envelope, format_time
from ksd_contracts.events import AGREEMENT_PROPOSED
from ksd_contracts.regions import region

AgreementRecord = dict[str, Any]


def project(record: AgreementRecord | None, event: Envelope) -> AgreementRecord | None:
    """The compiled record of an agreement after one more of its events."""
    if event.type == AGREEMENT_PROPOSED:
        data = event.data
        codes = [p["code"] for p in data["parties"] if p["type"] == "region"]
        record = {
            "agreement_id": data["agreement_id"], "kind": data["kind"], "status": "initiated",
            "title": data["title"], "regions": codes,
            "provinces": sorted({r.province_code for c in codes if (r := region(c))}),
            "urusan": data["urusan"], "parties": data["parties"], "timeline": [],
        }
    if record is None:
        return None
    step = {"type": event.type, "at": format_time(event.time), "sequence": event.sequence,
            "by": event.data.get("submitted_by")}
    return {**record, "version": event.sequence, "timeline": [*record["timeline"], step]}
