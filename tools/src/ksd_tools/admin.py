"""`ksd admin`: node credentials and the topic registry.

The platform's own tokens live on ksd.admin.credentials alone (one partition, kept for ever): each
is issued there with its hash, role and region, and revoked there; every service keeps its copy of
the hashes from the topic. Listing them is reading the topic again, so `ksd admin token list` needs
no service's database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ksd_common.credentials import check_binding, new_token
from ksd_common.settings import settings
from ksd_common.topics import ensure_topics
from ksd_contracts import labels
from ksd_contracts.envelope import GENESIS_HASH, Envelope
from ksd_contracts.events import CREDENTIAL_ISSUED, CREDENTIAL_REVOKED, CredentialIssued, CredentialRevoked
from ksd_contracts.topics import CREDENTIALS


async def issue_tokens(bindings: list[tuple[str, str | None, str | None]]) -> list[str]:
    """Announce new credentials (role, region, label) on ksd.admin.credentials; return the tokens.

    Only the hashes leave this process; each token is printed once and stored nowhere. The
    services learn the hashes from the topic within a moment (`wait_until_known`).
    """
    for role, region, _ in bindings:
        if problem := check_binding(role, region):
            raise ValueError(problem)
    producer = AIOKafkaProducer(**settings().kafka_options(), enable_idempotence=True, acks="all")
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
                raise TimeoutError(f"{probe} belum mengenal {len(waiting)} dari {len(tokens)} token"
                                   f" dalam {timeout} detik")
            await asyncio.sleep(0.1)


def create_token(args: argparse.Namespace) -> None:
    """`ksd admin token create`: print the new token, once."""
    print(asyncio.run(issue_tokens([(args.role, args.region, args.label)]))[0])


@dataclass
class IssuedToken:
    """A platform token as the credentials topic tells it: never the token, only its hash."""

    token_hash: str
    role: str
    region: str | None
    label: str | None
    issued_at: datetime
    revoked_at: datetime | None
    chain: tuple[int, str]
    """(sequence, hash) of its last event: the link a revocation chains to."""


async def issued_tokens() -> list[IssuedToken]:
    """Every platform token ever issued, oldest first, with its revocation if any: the topic read
    from its beginning to its end as it is now."""
    consumer = AIOKafkaConsumer(**settings().kafka_options(), enable_auto_commit=False)
    await consumer.start()
    tokens: dict[str, IssuedToken] = {}
    try:
        partition = TopicPartition(CREDENTIALS.name, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        while await consumer.position(partition) < end:
            for records in (await consumer.getmany(partition, timeout_ms=1000)).values():
                for record in records:
                    event = Envelope.from_kafka(record.headers, record.value)
                    link = (event.sequence or 1, event.hash or GENESIS_HASH)
                    if event.type == CREDENTIAL_ISSUED:
                        issued = CredentialIssued.model_validate(event.data)
                        tokens[issued.token_hash] = IssuedToken(issued.token_hash, issued.role, issued.region,
                                                                issued.label, event.time, None, link)
                    elif event.type == CREDENTIAL_REVOKED:
                        revoked = CredentialRevoked.model_validate(event.data)
                        if (known := tokens.get(revoked.token_hash)) is not None:
                            known.revoked_at, known.chain = known.revoked_at or event.time, link
    finally:
        await consumer.stop()
    return list(tokens.values())


def find_token(tokens: list[IssuedToken], prefix: str) -> IssuedToken:
    """The one token still in force whose hash starts with `prefix` (as `ksd admin token list` shows
    it); exits with the reason, in Indonesian, when there is none or more than one."""
    if len(prefix) < 8:
        sys.exit("ksd admin token: sebutkan paling sedikit 8 digit awal hash token (lihat `ksd admin token list`)")
    found = [t for t in tokens if t.token_hash.startswith(prefix.lower()) and t.revoked_at is None]
    if len(found) != 1:
        sys.exit(f"ksd admin token: {len(found)} token berlaku dengan hash berawalan {prefix}; harus tepat satu")
    return found[0]


async def revoke_tokens(revocations: list[tuple[IssuedToken, str]]) -> None:
    """Announce that these tokens stop working (reason `revoked` or `rotated`); every service
    refuses them once it has read the announcement, within a second or so."""
    producer = AIOKafkaProducer(**settings().kafka_options(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        sent = []
        for token, reason in revocations:
            sequence, previous = token.chain
            event = Envelope(
                source="/admin/cli", type=CREDENTIAL_REVOKED, subject=token.token_hash,
                correlationid=token.token_hash[:32],
                data=CredentialRevoked(token_hash=token.token_hash, reason=reason).model_dump(mode="json"),
            ).chained(sequence + 1, previous)
            record = event.to_kafka()
            sent.append(await producer.send(CREDENTIALS.name, record.value, key=record.key, headers=record.headers))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def list_tokens(args: argparse.Namespace) -> None:
    """`ksd admin token list`: the platform tokens in force (`--all`: the revoked ones too)."""
    tokens = [t for t in asyncio.run(issued_tokens()) if args.all or t.revoked_at is None]
    print(f"{'HASH':<12}  {'PERAN':<12}  {'WILAYAH':<8}  {'DITERBITKAN':<22}  {'STATUS':<32}  LABEL")
    for t in tokens:
        status = "berlaku" if t.revoked_at is None else f"dicabut {labels.moment(t.revoked_at, seconds=False)}"
        issued = labels.moment(t.issued_at, seconds=False)
        print(f"{t.token_hash[:12]:<12}  {t.role:<12}  {t.region or '-':<8}  {issued:<22}  {status:<32}"
              f"  {t.label or ''}")


def revoke_token(args: argparse.Namespace) -> None:
    """`ksd admin token revoke HASH`: the token stops working everywhere."""
    token = find_token(asyncio.run(issued_tokens()), args.hash)
    asyncio.run(revoke_tokens([(token, "revoked")]))
    print(f"token {token.token_hash[:12]} ({token.role} {token.region or '-'}) dicabut")


def rotate_token(args: argparse.Namespace) -> None:
    """`ksd admin token rotate HASH`: a new token for the same role, region and label is printed,
    once, and the old one is revoked (the node's idempotency keys carry over: they belong to the
    node, not to a token)."""
    old = find_token(asyncio.run(issued_tokens()), args.hash)

    async def rotate() -> str:
        [token] = await issue_tokens([(old.role, old.region, old.label)])
        await revoke_tokens([(old, "rotated")])
        return token

    print(asyncio.run(rotate()))


def create_topics(args: argparse.Namespace) -> None:
    """`ksd admin topics`: create the registry's missing topics."""
    print("\n".join(asyncio.run(ensure_topics())) or "semua topik sudah ada")
