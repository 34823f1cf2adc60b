"""Agreement: the event-sourced lifecycle of every cooperation (HTTP: health and metrics only)."""

from __future__ import annotations

from ksd_agreement import handlers, scheduler, store
from ksd_common.parking import announce_held
from ksd_common.service import Consumes, Publishes, ServiceSpec, build, serve
from ksd_contracts.topics import AGREEMENT_EVENTS, SUBMISSIONS

SPEC = ServiceSpec(
    name="agreement",
    description="The lifecycle of every cooperation under PP 28/2018, event-sourced.",
    consumes=[Consumes(SUBMISSIONS, handlers.apply_submissions, "Submissions to decide under the lifecycle rules.",
                       on_park=announce_held(AGREEMENT_EVENTS, "agreement", "agreement."))],
    publishes=[Publishes(AGREEMENT_EVENTS, "Lifecycle events and rejections, keyed by agreement id.")],
    refold=store.refold,
    periodic=[scheduler.run],
)
app = build(SPEC)


def main() -> None:
    serve(app, "agreement")
