"""Who may write what, where: the allow-list `ksd audit verify` holds every event to, kept as data.

Each history topic lists the event types it may carry, the model of each type's `data`, and the
sources allowed to emit them. An event of a type not listed for its topic is bad, and so is one
whose source may not emit it (an injected event with a forged source).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel

from ksd_contracts import events
from ksd_contracts.events import (
    AGREEMENT_EVENT_MODELS,
    AUDIT_EVENT_MODELS,
    CREDENTIAL_EVENT_MODELS,
    SUBMISSION_EVENT_MODELS,
)
from ksd_contracts.topics import AGREEMENT_EVENTS, AUDIT_CHECKPOINTS, CREDENTIALS, MAPPING_EVENTS, SUBMISSIONS
from ksd_tools.audit.checkpoint import SOURCE as AUDIT_SOURCE


@dataclass(frozen=True)
class Rule:
    """What one topic may carry: `data` model by type, and the sources that may write it."""

    models: dict[str, type[BaseModel]]
    sources: re.Pattern[str]

    def may_emit(self, source: str) -> bool:
        return self.sources.fullmatch(source) is not None


RULES: dict[str, Rule] = {
    SUBMISSIONS.name: Rule(SUBMISSION_EVENT_MODELS, re.compile(r"/nodes/[0-9]{2}(\.[0-9]{2})?")),
    AGREEMENT_EVENTS.name: Rule(AGREEMENT_EVENT_MODELS, re.compile(r"/services/agreement")),
    MAPPING_EVENTS.name: Rule(events.MAPPING_EVENT_MODELS, re.compile(r"/services/mapping")),
    CREDENTIALS.name: Rule(CREDENTIAL_EVENT_MODELS, re.compile(r"/admin/[a-z]+")),
    AUDIT_CHECKPOINTS.name: Rule(AUDIT_EVENT_MODELS, re.compile(re.escape(AUDIT_SOURCE))),
}
"""By registry topic name. `/services/agreement` may not write submissions, a node may not write
lifecycle events, and nobody but `ksd admin` announces credentials."""
