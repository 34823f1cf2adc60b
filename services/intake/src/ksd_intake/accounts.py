"""A region's administrator manages the operator accounts of their own region, through the platform:
intake calls Keycloak's admin API as the platform's own client (`ksd-platform`, whose service
account may manage users), and decides here what the administrator may touch, so an
administrator never holds Keycloak rights of their own.

The scope is the administrator's region, and only it: they list, create and revoke accounts whose
`region` attribute is theirs and whose role is their region's operator role (`province` for a
province, `regency` for a regency/city). Another region's account, or an administrator's, is the
same 404 as a username that does not exist. Revoking disables the account and ends its sessions,
so its tokens are refused everywhere within `oidc_recheck_seconds`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from ksd_common.auth import CallerDep
from ksd_common.credentials import Caller
from ksd_common.keycloak import KeycloakAdmin, operator_role
from ksd_common.problems import Problem, forbidden, not_found
from ksd_contracts.language import Words, say

USERNAME = r"^[a-z0-9][a-z0-9._-]{2,59}$"
router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class NewOperator(BaseModel):
    """An operator account a region administrator creates for their own region."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=USERNAME, description="Nama pengguna: huruf kecil, angka, titik, garis.")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200)
    password: str = Field(min_length=12, max_length=200, description="Kata sandi awal, paling sedikit 12 karakter.")
    temporary: bool = Field(default=True, description="Harus diganti pada masuk pertama.")


class Operator(BaseModel):
    username: str
    first_name: str
    last_name: str
    email: str | None
    role: str
    region: str
    enabled: bool


async def administrator(caller: CallerDep) -> Caller:
    """Only a region administrator manages accounts, and only their region's."""
    if caller.role != "region_admin" or caller.region is None:
        raise forbidden(say(f"peran {caller.role} tidak mengelola akun; hanya administrator daerah (region_admin)",
                            f"the {caller.role} role does not manage accounts; only a region administrator does"))
    return caller


Administrator = Annotated[Caller, Depends(administrator)]


KEYCLOAK = KeycloakAdmin(Words("tidak ada akun yang berubah; kirim ulang sebentar lagi",
                               "no account was changed; send it again shortly"))


def _operator(user: dict[str, Any], code: str) -> Operator:
    return Operator(username=user["username"], first_name=user.get("firstName", ""),
                    last_name=user.get("lastName", ""), email=user.get("email"), role=operator_role(code), region=code,
                    enabled=user.get("enabled", False))


ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or unknown token"}, 403: {"description": "Not a region administrator"},
    503: {"description": "Keycloak does not answer; nothing changed"},
}


@router.get("", responses=ANSWERS)
async def list_operators(admin: Administrator) -> list[Operator]:
    """The operator accounts of the administrator's region."""
    assert admin.region is not None
    return [_operator(user, admin.region) for user in await KEYCLOAK.operators(admin.region)]


@router.post("", status_code=201, responses={**ANSWERS, 409: {"description": "Username taken"},
                                              422: {"description": "Invalid field"}})
async def create_operator(admin: Administrator, new: NewOperator) -> Operator:
    """A new operator of the administrator's region, with its region's operator role."""
    assert admin.region is not None
    role = operator_role(admin.region)
    created = await KEYCLOAK.request("POST", "/users", json={
        "username": new.username, "enabled": True, "firstName": new.first_name, "lastName": new.last_name,
        "email": new.email, "emailVerified": False, "attributes": {"region": [admin.region]},
        "credentials": [{"type": "password", "value": new.password, "temporary": new.temporary}]})
    if created.status_code == 409:
        raise Problem(409, "account-exists", say("Akun sudah ada", "The account exists"),
                      say(f"Nama pengguna atau surel {new.username} sudah dipakai; pilih yang lain.",
                          f"The username or email {new.username} is taken; choose another."),
                      code="account.username_taken")
    if created.status_code != 201:
        raise Problem(422, "validation", say("Akun tidak dapat dibuat", "The account cannot be made"),
                      say(f"Keycloak menolak akun ini: {created.text[:200]}",
                          f"Keycloak refused this account: {created.text[:200]}"),
                      code="account.refused")
    user = f"/users/{created.headers['location'].rsplit('/', 1)[-1]}"
    try:
        # The roles this user may be given, as the platform's client sees them (it needs no right to
        # read the realm's configuration).
        available = (await KEYCLOAK.request("GET", f"{user}/role-mappings/realm/available")).json()
        await KEYCLOAK.request("POST", f"{user}/role-mappings/realm", json=[r for r in available if r["name"] == role])
        return _operator((await KEYCLOAK.request("GET", user)).json(), admin.region)
    except Problem:
        await KEYCLOAK.request("DELETE", user)  # no account without its role is left behind
        raise


@router.delete("/{username}", status_code=204, responses={**ANSWERS, 404: {"description": "No such account here"}})
async def revoke_operator(admin: Administrator, username: Annotated[str, Path(pattern=USERNAME)]) -> Response:
    """Revoke an operator of the administrator's region: the account is disabled and its sessions
    ended, so its tokens stop working everywhere within seconds. The account stays, for the record
    of who acted."""
    assert admin.region is not None
    found = [user for user in await KEYCLOAK.operators(admin.region) if user["username"] == username]
    if not found:
        raise not_found(say(f"Tidak ada akun operator {username} di wilayah {admin.region}.",
                            f"There is no operator account {username} in region {admin.region}."))
    user = found[0]
    await KEYCLOAK.request("PUT", f"/users/{user['id']}", json=user | {"enabled": False})
    await KEYCLOAK.request("POST", f"/users/{user['id']}/logout")
    return Response(status_code=204)
