"""The FastStream broker of a service (the topics it needs are created by `ksd_common.topics`)."""

from __future__ import annotations

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from ksd_common.settings import settings


def make_broker() -> KafkaBroker:
    """At-least-once by default: nothing is acknowledged before its handler has finished."""
    return KafkaBroker(
        settings().kafka_bootstrap, ack_policy=AckPolicy.NACK_ON_ERROR, graceful_timeout=15,
        enable_idempotence=True, acks="all", logger=logging.getLogger("ksd.broker"),
    )
