"""`ksd admin`: node credentials and the topic registry."""

from __future__ import annotations

import argparse
import asyncio

from aiokafka import AIOKafkaProducer

from ksd_common.auth import check_binding, new_token
from ksd_common.broker import ensure_topics
from ksd_common.settings import settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import CREDENTIAL_ISSUED, CredentialIssued
from ksd_contracts.topics import CREDENTIALS


async def issue_token(role: str, region: str | None, label: str | None = None) -> str:
    """Announce a new credential's hash on ksd.admin.credentials and return the token itself.

    The services learn the hash from the topic within a moment; the token is printed once and
    stored nowhere.
    """
    problem = check_binding(role, region)
    if problem:
        raise ValueError(problem)
    token, digest = new_token()
    event = Envelope(
        source="/admin/cli", type=CREDENTIAL_ISSUED, subject=digest, correlationid=digest[:32],
        data=CredentialIssued(token_hash=digest, role=role, region=region, label=label).model_dump(mode="json"),
    ).chained(1, GENESIS_HASH)
    record = event.to_kafka()
    producer = AIOKafkaProducer(bootstrap_servers=settings().kafka_bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(CREDENTIALS.name, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()
    return token


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = subparsers.add_parser("admin", help="node credentials and the topic registry")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    token = commands.add_parser("token", help="bearer tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="issue a token; it is printed once, only its hash is kept")
    create.add_argument("--role", required=True, choices=["regency", "province", "directorate", "auditor"])
    create.add_argument("--region", help="the region code a regency or province token is bound to")
    create.add_argument("--label", help="who holds it, for the record")
    create.set_defaults(run=lambda a: print(asyncio.run(issue_token(a.role, a.region, a.label))))
    topics = commands.add_parser("topics", help="create the registry's missing topics (idempotent)")
    topics.set_defaults(run=lambda a: print("\n".join(asyncio.run(ensure_topics())) or "all topics exist"))
