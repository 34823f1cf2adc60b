"""POST /v1/submissions/batch for machine clients: per-item answers in order, with the same
statuses and error codes as single submissions; valid items recorded together."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from conftest import Platform, header
from intake_examples import examples
from test_intake_submissions import post, written

from ksd_contracts.topics import SUBMISSIONS


@pytest.fixture(scope="module")
async def samarinda(platform: Platform) -> str:
    return await platform.token("regency", "64.72")


def item(type: str, data: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    return {"idempotency_key": key or str(uuid4()), "type": type, "data": data}


async def test_a_batch_answers_each_item_in_order(platform: Platform, samarinda: str, tail: Any) -> None:
    submissions = await tail(SUBMISSIONS.name)
    table = examples("64.72", "64.71", uuid4())
    repeated = str(uuid4())
    items = [
        item("agreement.propose", table["agreement.propose"].valid),
        item("agreement.record_ksb", table["agreement.record_ksb"].invalid),
        item("region.declare_neighbours", table["region.declare_neighbours"].valid, repeated),
        item("region.declare_neighbours", table["region.declare_neighbours"].valid, repeated),
        item("region.declare_potential", table["region.declare_potential"].valid, repeated),
        {"type": "agreement.terminate", "data": table["agreement.terminate"].valid},
        item("region.record_tkksd", examples("64.71", "64.72", uuid4())["region.record_tkksd"].valid),
        "not an object",
    ]
    before = await written(platform)
    response = await post(platform, samarinda, {"submissions": items}, path="/v1/submissions/batch")
    assert response.status_code == 200, response.text
    answer = response.json()
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [202, 422, 202, 202, 409, 422, 403, 422]
    assert (answer["accepted"], answer["refused"]) == (3, 5)
    assert results[2]["result"] == results[3]["result"]  # one key, one body: one submission
    assert "body.data.document.number" in {".".join(map(str, e["loc"])) for e in results[1]["problem"]["errors"]}
    assert results[5]["problem"]["errors"][0]["loc"] == ["body", "submissions", 5, "idempotency_key"]
    assert results[4]["problem"]["type"].endswith("/idempotency-conflict")
    assert await written(platform) == (before[0] + 2, before[1] + 2)
    ids = {results[0]["result"]["id"], results[2]["result"]["id"]}
    published = await submissions.wait_for(lambda r: header(r, "ce_id") in ids, count=2)
    assert {json.loads(r.value)["submission_id"] for r in published} == ids

    again = await post(platform, samarinda, {"submissions": items}, path="/v1/submissions/batch")
    assert [r.get("result") for r in again.json()["results"]] == [r.get("result") for r in results]
    assert await written(platform) == (before[0] + 2, before[1] + 2)


@pytest.mark.parametrize(("body", "code"), [
    ({"submissions": []}, "batch_size"),
    ({"submissions": [{}] * 501}, "batch_size"),
    ({"items": []}, "batch_shape"),
    ([], "batch_shape"),
])
async def test_a_batch_of_the_wrong_shape_is_422(platform: Platform, samarinda: str, body: Any, code: str) -> None:
    response = await post(platform, samarinda, body, path="/v1/submissions/batch")
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == code


async def test_a_reader_may_not_send_a_batch(platform: Platform) -> None:
    ministry = await platform.token("directorate")
    before = await written(platform)
    table = examples("64.72", "64.71", uuid4())
    batch = {"submissions": [item("agreement.propose", table["agreement.propose"].valid)]}
    response = await post(platform, ministry, batch, path="/v1/submissions/batch")
    assert response.status_code == 403
    assert await written(platform) == before
