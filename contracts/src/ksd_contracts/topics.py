"""The topic registry: every topic the platform uses, and how it is configured.

History topics keep their records forever (`retention.ms=-1`): auditors replay years of them.
Every consumed topic has a `<topic>.dlq` for records that cannot be processed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

NAMESPACE = os.environ.get("KSD_TOPIC_PREFIX", "")
"""Put before every topic name; empty on a real platform. A test run sets its own, so that its
services start from an empty history and never read a live platform's (or another run's) records."""

SERVICES = ("intake", "agreement", "mapping", "reporting")
"""The four services. Each is a Kafka principal (and a PostgreSQL role) `ksd_<service>`."""
ADMIN = "admin"
"""The `ksd` command (`ksd admin`, `ksd audit`): the Kafka principal `ksd_admin`."""

FOREVER = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}


@dataclass(frozen=True)
class Topic:
    """A history topic, and who may touch it: the broker's ACLs are made from `writers` and
    `readers` (`ksd_common.access`), and each service's own declaration of what it consumes and
    publishes must agree with them (tests/unit/test_access.py)."""

    name: str
    partitions: int
    description: str
    writers: tuple[str, ...] = ()
    """Who publishes here (a service of SERVICES, or ADMIN)."""
    readers: tuple[str, ...] = ()
    """Who consumes it. Each reader may also write `<topic>.dlq`, its dead letters; ADMIN reads
    every topic (the auditors' replay)."""

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"

    @property
    def config(self) -> dict[str, str]:
        return dict(FOREVER)


SUBMISSIONS = Topic(
    NAMESPACE + "ksd.intake.submissions", 6,
    "Every accepted submission of the provinces and regencies/cities, keyed by agreement id or region code.",
    writers=("intake",), readers=("agreement", "mapping"),
)
AGREEMENT_EVENTS = Topic(
    NAMESPACE + "ksd.agreement.events", 6,
    "The lifecycle of every cooperation, keyed by agreement id; rejections of submissions included.",
    writers=("agreement",), readers=("intake", "mapping", "reporting"),
)
MAPPING_EVENTS = Topic(
    NAMESPACE + "ksd.mapping.events", 6,
    "Urusan classification of agreements and region declarations, keyed by agreement id or region code.",
    writers=("mapping",), readers=("intake", "reporting"),
)
CREDENTIALS = Topic(
    NAMESPACE + "ksd.admin.credentials", 1,
    "Bearer token hashes with their role and region, issued and revoked by `ksd admin`.",
    writers=(ADMIN,), readers=("intake", "mapping", "reporting"),
)
AUDIT_CHECKPOINTS = Topic(
    NAMESPACE + "ksd.audit.checkpoints", 1,
    "Daily digests over each day's events, for third parties that hold them.",
    writers=(ADMIN,), readers=("reporting",),
)

HISTORY: tuple[Topic, ...] = (SUBMISSIONS, AGREEMENT_EVENTS, MAPPING_EVENTS, CREDENTIALS, AUDIT_CHECKPOINTS)


def all_topics() -> list[tuple[str, int, dict[str, str]]]:
    """(name, partitions, config) of every topic, dead-letter topics included."""
    topics = [(t.name, t.partitions, t.config) for t in HISTORY]
    topics += [(t.dlq, 1, t.config) for t in HISTORY]
    return topics
