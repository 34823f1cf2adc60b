"""SIGKILL intake while it accepts submissions: every submission it answered 202 is on
ksd.intake.submissions after the restart, and is applied once.

What is asserted, exactly: each accepted submission's event (its id is the submission id) reaches
the topic at least once; the relay may publish a record again when it was killed between Kafka's
acknowledgement and the outbox delete, so the topic may hold a duplicate, which consumers drop by
event id: the agreement service applies each submission exactly once (one agreement event caused
by it). Requests in flight at the kill are sent again with their keys and answer 202, once."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any
from uuid import uuid4

import httpx
import pytest
from conftest import Platform, header, restart
from intake_examples import examples

from ksd_contracts.topics import AGREEMENT_EVENTS, SUBMISSIONS


# its own waits add up past the default 300 s on a loaded machine
@pytest.mark.timeout(600)
async def test_killing_intake_loses_no_accepted_submission(platform: Platform, tail: Any) -> None:
    token = await platform.token("regency", "64.72")
    submissions, applied = await tail(SUBMISSIONS.name), await tail(AGREEMENT_EVENTS.name)
    proposal = examples("64.72", "64.71", uuid4())["agreement.propose"].valid
    keys = [str(uuid4()) for _ in range(100)]
    batch = {"submissions": [{"idempotency_key": k, "type": "agreement.propose",
                              "data": {**proposal, "title": f"Kerja sama sampah nomor {k}"}} for k in keys]}
    singles = [(str(uuid4()), {"type": "agreement.propose", "data": {**proposal, "title": f"Kerja sama {n}"}})
               for n in range(20)]
    accepted: dict[str, str] = {}  # idempotency key -> submission id
    url = platform.url["intake"]
    headers = {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(timeout=30) as client:
        async def single(key: str, body: dict[str, Any]) -> None:
            try:
                response = await client.post(f"{url}/v1/submissions", json=body,
                                             headers=headers | {"Idempotency-Key": key})
            except httpx.TransportError:
                return  # in flight at the kill: sent again below
            assert response.status_code == 202, response.text
            accepted[key] = response.json()["id"]

        background = [asyncio.create_task(single(k, b)) for k, b in singles]
        answer = await client.post(f"{url}/v1/submissions/batch", json=batch, headers=headers)
        os.kill(platform.processes["intake"].pid, signal.SIGKILL)  # right after the commit: the relay is behind
        assert answer.status_code == 200 and answer.json()["accepted"] == len(keys)
        accepted |= {r["idempotency_key"]: r["result"]["id"] for r in answer.json()["results"]}
        await asyncio.gather(*background)
        pending = await _outbox_rows(platform)
        await restart(platform, "intake")
        for key, body in singles:
            if key not in accepted:
                await single(key, body)

    print(f"{len(accepted)} accepted; {pending} events were still in the outbox at the kill")
    assert len(accepted) == len(keys) + len(singles)
    ids = set(accepted.values())
    published = await submissions.wait_for(lambda r: header(r, "ce_id") in ids, count=len(ids), timeout=120,
                                           distinct=lambda r: header(r, "ce_id"))
    assert {header(r, "ce_id") for r in published} == ids
    answers = await applied.wait_for(lambda r: header(r, "ce_causationid") in ids, count=len(ids), timeout=240,
                                     settle=3)
    assert sorted(header(r, "ce_causationid") or "" for r in answers) == sorted(ids)  # each applied once
    print(f"published {len(published)} records for {len(ids)} submissions")


async def _outbox_rows(platform: Platform) -> int:
    conn = await platform.database("intake")
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()
