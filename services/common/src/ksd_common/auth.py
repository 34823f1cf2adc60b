"""Who is calling: bearer tokens issued by `ksd admin token create`, known by their SHA-256 only.

Tokens are announced on `ksd.admin.credentials`; each HTTP service keeps its own copy of the hashes
(no service reads another's tables). No token: 401; a role or region that may not: 403. The pure
part (roles, `Caller`, hashing) is `ksd_common.credentials`; this module is the HTTP dependency and
the consumer of the credentials topic.
"""

from __future__ import annotations

import asyncpg
from fastapi import Request

from ksd_common.credentials import Caller, token_hash
from ksd_common.problems import Problem
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import CREDENTIAL_ISSUED, CredentialIssued


async def apply_credentials(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Consumer of ksd.admin.credentials: keep the hashes this service answers to."""
    for event in events:
        if event.type == CREDENTIAL_ISSUED:
            issued = CredentialIssued.model_validate(event.data)
            await conn.execute(
                "INSERT INTO credentials (token_hash, role, region, label, issued_at) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (token_hash) DO NOTHING",
                issued.token_hash, issued.role, issued.region, issued.label, event.time,
            )


async def authenticate(request: Request) -> Caller:
    """The caller of this request, or a 401 problem."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthenticated", "Authentication required",
                      "Send Authorization: Bearer <token> (issued by `ksd admin token create`).",
                      headers={"WWW-Authenticate": "Bearer"})
    pool: asyncpg.Pool = request.app.state.pool
    row = await pool.fetchrow(
        "SELECT token_hash, role, region FROM credentials WHERE token_hash = $1 AND revoked_at IS NULL",
        token_hash(token.strip()),
    )
    if row is None:
        raise Problem(401, "unauthenticated", "Unknown token", "The token is unknown or revoked.",
                      headers={"WWW-Authenticate": "Bearer"})
    return Caller(row["token_hash"], row["role"], row["region"])
