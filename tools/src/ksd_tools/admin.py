"""`ksd admin`: node credentials and the topic registry."""

from __future__ import annotations

import argparse
import asyncio
from uuid import UUID

import httpx
from aiokafka import AIOKafkaProducer

from ksd_common.auth import check_binding, new_token
from ksd_common.broker import ensure_topics
from ksd_common.settings import settings
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import CREDENTIAL_ISSUED, CredentialIssued
from ksd_contracts.topics import CREDENTIALS


async def issue_tokens(bindings: list[tuple[str, str | None, str | None]]) -> list[str]:
    """Announce new credentials (role, region, label) on ksd.admin.credentials; return the tokens.

    Only the hashes leave this process; each token is printed once and stored nowhere. The
    services learn the hashes from the topic within a moment (`wait_until_known`).
    """
    for role, region, _ in bindings:
        if problem := check_binding(role, region):
            raise ValueError(problem)
    producer = AIOKafkaProducer(bootstrap_servers=settings().kafka_bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    tokens = []
    try:
        sent = []
        for role, region, label in bindings:
            token, digest = new_token()
            event = Envelope(
                source="/admin/cli", type=CREDENTIAL_ISSUED, subject=digest, correlationid=digest[:32],
                data=CredentialIssued(token_hash=digest, role=role, region=region, label=label).model_dump(mode="json"),
            ).chained(1, GENESIS_HASH)
            record = event.to_kafka()
            sent.append(await producer.send(CREDENTIALS.name, record.value, key=record.key, headers=record.headers))
            tokens.append(token)
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return tokens


async def wait_until_known(probe: str, *tokens: str, timeout: float = 60) -> None:
    """Wait until the endpoint `probe` stops answering 401 to each of `tokens` (credentials arrive
    asynchronously, over several partitions, so the last issued is not always the last learned).
    Patient with a loaded machine: a request that times out or drops is tried again."""
    deadline = asyncio.get_running_loop().time() + timeout
    waiting = list(tokens)
    async with httpx.AsyncClient(timeout=30) as client:
        while waiting:
            try:
                response = await client.get(probe, headers={"Authorization": f"Bearer {waiting[-1]}"})
                if response.status_code != 401:
                    waiting.pop()
                    continue
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{probe} did not learn {len(waiting)} of {len(tokens)} tokens within {timeout} s")
            await asyncio.sleep(0.1)


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = subparsers.add_parser("admin", help="node credentials and the topic registry")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    token = commands.add_parser("token", help="bearer tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="issue a token; it is printed once, only its hash is kept")
    create.add_argument("--role", required=True, choices=["regency", "province", "directorate", "auditor"])
    create.add_argument("--region", help="the region code a regency or province token is bound to")
    create.add_argument("--label", help="who holds it, for the record")
    create.set_defaults(run=lambda a: print(asyncio.run(issue_tokens([(a.role, a.region, a.label)]))[0]))
    topics = commands.add_parser("topics", help="create the registry's missing topics (idempotent)")
    topics.set_defaults(run=lambda a: print("\n".join(asyncio.run(ensure_topics())) or "all topics exist"))
    _add_dlq(commands.add_parser("dlq", help="events a service parked: list, show, redrive once fixed"))


def _add_dlq(dlq: argparse.ArgumentParser) -> None:
    """`list`, `show` and `redrive`, each on one service's database (ksd_tools.dlq does the work)."""
    services = ("intake", "agreement", "mapping", "reporting")
    commands = dlq.add_subparsers(dest="dlq_command", required=True)
    for name, help in (("list", "the events parked, not yet applied"),
                       ("redrive", "apply the chosen events (and the rest of their streams) again")):
        command = commands.add_parser(name, help=help)
        command.add_argument("--service", required=True, choices=services)
        command.add_argument("--topic", help="the topic they came from, e.g. ksd.intake.submissions")
        command.add_argument("--error", help="text in their error (case-insensitive)")
        command.add_argument("--id", type=UUID, action="append", help="an event id (repeatable)")
        if name == "list":
            command.add_argument("--all", action="store_true", help="resolved ones too")
        else:
            command.add_argument("--wait", type=float, default=60, help="seconds to wait for the service")
        command.set_defaults(run=_dlq)
    show = commands.add_parser("show", help="one parked event, with its envelope")
    show.add_argument("--service", required=True, choices=services)
    show.add_argument("event_id", type=UUID)
    show.set_defaults(run=_dlq)


def _dlq(args: argparse.Namespace) -> None:
    from ksd_tools import dlq  # lazily: the rest of `ksd` does not need it

    dlq.run(args)
