"""`ksd admin`: node credentials and the topic registry."""

from __future__ import annotations

import argparse
import asyncio

from aiokafka import AIOKafkaProducer

from ksd_common.credentials import check_binding, new_token
from ksd_common.settings import settings
from ksd_common.topics import ensure_topics
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
    import httpx  # here, not at the top: with rich and click behind it, it would slow `ksd admin token create`

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


def create_token(args: argparse.Namespace) -> None:
    """`ksd admin token create`: print the new token, once."""
    print(asyncio.run(issue_tokens([(args.role, args.region, args.label)]))[0])


def create_topics(args: argparse.Namespace) -> None:
    """`ksd admin topics`: create the registry's missing topics."""
    print("\n".join(asyncio.run(ensure_topics())) or "all topics exist")
