"""The FastStream broker of a service (the topics it needs are created by `ksd_common.topics`)."""

from __future__ import annotations

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512

from ksd_common.settings import settings


def make_broker(principal: str) -> KafkaBroker:
    """At-least-once by default: nothing is acknowledged before its handler has finished. The
    broker's consumers authenticate as `principal` (the service's own, `ksd_common.access`)."""
    options = settings().kafka_options(principal)
    security = (SASLScram512(options["sasl_plain_username"], options["sasl_plain_password"])
                if "sasl_plain_username" in options else None)
    return KafkaBroker(
        options["bootstrap_servers"], security=security, ack_policy=AckPolicy.NACK_ON_ERROR, graceful_timeout=15,
        enable_idempotence=True, acks="all", logger=logging.getLogger("ksd.broker"),
        # The set-up makes the topics (`ksd_common.access`); a service may not create any.
        allow_auto_create_topics=False,
    )
