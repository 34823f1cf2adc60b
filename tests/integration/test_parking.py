"""Dead letters that can be redriven, on the real broker and database: a bad release of agreement
(the fault-injection switch KSD_FAULT_EVENT_TYPES makes its handler fail on KSB records) parks
those submissions unclaimed, the later step of the same agreement parks behind them, and the nodes
see `held`; restarted without the fault, `ksd admin dlq redrive` applies each exactly once, in
stream order, and the statuses end `applied`."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID, uuid4

import httpx
from conftest import Platform, header, ksd, restart
from intake_examples import examples
from test_intake_status import _status
from test_intake_submissions import post

from ksd_contracts.events import SUBMISSION_HELD, submission_type
from ksd_contracts.topics import AGREEMENT_EVENTS, SUBMISSIONS

OWN, PARTNER = "35.76", "35.16"
KSB = submission_type("agreement.record_ksb")


async def _restart_agreement(platform: Platform, env: dict[str, str] | None = None) -> None:
    platform.processes["agreement"].terminate()
    await restart(platform, "agreement", env)


async def _parked_metric(platform: Platform) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{platform.url['agreement']}/metrics")).text
    line = f'ksd_parked_events{{service="agreement",topic="{SUBMISSIONS.name}"}} '
    return next((float(x.removeprefix(line)) for x in text.splitlines() if x.startswith(line)), 0.0)


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


async def test_a_failing_handler_parks_and_a_redrive_applies_each_once(platform: Platform, tail: Any) -> None:
    token = await platform.token("regency", OWN)
    earlier = await _parked_metric(platform)  # what other tests of the run left parked (a poison event)
    await _restart_agreement(platform, {"KSD_FAULT_EVENT_TYPES": KSB})
    try:
        events = await tail(AGREEMENT_EVENTS.name)
        dlq = await tail(SUBMISSIONS.dlq)
        agreements, ksbs = [], []
        for _ in range(3):
            proposal = (await post(platform, token, {"type": "agreement.propose", "data": examples(
                OWN, PARTNER, uuid4())["agreement.propose"].valid})).json()["id"]
            await _status(platform, token, proposal, "applied")
            agreement = (await _get(platform, token, proposal))["agreement_id"]
            ksb = examples(OWN, PARTNER, UUID(agreement))["agreement.record_ksb"].valid
            ksbs.append((await post(platform, token, {"type": "agreement.record_ksb", "data": ksb})).json()["id"])
            agreements.append(agreement)
        pks = examples(OWN, PARTNER, UUID(agreements[0]))["agreement.record_pks"].valid
        behind = (await post(platform, token, {"type": "agreement.record_pks", "data": pks})).json()["id"]

        # Held, with why, and not claimed: the bad release did not mark them applied.
        for ksb_id in ksbs:
            held = await _status(platform, token, ksb_id, "held")
            assert held["reasons"][0]["rule"] == "submission.held"
            assert "FaultInjected" in held["reasons"][0]["detail"]
        assert "ditahan di belakang" in (await _status(platform, token, behind, "held"))["reasons"][0]["detail"]
        parked = [*ksbs, behind]
        dead = await dlq.wait_for(lambda r: header(r, "ce_id") in parked and header(r, "ksd_consumer") == "agreement",
                                  count=len(parked), distinct=lambda r: header(r, "ce_id"))
        assert all(header(r, "ksd_error") for r in dead)
        conn = await platform.database("agreement")
        try:
            assert await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1::uuid[])", parked) == 0
        finally:
            await conn.close()
        assert await _parked_metric(platform) == earlier + len(parked)
        listed = ksd("admin", "dlq", "list", "--service", "agreement", "--topic", "ksd.intake.submissions")
        assert listed.returncode == 0, listed.stderr
        assert [line["event_id"] for line in _lines(listed.stdout) if line["event_id"] in parked] == parked
    finally:
        await _restart_agreement(platform)  # the fixed release

    redriven = ksd("admin", "dlq", "redrive", "--service", "agreement", "--error", "FaultInjected")
    assert redriven.returncode == 0, redriven.stdout + redriven.stderr
    outcomes = {line["event_id"]: line["code"] for line in _lines(redriven.stdout)}
    assert outcomes == {id: "dlq.applied" for id in parked}  # the one behind came with its stream
    for id in parked:
        await _status(platform, token, id, "applied")
    applied = await events.wait_for(lambda r: header(r, "ce_causationid") in parked and
                                    header(r, "ce_type") != SUBMISSION_HELD,
                                    count=len(parked), settle=2)
    assert sorted(header(r, "ce_causationid") or "" for r in applied) == sorted(parked)  # each once
    first = [r for r in applied if header(r, "ce_subject") == agreements[0]]
    assert [header(r, "ce_causationid") for r in sorted(first, key=lambda r: int(header(r, "ce_sequence") or 0))
            ] == [ksbs[0], behind]  # in the order they were submitted
    assert await _parked_metric(platform) == earlier

    again = ksd("admin", "dlq", "redrive", "--service", "agreement", "--id", ksbs[0])
    assert again.returncode == 0 and _lines(again.stdout)[0]["code"] == "dlq.nothing"
    shown = ksd("admin", "dlq", "show", "--service", "agreement", ksbs[0])
    assert _lines(shown.stdout)[0]["resolution"] == "applied"
    await asyncio.sleep(1)
    assert len([r for r in events.records if header(r, "ce_causationid") in parked
                and header(r, "ce_type") != SUBMISSION_HELD]) == len(parked)


async def _get(platform: Platform, token: str, id: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        answer: dict[str, Any] = (await client.get(f"{platform.url['intake']}/v1/submissions/{id}",
                                                   headers={"Authorization": f"Bearer {token}"})).json()
    return answer
