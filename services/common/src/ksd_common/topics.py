"""The topic registry (`ksd_contracts.topics`) applied to the broker: missing topics are created.

Apart from `ksd_common.broker` because it needs only Kafka's admin client: `ksd admin topics` and
the other commands do not import FastStream for it.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from ksd_common.settings import settings
from ksd_contracts.topics import all_topics

log = logging.getLogger(__name__)


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
        missing = [
            NewTopic(name, partitions, replication_factor=settings().kafka_replication, topic_configs=config)
            for name, partitions, config in all_topics() if name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
            log.info("created topics %s", [t.name for t in missing])
        return [t.name for t in missing]
    finally:
        await admin.close()
