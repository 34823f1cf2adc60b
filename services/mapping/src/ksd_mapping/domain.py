"""Mapping's rules, without I/O: the classification of agreements by urusan."""

from __future__ import annotations

from typing import Any

from ksd_contracts.envelope import Envelope
from ksd_contracts.events import AGREEMENT_PROPOSED


def classify(event: Envelope) -> dict[str, Any] | None:
    """The urusan an agreement serves, from the codes its parties submitted."""
    if event.type != AGREEMENT_PROPOSED:
        return None
    return {"agreement_id": event.subject, "urusan": sorted(event.data["urusan"]), "method": "submitted"}
