"""Every submission type through POST /v1/submissions on the real broker and database, for each
submitting role: a valid one is accepted and published on its stream; an invalid one is a
problem+json naming the field, and nothing is written."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from conftest import Platform, header
from intake_examples import Example, examples

from ksd_common.auth import in_scope_sql
from ksd_contracts.regions import in_scope, regions
from ksd_contracts.submissions import SUBMISSION_MODELS, VERIFICATION_SUBMISSIONS
from ksd_contracts.topics import SUBMISSIONS

NODES = {"regency": ("64.72", "64.71"), "province": ("64", "63")}  # (own region, a partner)
TYPES = [t for t in SUBMISSION_MODELS if t != "agreement.correct"]
SUBMITTED = [(role, t) for role in NODES for t in TYPES if role == "province" or t not in VERIFICATION_SUBMISSIONS]
"""What each node may submit: a verdict (verify, return) only a province gives."""


@pytest.fixture(scope="module")
async def tokens(platform: Platform) -> dict[str, str]:
    return {role: await platform.token(role, own) for role, (own, _) in NODES.items()}


async def post(platform: Platform, token: str, body: Any, key: str | None = None,
               path: str = "/v1/submissions") -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{platform.url['intake']}{path}", json=body, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": key or str(uuid4())})


async def written(platform: Platform) -> tuple[int, int]:
    """(submissions, outbox rows ever chained) in intake's database."""
    conn = await platform.database("intake")
    try:
        return (await conn.fetchval("SELECT count(*) FROM submissions"),
                await conn.fetchval("SELECT coalesce(sum(sequence), 0) FROM chain_heads"))
    finally:
        await conn.close()


def example(role: str, type: str, agreement: UUID) -> Example:
    own, partner = NODES[role]
    return examples(own, partner, agreement)[type]


@pytest.mark.parametrize(("role", "type"), SUBMITTED)
async def test_a_valid_submission_is_accepted_and_published_on_its_stream(
    platform: Platform, tokens: dict[str, str], tail: Any, role: str, type: str
) -> None:
    submissions = await tail(SUBMISSIONS.name)
    agreement = uuid4()
    response = await post(platform, tokens[role], {"type": type, "data": example(role, type, agreement).valid})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted"
    [record] = await submissions.wait_for(lambda r: header(r, "ce_id") == accepted["id"])
    event = json.loads(record.value)
    expected_key = NODES[role][0] if type.startswith("region.") else event["agreement_id"]
    assert record.key == expected_key.encode()
    assert event["submission_type"] == type and event["region"] == NODES[role][0]
    if type.startswith("region."):
        assert event["agreement_id"] is None
    elif type != "agreement.propose":
        assert event["agreement_id"] == str(agreement)
    if type == "agreement.extend":
        assert UUID(event["payload"]["new_agreement_id"]) != agreement  # intake assigned it


@pytest.mark.parametrize("type", TYPES)
@pytest.mark.parametrize("role", list(NODES))
async def test_an_invalid_submission_names_its_field_and_writes_nothing(
    platform: Platform, tokens: dict[str, str], role: str, type: str
) -> None:
    case = example(role, type, uuid4())
    before = await written(platform)
    response = await post(platform, tokens[role], {"type": type, "data": case.invalid})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].endswith("/validation")
    assert case.invalid_field in {".".join(map(str, e["loc"])) for e in problem["errors"]}
    assert all(e["code"] and e["msg"] for e in problem["errors"])
    assert await written(platform) == before


async def test_a_correction_is_checked_against_the_submission_it_supersedes(
    platform: Platform, tokens: dict[str, str]
) -> None:
    token = tokens["regency"]
    agreement = uuid4()
    review = example("regency", "agreement.record_tkksd_review", agreement).valid
    first = (await post(platform, token, {"type": "agreement.record_tkksd_review", "data": review})).json()

    def correction(supersedes: str, data: dict[str, Any], of: UUID = agreement) -> dict[str, Any]:
        return {"type": "agreement.correct", "data": {"agreement_id": str(of), "supersedes": supersedes,
                                                      "reason": "Tanggal salah ketik", "data": data}}

    good = await post(platform, token, correction(first["id"], {**review, "reviewed_on": "2024-07-11"}))
    assert good.status_code == 202, good.text
    cases = [
        (correction(str(uuid4()), review), "body.data.supersedes", "supersedes_unknown"),
        (correction(first["id"], review, of=uuid4()), "body.data.supersedes", "supersedes_other_agreement"),
        (correction(first["id"], {**review, "feasible": "entah"}), "body.data.data.feasible", "bool_parsing"),
        (correction(first["id"], {**review, "reviewed_on": "2999-01-01"}), "body.data.data.reviewed_on", "value_error"),
    ]
    for body, field, code in cases:
        before = await written(platform)
        response = await post(platform, token, body)
        assert response.status_code == 422, response.text
        assert {(".".join(map(str, e["loc"])), e["code"]) for e in response.json()["errors"]} >= {(field, code)}
        assert await written(platform) == before


async def test_the_same_key_answers_the_same_and_another_body_is_409(
    platform: Platform, tokens: dict[str, str]
) -> None:
    token, key = tokens["regency"], str(uuid4())
    body: dict[str, Any] = {"type": "agreement.propose", "data": example("regency", "agreement.propose", uuid4()).valid}
    first, again = [await post(platform, token, body, key) for _ in range(2)]
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    other = await post(platform, token, {**body, "data": {**body["data"], "title": "Judul lain sama sekali"}}, key)
    assert other.status_code == 409 and other.json()["type"].endswith("/idempotency-conflict")


async def test_two_concurrent_requests_with_one_key_make_one_submission(
    platform: Platform, tokens: dict[str, str]
) -> None:
    token, key = tokens["province"], str(uuid4())
    neighbours = example("province", "region.declare_neighbours", uuid4())
    body = {"type": neighbours.type, "data": neighbours.valid}
    before = await written(platform)
    answers = await asyncio.gather(*(post(platform, token, body, key) for _ in range(8)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await written(platform) == (before[0] + 1, before[1] + 1)


async def test_concurrent_single_submissions_of_several_nodes_are_each_answered_as_alone(
    platform: Platform, tokens: dict[str, str]
) -> None:
    """Single POSTs arriving together share a transaction (intake's group commit): each is still
    answered as it would be alone, a key reused with another body is a 409 for that request only,
    and every accepted one is recorded, with its event chained on its stream, when its 202 comes."""
    proposals = [{"type": "agreement.propose", "data": example(role, "agreement.propose", uuid4()).valid}
                 for role in ("regency", "province") for _ in range(6)]
    one_key = str(uuid4())
    proposal = example("regency", "agreement.propose", uuid4()).valid
    first = {"type": "agreement.propose", "data": proposal}
    second = {"type": "agreement.propose", "data": {**proposal, "title": "Judul lain sama sekali"}}
    before = await written(platform)
    fresh, contested = await asyncio.gather(
        asyncio.gather(*(post(platform, tokens["province" if i >= 6 else "regency"], body)
                         for i, body in enumerate(proposals))),
        asyncio.gather(*(post(platform, tokens["regency"], body, one_key) for body in (first, second) * 3)),
    )
    assert [a.status_code for a in fresh] == [202] * len(proposals)
    assert len({a.json()["id"] for a in fresh}) == len(proposals)
    by_body = {status: {json.dumps(body, sort_keys=True) for a, body in zip(contested, (first, second) * 3,
                                                                             strict=True) if a.status_code == status}
               for status in (202, 409)}
    assert len(by_body[202]) == 1 and len(by_body[409]) == 1, [a.status_code for a in contested]
    assert len({a.json()["id"] for a in contested if a.status_code == 202}) == 1
    conn = await platform.database("intake")
    try:
        ids = [UUID(a.json()["id"]) for a in fresh]
        recorded = await conn.fetch("SELECT s.id, h.sequence FROM submissions s JOIN chain_heads h"
                                    " ON h.subject = s.subject WHERE s.id = ANY($1::uuid[])", ids)
    finally:
        await conn.close()
    assert sorted(r["id"] for r in recorded) == sorted(ids) and {r["sequence"] for r in recorded} == {1}
    assert await written(platform) == (before[0] + len(proposals) + 1, before[1] + len(proposals) + 1)


@pytest.mark.parametrize(("body", "status", "kind"), [
    (b"{not json", 400, "malformed-json"),
    (b'{"type": "agreement.propose", "data": {"title": "' + b"x" * 300_000 + b'"}}', 413, "too-large"),
])
async def test_malformed_or_oversized_bodies(
    platform: Platform, tokens: dict[str, str], body: bytes, status: int, kind: str
) -> None:
    before = await written(platform)
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{platform.url['intake']}/v1/submissions", content=body, headers={
            "Authorization": f"Bearer {tokens['regency']}", "Idempotency-Key": str(uuid4()),
            "Content-Type": "application/json"})
    assert response.status_code == status and response.json()["type"].endswith(kind)
    assert response.headers["content-type"] == "application/problem+json"
    assert await written(platform) == before


async def test_a_provinces_list_pages_its_own_and_its_regencies_submissions_newest_first(
    platform: Platform, tokens: dict[str, str]
) -> None:
    """`GET /v1/submissions` of a province (Kalimantan Timur, 64): its own and its regencies' and
    cities' (Kota Balikpapan, 64.71; Kota Samarinda, 64.72), newest first, page after page, and
    none of another province's (Kalimantan Selatan, 63), as the database holds them."""
    others = {"64.71": await platform.token("regency", "64.71"), "63": await platform.token("province", "63")}
    senders = [("province", "64", tokens["province"]), ("regency", "64.72", tokens["regency"]),
               ("regency", "64.71", others["64.71"]), ("province", "63", others["63"])]
    for _ in range(3):
        for _, own, token in senders:
            body = {"type": "agreement.propose", "data": examples(own, "65", uuid4())["agreement.propose"].valid}
            assert (await post(platform, token, body)).status_code == 202
    conn = await platform.database("intake")
    try:
        expected = [str(r["id"]) for r in await conn.fetch(
            "SELECT id FROM submissions WHERE region = '64' OR region LIKE '64.%' ORDER BY accepted_at DESC, id DESC")]
    finally:
        await conn.close()
    listed: list[dict[str, Any]] = []
    cursor: str | None = None
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {tokens['province']}"}) as client:
        while True:
            page = (await client.get(f"{platform.url['intake']}/v1/submissions",
                                     params={"limit": "4", **({"cursor": cursor} if cursor else {})})).json()
            listed += page["items"]
            if (cursor := page["next_cursor"]) is None:
                break
    assert [item["id"] for item in listed] == expected
    regions = {item["region"] for item in listed}
    assert {"64", "64.71", "64.72"} <= regions and all(r == "64" or r.startswith("64.") for r in regions)


async def test_the_scope_in_sql_is_the_contracts_scope(platform: Platform) -> None:
    """`ksd_common.auth.in_scope_sql`, which intake's lists and reporting's inbox filter by, holds
    for exactly the codes `ksd_contracts.regions.in_scope` takes, for every province's and a
    regency's scope, over every region code and codes that only look alike."""
    codes = [*regions(), "6", "640", "64.", "6471", "64.71.01", "x64.71"]
    scopes = [code for code, r in regions().items() if r.is_province] + ["64.71", "11.01"]
    conn = await platform.database("intake")
    try:
        for scope in scopes:
            taken = await conn.fetch(f"SELECT code FROM unnest($1::text[]) AS t(code)"
                                     f" WHERE {in_scope_sql('code', '$2', scope)}", codes, scope)
            assert sorted(r["code"] for r in taken) == sorted(c for c in codes if in_scope(scope, c)), scope
    finally:
        await conn.close()
