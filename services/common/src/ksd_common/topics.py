"""The topic registry (`ksd_contracts.topics`) applied to the broker: missing topics are created.

Apart from `ksd_common.broker` because it needs only Kafka's admin client: `ksd admin topics` and
the other commands do not import FastStream for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import NamedTuple

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError, for_code

from ksd_common.settings import settings
from ksd_contracts.topics import Topic, all_topics

log = logging.getLogger(__name__)


def consumer_group(prefix: str, service: str, topic: Topic) -> str:
    """A service's consumer group on `topic`: one per (service, topic), so that the consumers of one
    service do not rebalance each other (deploy/k8s scales each service on these groups' lag; its
    ACLs grant the groups `<prefix>-<service>-`)."""
    return f"{prefix}-{service}-{topic.name}"


MAX_REPLICATION = 3
"""Three copies: one broker may be lost (or restarted) with every write still on two."""


class Durability(NamedTuple):
    """How many copies a topic keeps, and on how many a write must land before it is acknowledged
    (`acks=all` producers wait for that many: a write acknowledged survives one broker's loss)."""

    replication: int
    min_insync: int

    def config(self, config: dict[str, str]) -> dict[str, str]:
        """A topic's own configuration with its `min.insync.replicas`."""
        return {**config, "min.insync.replicas": str(self.min_insync)}


def durability(brokers: int, replication: int | None = None, min_insync: int | None = None) -> Durability:
    """The settings' replication and min ISR, else the cluster's: as many copies as brokers, at most
    three, and a write held by all copies but one (one broker may be down without a stall), at least
    one. A single broker gives (1, 1), the local default; three give (3, 2), production's."""
    copies = replication or max(1, min(brokers, MAX_REPLICATION))
    return Durability(copies, min_insync or max(1, min(copies - 1, MAX_REPLICATION - 1)))


async def cluster_durability(admin: AIOKafkaAdminClient) -> Durability:
    """`durability` of the cluster `admin` is connected to, with the settings' overrides."""
    brokers = len((await admin.describe_cluster())["brokers"])
    return durability(brokers, settings().kafka_replication, settings().kafka_min_insync)


class TopicsNotCreated(RuntimeError):
    """The broker refused to create topics (an ACL, a bad configuration)."""


async def create(admin: AIOKafkaAdminClient, topics: list[NewTopic]) -> None:
    """Create `topics`, or raise naming each refused one and the broker's reason. aiokafka's
    `create_topics` returns the broker's per-topic errors instead of raising them, so a refusal
    surfaced only later, as a producer waiting for metadata of a topic that never came
    (\"Topic ... not found in cluster metadata\", hundreds of times, then UnknownTopicOrPartition).
    A topic another client made meanwhile is not an error."""
    response = await admin.create_topics(topics)
    refused = [f"{topic}: {for_code(code).__name__} {message or ''}".strip()
               for topic, code, message in response.topic_errors
               if code and for_code(code) is not TopicAlreadyExistsError]
    if refused:
        raise TopicsNotCreated(f"Kafka menolak membuat topik {', '.join(refused)}")


async def ensure_topics(*, principal: str | None = None, attempts: int = 60) -> list[str]:
    """Create the registry's missing topics (idempotent), as `principal` (by default the `ksd`
    command's, which may create them and describe every topic); returns the names it created."""
    admin = AIOKafkaAdminClient(**settings().kafka_options(principal))
    for attempt in range(attempts):
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)
    try:
        existing = set(await admin.list_topics())
        copies = await cluster_durability(admin)
        missing = [
            NewTopic(name, partitions, replication_factor=copies.replication, topic_configs=copies.config(config))
            for name, partitions, config in all_topics() if name not in existing
        ]
        if missing:
            await create(admin, missing)
            log.info("created topics %s", [t.name for t in missing])
        return [t.name for t in missing]
    finally:
        await admin.close()
