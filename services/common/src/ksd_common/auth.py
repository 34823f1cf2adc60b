"""Who is calling: bearer tokens issued by `ksd admin token create`, known by their SHA-256 only.

Tokens are announced on `ksd.admin.credentials`; each HTTP service keeps its own copy of the hashes
(no service reads another's tables). No token: 401; a role or region that may not: 403.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

import asyncpg
from fastapi import Request

from ksd_common.problems import Problem
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import CREDENTIAL_ISSUED, CredentialIssued
from ksd_contracts.regions import in_scope, region

Role = Literal["regency", "province", "directorate", "auditor"]
ROLES: tuple[Role, ...] = ("regency", "province", "directorate", "auditor")


@dataclass(frozen=True, slots=True)
class Caller:
    token_hash: str
    role: Role
    region: str | None

    @property
    def node(self) -> str:
        """The submitting node; idempotency keys are scoped to it, so a node's tokens (rotated, or
        held by two of its systems) share them."""
        return f"{self.role}:{self.region or '-'}"

    @property
    def submits(self) -> bool:
        return self.role in ("regency", "province")

    def may_read(self, code: str) -> bool:
        """The directorate and auditors read the nation; a node its own region (a province, its regions too)."""
        return self.region is None or in_scope(self.region, code)


def new_token() -> tuple[str, str]:
    """(token, its hash): the token is shown once; only the hash is kept anywhere."""
    token = "ksd_" + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_binding(role: str, region_code: str | None) -> str | None:
    """Why a role cannot be bound to that region, or None when it can."""
    if role not in ROLES:
        return f"role must be one of {', '.join(ROLES)}"
    if role in ("directorate", "auditor"):
        return "the directorate and auditors are not bound to a region" if region_code else None
    found = region(region_code or "")
    if found is None:
        return f"a {role} token needs the code of its region"
    if role == "province" and not found.is_province:
        return f"{region_code} is not a province"
    if role == "regency" and (found.is_province or not found.autonomous):
        return f"{region_code} is not an autonomous regency/city"
    return None


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
