"""Keycloak's tokens (OpenID Connect): a person signed in to the realm `ksd`, or a region's own
system on the client-credentials grant, calls the platform with the access token Keycloak gave it.

A token is accepted when its signature verifies against the realm's published keys (JWKS, fetched
once and again only for a key id not seen yet), it names the realm as issuer and the platform as
audience, and it has not expired. Revocation: a signature cannot say that a session was ended or
a client disabled since the token was issued, and access tokens live 5 minutes (the realm's
`accessTokenLifespan`). So each token is also introspected at Keycloak, and the answer is reused for
`oidc_recheck_seconds` (5 s): a revoked session, a disabled user or client stops working on every
service within those seconds, at the cost of one call to Keycloak per token and service every 5 s,
not one per request. Shorter token lifetimes alone would have to be seconds long to do the same,
and every client would then refresh that often.

What the token may do is read from its claims by `caller_from_claims`, the one place that maps
Keycloak's realm roles and the `region` claim onto a `Caller`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

import httpx
import jwt

from ksd_common.credentials import ROLES, Caller, Role, check_binding
from ksd_common.problems import Problem, forbidden
from ksd_common.settings import Settings
from ksd_contracts.language import Words, say

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"]
KEY_REFETCH_SECONDS = 30.0
"""An unknown key id fetches the realm's keys again at most this often (a rotated realm key is
learned at once; a forged key id does not make every request call Keycloak)."""
MACHINE_PREFIX = "service-account-"
"""Keycloak names the user behind a client's client-credentials grant `service-account-<client id>`."""


def looks_like_jwt(token: str) -> bool:
    """Keycloak's tokens are JWTs (three dot-separated parts); the platform's own start `ksd_`."""
    return token.count(".") == 2


def unauthenticated(code: str, detail: str) -> Problem:
    return Problem(401, "unauthenticated", say("Token tidak dapat diterima", "The token is not accepted"), detail,
                   code=code,
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    """The caller a verified token stands for: exactly one of the platform's roles among its realm
    roles, the region it is bound to (the user's `region` attribute, or the machine client's), and
    who it is. A token with no role or two, or a region its role cannot be bound to, is a 403."""
    realm_roles = claims.get("realm_access", {}).get("roles", [])
    roles: list[Role] = [r for r in ROLES if r in realm_roles]
    if len(roles) != 1:
        raise forbidden(say("akun ini harus memiliki tepat satu peran KSD (regency, province, directorate, auditor,"
                            f" region_admin); ia memiliki {len(roles)}",
                            "this account must have exactly one KSD role (regency, province, directorate, auditor,"
                            f" region_admin); it has {len(roles)}"))
    role, region = roles[0], claims.get("region") or None
    if (problem := check_binding(role, region)) is not None:
        raise forbidden(say(f"akun {role} wilayah {region or '-'} tidak sah: {problem}",
                            f"the {role} account of region {region or '-'} is not valid: {problem}"))
    username = str(claims.get("preferred_username") or claims.get("sub"))
    client = str(claims.get("azp") or claims.get("client_id") or "")
    if client and username == MACHINE_PREFIX + client:
        return Caller(role, region, f"machine:{client}")
    return Caller(role, region, f"person:{username}")


class OidcVerifier:
    """Checks Keycloak's access tokens for one service: keys and introspection answers cached."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(timeout=5)
        self.keys: dict[str, jwt.PyJWK] = {}
        self.keys_fetched_at = float("-inf")
        self.checked: dict[str, tuple[float, bool]] = {}
        """Token digest → (until when the answer holds, whether Keycloak said it is active)."""

    async def close(self) -> None:
        await self.client.aclose()

    async def caller(self, token: str) -> Caller:
        """The caller of a Keycloak token, or a 401 saying why it is not accepted (503 while
        Keycloak cannot be asked)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise unauthenticated("auth.token_malformed", say("Token bukan JWT yang dapat dibaca.",
                                                              "The token is no readable JWT.")) from None
        key = await self._key(str(kid))
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=ALGORITHMS, audience=self.settings.oidc_audience,
                issuer=self.settings.oidc_issuer, leeway=5, options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise unauthenticated("auth.token_expired", say("Token sudah kedaluwarsa; minta token baru.",
                                                            "The token has expired; ask for a new one.")) from None
        except jwt.InvalidAudienceError:
            raise unauthenticated("auth.token_audience",
                                  say(f"Token tidak diterbitkan untuk {self.settings.oidc_audience}.",
                                      f"The token was not issued for {self.settings.oidc_audience}.")) from None
        except jwt.InvalidIssuerError:
            raise unauthenticated("auth.token_issuer",
                                  say(f"Token tidak diterbitkan oleh {self.settings.oidc_issuer}.",
                                      f"The token was not issued by {self.settings.oidc_issuer}.")) from None
        except jwt.PyJWTError as error:
            raise unauthenticated("auth.token_invalid", say(f"Token tidak sah: {error}.",
                                                            f"The token is not valid: {error}.")) from None
        if claims.get("typ") != "Bearer":  # an ID or refresh token is no access token
            raise unauthenticated("auth.token_type", say(
                "Yang dikirim bukan access token; kirim access token Keycloak.",
                "This is no access token; send a Keycloak access token."))
        if not await self._active(token):
            raise unauthenticated("auth.token_revoked",
                                  say("Sesi atau kredensial token ini sudah dicabut atau dinonaktifkan.",
                                      "The session or credentials of this token were revoked or disabled."))
        return caller_from_claims(claims)

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self.keys and time.monotonic() - self.keys_fetched_at > KEY_REFETCH_SECONDS:
            document = await self._ask("GET", "/protocol/openid-connect/certs")
            self.keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(document).keys if k.key_id}
            self.keys_fetched_at = time.monotonic()
        if kid not in self.keys:
            raise unauthenticated("auth.token_key", say("Token ditandatangani dengan kunci yang tidak dikenal realm.",
                                                        "The token is signed with a key the realm does not know."))
        return self.keys[kid]

    async def _active(self, token: str) -> bool:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        if (known := self.checked.get(digest)) is not None and known[0] > now:
            return known[1]
        answer = await self._ask("POST", "/protocol/openid-connect/token/introspect", data={"token": token})
        active = answer.get("active") is True
        if len(self.checked) > 10_000:  # forget the answers no longer used
            self.checked = {d: a for d, a in self.checked.items() if a[0] > now}
        self.checked[digest] = (now + self.settings.oidc_recheck_seconds, active)
        return active

    async def _ask(self, method: str, path: str, data: dict[str, str] | None = None) -> dict[str, Any]:
        """One call to the realm; 503 when Keycloak does not answer (nothing was done: resend)."""
        url = self.settings.oidc_realm_url + path
        auth = (self.settings.oidc_client_id, self.settings.oidc_client_secret) if data is not None else None
        try:
            response = await self.client.request(method, url, data=data, auth=auth)
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            return answer
        except (httpx.HTTPError, ValueError) as error:
            raise identity_provider_unavailable(error) from None


RESEND = Words("kirim ulang permintaan yang sama sebentar lagi", "send the same request again shortly")


def identity_provider_unavailable(error: Exception, remedy: Words = RESEND) -> Problem:
    """503 while Keycloak does not answer (or refuses the platform's own client): nothing was done,
    and `remedy` says what the reader does about it."""
    name = type(error).__name__
    return Problem(503, "identity-provider-unavailable",
                   say("Penyedia identitas sedang tidak tersedia", "The identity provider is unavailable"),
                   say(f"Keycloak tidak dapat ditanya ({name}); {remedy.id}.",
                       f"Keycloak cannot be asked ({name}); {remedy.en}."),
                   code="auth.identity_provider_unavailable", headers={"Retry-After": "5"})
