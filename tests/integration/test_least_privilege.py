"""Least privilege inside (issue 18), on the real broker and PostgreSQL: a service may write only
the topics it publishes, read only those it consumes (with its own consumer groups), and reach
only its own database; a client without credentials gets nothing. That each service can still do
its own work is the rest of the suite."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from conftest import GROUP_PREFIX, SUFFIX, Platform

from ksd_common.access import principal
from ksd_common.settings import Settings
from ksd_common.topics import TopicsNotCreated, create
from ksd_contracts.topics import AGREEMENT_EVENTS, CREDENTIALS, MAPPING_EVENTS, SUBMISSIONS


async def producer(who: str) -> AIOKafkaProducer:
    out = AIOKafkaProducer(**Settings().kafka_options(principal(who)), enable_idempotence=True, acks="all",
                           request_timeout_ms=10000)
    await out.start()
    return out


async def test_intake_cannot_write_the_agreement_events_but_writes_its_dead_letters(platform: Platform) -> None:
    intake = await producer("intake")
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await intake.send_and_wait(AGREEMENT_EVENTS.name, b'{"forged": true}', key=b"forged")
        with pytest.raises(TopicAuthorizationFailedError):
            await intake.send_and_wait(CREDENTIALS.name, b'{"forged": true}', key=b"forged")
        # What it does write: the dead letters of a topic it consumes (nobody consumes those).
        written = await intake.send_and_wait(AGREEMENT_EVENTS.dlq, b"not an envelope", key=b"least-privilege")
        assert written.topic == AGREEMENT_EVENTS.dlq
    finally:
        await intake.stop()


async def subscribe(who: str, topic: str, group: str) -> AIOKafkaConsumer:
    """A consumer as `who`'s principal, subscribed to `topic` in `group` (joined once started)."""
    consumer = AIOKafkaConsumer(topic, **Settings().kafka_options(principal(who)), group_id=group,
                                enable_auto_commit=False)
    try:
        await consumer.start()
    except BaseException:
        await consumer.stop()
        raise
    return consumer


async def test_a_service_cannot_read_a_topic_it_does_not_consume(platform: Platform) -> None:
    """Agreement consumes submissions only: mapping's events and the credentials are closed to it,
    even in a consumer group of its own."""
    group = f"{GROUP_PREFIX}-agreement-least-privilege"
    for topic in (MAPPING_EVENTS.name, CREDENTIALS.name):
        with pytest.raises(TopicAuthorizationFailedError):
            await subscribe("agreement", topic, group)
    await (await subscribe("agreement", SUBMISSIONS.name, group)).stop()  # what it consumes: allowed


async def test_a_service_cannot_join_another_services_consumer_group(platform: Platform) -> None:
    """Mapping reads submissions too, but in its own groups: agreement's group is not its to use."""
    with pytest.raises(GroupAuthorizationFailedError):
        await subscribe("mapping", SUBMISSIONS.name, f"{GROUP_PREFIX}-agreement-{SUBMISSIONS.name}")
    await (await subscribe("mapping", SUBMISSIONS.name, f"{GROUP_PREFIX}-mapping-least-privilege")).stop()


async def test_a_client_without_credentials_or_with_a_wrong_password_gets_nothing(platform: Platform) -> None:
    settings = Settings()
    anonymous = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaConnectionError):
        await anonymous.start()
    await anonymous.stop()
    wrong = settings.kafka_options(principal("intake")) | {"sasl_plain_password": "bukan-kata-sandinya"}
    impostor = AIOKafkaProducer(**wrong, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await impostor.start()
    await impostor.stop()


async def test_intake_cannot_connect_to_the_agreement_database(platform: Platform) -> None:
    own = platform.settings.database_dsn(f"ksd_intake{SUFFIX}")
    other = own.replace(f"/ksd_intake{SUFFIX}", f"/ksd_agreement{SUFFIX}")
    assert other != own and "//ksd_intake:" in other
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="CONNECT"):
        await asyncpg.connect(other)
    conn = await asyncpg.connect(own)  # its own database: its tables are its own
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                                   " AND tableowner <> 'ksd_intake'") == 0
        assert await conn.fetchval("SELECT count(*) FROM submissions") >= 0
    finally:
        await conn.close()


async def test_no_service_table_belongs_to_the_bootstrap_role(platform: Platform) -> None:
    """Every service's tables belong to its own role, so its migrations run as that role too."""
    for service in ("agreement", "mapping", "reporting"):
        conn = await platform.database(service)
        try:
            owners = {r["tableowner"] for r in await conn.fetch(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")}
            assert owners == {f"ksd_{service}"}
            assert await conn.fetchval("SELECT current_user") == f"ksd_{service}"
        finally:
            await conn.close()


async def test_a_refused_topic_is_an_error_naming_it(platform: Platform) -> None:
    """A service may not make topics; the broker's refusal is raised at once, naming the topic and
    the reason, not left for a producer to wait on metadata that never comes. Made by the setup
    user, the same topic is created (and a second creation of it is not an error)."""
    name = f"ksd.least-privilege{SUFFIX}.{uuid.uuid4().hex[:8]}"
    intake = AIOKafkaAdminClient(**Settings().kafka_options(principal("intake")))
    await intake.start()
    try:
        with pytest.raises(TopicsNotCreated, match=rf"{re.escape(name)}: TopicAuthorizationFailedError"):
            await create(intake, [NewTopic(name, 1, 1)])
    finally:
        await intake.close()
    setup = AIOKafkaAdminClient(**Settings().kafka_options())
    await setup.start()
    try:
        await create(setup, [NewTopic(name, 1, 1)])
        await create(setup, [NewTopic(name, 1, 1)])
        assert name in await setup.list_topics()
        await setup.delete_topics([name])
    finally:
        await setup.close()
