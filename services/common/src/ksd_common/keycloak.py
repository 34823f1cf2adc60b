"""Keycloak's admin API for the realm `ksd`, as the platform's own client (`ksd-platform`, whose
service account may manage users): intake manages a region's operator accounts through it, and
reporting finds the addresses its reminders are mailed to (a region's operators)."""

from __future__ import annotations

import time
from typing import Any, Literal

import httpx

from ksd_common.oidc import RESEND, identity_provider_unavailable
from ksd_common.problems import Problem
from ksd_common.settings import settings
from ksd_contracts.language import Words
from ksd_contracts.regions import region


def operator_role(code: str) -> Literal["province", "regency"]:
    """The role of a region's operators: its region's kind."""
    found = region(code)
    return "province" if found is not None and found.is_province else "regency"


class KeycloakAdmin:
    """Keycloak's admin API for the realm, as the platform's client (its token cached until near expiry)."""

    def __init__(self, unavailable: Words = RESEND) -> None:
        self.client = httpx.AsyncClient(timeout=10)
        self.token: tuple[float, str] | None = None
        self.unavailable = unavailable
        """What the caller is told to do when Keycloak does not answer."""

    @property
    def base(self) -> str:
        return settings().oidc_realm_url.replace("/realms/", "/admin/realms/", 1)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(method, self.base + path, headers=await self._headers(), **kwargs)
        except httpx.HTTPError as error:
            raise self._unavailable(error) from None
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise self._unavailable(RuntimeError(f"{response.status_code} {response.text[:200]}"))
        return response

    async def _headers(self) -> dict[str, str]:
        if self.token is None or self.token[0] < time.monotonic():
            s = settings()
            try:
                response = await self.client.post(
                    f"{s.oidc_realm_url}/protocol/openid-connect/token", data={"grant_type": "client_credentials"},
                    auth=(s.oidc_client_id, s.oidc_client_secret))
                response.raise_for_status()
            except httpx.HTTPError as error:
                raise self._unavailable(error) from None
            answer = response.json()
            self.token = (time.monotonic() + answer["expires_in"] - 30, answer["access_token"])
        return {"Authorization": f"Bearer {self.token[1]}"}

    def _unavailable(self, error: Exception) -> Problem:
        return identity_provider_unavailable(error, self.unavailable)

    async def operators(self, code: str) -> list[dict[str, Any]]:
        """The accounts of `code`'s operators (its region's operator role), administrators left out."""
        users = (await self.request("GET", "/users", params={"q": f"region:{code}", "max": 500,
                                                             "briefRepresentation": "false"})).json()
        wanted = operator_role(code)
        found: list[dict[str, Any]] = []
        for user in users:
            if (user.get("attributes") or {}).get("region") != [code]:
                continue  # `q` matches by substring on some versions: 74.7 would find 74.71
            roles = {r["name"] for r in (await self.request("GET", f"/users/{user['id']}/role-mappings/realm")).json()}
            if wanted in roles and "region_admin" not in roles:
                found.append(user)
        return found

