"""What a verified Keycloak token may do, read from its claims (`ksd_common.oidc.caller_from_claims`),
and what a service answers while Keycloak cannot be asked."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from ksd_common.oidc import OidcVerifier, caller_from_claims
from ksd_common.problems import Problem
from ksd_common.settings import Settings


def _claims(roles: list[str], region: str | None, username: str, azp: str = "ksd-workspace") -> dict[str, Any]:
    claims: dict[str, Any] = {"realm_access": {"roles": ["default-roles-ksd", "offline_access", *roles]},
                              "preferred_username": username, "azp": azp, "sub": "f2b0"}
    return claims | ({"region": region} if region else {})


def test_a_person_keeps_role_region_and_username() -> None:
    caller = caller_from_claims(_claims(["regency"], "74.71", "operator.kendari"))
    assert (caller.role, caller.region, caller.actor) == ("regency", "74.71", "person:operator.kendari")
    assert caller.submits and caller.may_read("74.71") and not caller.may_read("74.02")


def test_a_machine_is_named_by_its_client() -> None:
    caller = caller_from_claims(_claims(["province"], "74", "service-account-sikerja-74", azp="sikerja-74"))
    assert (caller.role, caller.region, caller.actor) == ("province", "74", "machine:sikerja-74")


def test_a_region_administrator_reads_its_region_and_submits_nothing() -> None:
    caller = caller_from_claims(_claims(["region_admin"], "74.71", "admin.kendari"))
    assert caller.may_read("74.71") and not caller.may_read("74") and not caller.submits


def test_the_nations_readers_are_bound_to_no_region() -> None:
    assert caller_from_claims(_claims(["auditor"], None, "bpk")).may_read("53.71")
    with pytest.raises(Problem) as refused:
        caller_from_claims(_claims(["directorate"], "74", "ditjen"))
    assert refused.value.status == 403


@pytest.mark.parametrize("roles, region", [([], "74.71"), (["regency", "province"], "74.71"),
                                           (["regency"], "74"), (["regency"], None), (["province"], "74.71")])
def test_no_role_two_roles_or_a_region_the_role_cannot_have_is_refused(roles: list[str], region: str | None) -> None:
    with pytest.raises(Problem) as refused:
        caller_from_claims(_claims(roles, region, "someone"))
    assert refused.value.status == 403


async def test_while_keycloak_cannot_be_asked_a_token_gets_a_503_not_a_500() -> None:
    verifier = OidcVerifier(Settings(oidc_url="http://127.0.0.1:9/realms/ksd"))  # nothing listens on port 9
    token = jwt.encode({"sub": "x"}, "secret-of-no-one-32-bytes-long!!", algorithm="HS256", headers={"kid": "k1"})
    try:
        with pytest.raises(Problem) as answer:
            await verifier.caller(token)
    finally:
        await verifier.close()
    assert answer.value.status == 503 and answer.value.code == "auth.identity_provider_unavailable"
