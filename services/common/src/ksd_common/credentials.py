"""Who a token stands for: roles, the caller, new tokens and their SHA-256, and which region a role
may be bound to. Pure (no FastAPI, no database), so `ksd admin token create` imports it without
the HTTP stack; `ksd_common.auth` answers requests with it, for the platform's own tokens and for
Keycloak's alike (`ksd_common.oidc`)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ksd_contracts.language import say
from ksd_contracts.regions import in_scope, region

Role = Literal["regency", "province", "directorate", "auditor", "region_admin"]
ROLES: tuple[Role, ...] = ("regency", "province", "directorate", "auditor", "region_admin")
"""`region_admin`: a region's administrator, who manages its operators' accounts (in Keycloak) and
reads its region like its operators do, but submits nothing."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the role and region decide what they may do; `actor` records who acted
    (`person:<username>`, `machine:<client id>`, or `token:<hash prefix>` for a platform token)."""

    role: Role
    region: str | None
    actor: str

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

    def may_read_any(self, codes: Iterable[str]) -> bool:
        """A resource of several regions (an agreement's parties) is read by a caller who reads one
        of them; one of no region (none recorded) by the nation's readers only."""
        return self.region is None or any(in_scope(self.region, c) for c in codes)


def new_token() -> tuple[str, str]:
    """(token, its hash): the token is shown once; only the hash is kept anywhere."""
    token = "ksd_" + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_actor(digest: str) -> str:
    """Who acted with a platform token: its hash's first 12 hex digits, as `ksd admin token list`
    shows them (the token itself is never recorded)."""
    return f"token:{digest[:12]}"


def check_binding(role: str, region_code: str | None) -> str | None:
    """Why a role cannot be bound to that region, or None when it can."""
    if role not in ROLES:
        return say(f"peran harus salah satu dari {', '.join(ROLES)}", f"role must be one of {', '.join(ROLES)}")
    if role in ("directorate", "auditor"):
        return say("direktorat dan auditor tidak terikat pada wilayah",
                   "the directorate and auditors are not bound to a region") if region_code else None
    found = region(region_code or "")
    if found is None:
        return say(f"token {role} memerlukan kode wilayahnya", f"a {role} token needs the code of its region")
    if role == "province" and not found.is_province:
        return say(f"{region_code} bukan provinsi", f"{region_code} is not a province")
    if role == "regency" and (found.is_province or not found.autonomous):
        return say(f"{region_code} bukan kabupaten/kota otonom", f"{region_code} is not an autonomous regency/city")
    if role == "region_admin" and not (found.is_province or found.autonomous):
        return say(f"{region_code} bukan provinsi atau kabupaten/kota otonom",
                   f"{region_code} is not a province or an autonomous regency/city")
    return None
