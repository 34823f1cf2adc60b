"""One submission the whole way, on the real broker and database: intake -> Kafka -> agreement ->
Kafka -> reporting and mapping, answered back to the node."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any
from uuid import uuid4

import httpx
from conftest import Platform, header

from ksd_contracts.envelope import Envelope
from ksd_contracts.topics import AGREEMENT_EVENTS, CREDENTIALS, SUBMISSIONS

KUPANG_SAMPAH: dict[str, Any] = {
    "type": "agreement.propose",
    "data": {
        "kind": "KSDD", "mandatory": True,
        "title": "Pengelolaan sampah regional Kota Kupang dan Kabupaten Kupang",
        "parties": [{"type": "region", "code": "53.71"}, {"type": "region", "code": "53.01"}],
        "urusan": ["2.11"], "initiated_on": "2024-07-02",
    },
}


async def _until(check: Any, timeout: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _ready(client: httpx.AsyncClient, url: str) -> httpx.Response | None:
    ready = await client.get(f"{url}/readyz")
    return ready if ready.status_code == 200 else None


async def test_a_proposal_is_applied_counted_and_traced(platform: Platform, tail: Any) -> None:
    kupang = await platform.token("regency", "53.71")
    ministry = await platform.token("directorate")
    submissions = await tail(SUBMISSIONS.name)
    agreement_events = await tail(AGREEMENT_EVENTS.name)
    async with httpx.AsyncClient(timeout=10) as client:
        summary_url = f"{platform.url['reporting']}/v1/summary?region=53"
        before = (await client.get(summary_url, headers={"Authorization": f"Bearer {ministry}"})).json()

        response = await client.post(
            f"{platform.url['intake']}/v1/submissions", json=KUPANG_SAMPAH,
            headers={"Authorization": f"Bearer {kupang}", "Idempotency-Key": str(uuid4())},
        )
        assert response.status_code == 202, response.text
        accepted = response.json()
        correlation = response.headers["x-correlation-id"]
        assert accepted["status"] == "accepted"

        async def answered() -> dict[str, Any] | None:
            status = (await client.get(f"{platform.url['intake']}/v1/submissions/{accepted['id']}",
                                       headers={"Authorization": f"Bearer {kupang}"})).json()
            return status if status["status"] != "accepted" else None

        status = await _until(answered)
        assert status["status"] == "applied", status
        assert status["type"] == "agreement.propose" and status["reasons"] == []

        async def counted() -> dict[str, Any] | None:
            summary = (await client.get(summary_url, headers={"Authorization": f"Bearer {ministry}"})).json()
            return summary if summary["total"] == before["total"] + 1 else None

        after = await _until(counted)
        assert after["by_kind"].get("KSDD", 0) == before["by_kind"].get("KSDD", 0) + 1
        assert after["by_urusan"].get("2.11", 0) == before["by_urusan"].get("2.11", 0) + 1

    # On the topics: CloudEvents in Kafka binary mode, keyed by the agreement id.
    [submitted] = await submissions.wait_for(lambda r: header(r, "ce_id") == accepted["id"])
    for name in ("ce_specversion", "ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "ce_sequence",
                 "ce_correlationid", "ce_prevhash", "ce_hash", "traceparent"):
        assert header(submitted, name), name
    assert header(submitted, "ce_source") == "/nodes/53.71"
    assert submitted.key == status["agreement_id"].encode()
    assert json.loads(submitted.value)["payload"]["title"] == KUPANG_SAMPAH["data"]["title"]
    [proposed] = await agreement_events.wait_for(lambda r: header(r, "ce_causationid") == accepted["id"])
    event = Envelope.from_kafka(proposed.headers, proposed.value)
    assert event.type == "id.go.kemendagri.ksd.agreement.proposed.v1"
    assert event.subject == status["agreement_id"] and event.sequence == 1
    assert event.hash == event.computed_hash()
    # The correlation id of the request travels with everything it caused.
    assert header(submitted, "ce_correlationid") == correlation == event.correlationid

    # One trace from the HTTP request through both topics to every consumer.
    trace_id = "0x" + header(submitted, "traceparent").split("-")[1]  # type: ignore[union-attr]

    async def traced() -> set[str] | None:
        written = platform.traces.read_text().split("\n")[:-1]  # whole lines: four processes append
        spans = [json.loads(line) for line in written]
        services = {s["resource"]["attributes"]["service.name"] for s in spans if s["context"]["trace_id"] == trace_id}
        return services if {"ksd-intake", "ksd-agreement", "ksd-reporting", "ksd-mapping"} <= services else None

    await _until(traced)


async def test_every_service_answers_health_readiness_metrics_and_documents(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for service, url in platform.url.items():
            assert (await client.get(f"{url}/healthz")).json()["status"] == "ok"
            ready = await _until(partial(_ready, client, url))  # a busy moment may answer 503 once
            assert ready.json()["checks"] == {"postgresql": "ok", "kafka": "ok", "outbox_relay": "ok"}
            metrics = await client.get(f"{url}/metrics")
            assert "ksd_http_requests" in metrics.text, service
            asyncapi = (await client.get(f"{url}/asyncapi.json")).json()
            addresses = {c["address"] for c in asyncapi["channels"].values()}
            assert addresses, service
            assert (await client.get(f"{url}/openapi.json")).json()["info"]["title"] == f"ksd-{service}"
        intake_channels = {c["address"] for c in (await client.get(f"{platform.url['intake']}/asyncapi.json"))
                           .json()["channels"].values()}
        assert {SUBMISSIONS.name, AGREEMENT_EVENTS.name, CREDENTIALS.name} <= intake_channels


async def test_every_answer_carries_its_correlation_id_and_is_counted_by_route(platform: Platform) -> None:
    """The caller's correlation id comes back (at most 64 characters), a new one when it sent none,
    on problems too; each answer is counted under its route template and status."""
    url = platform.url["intake"]
    async with httpx.AsyncClient(timeout=10) as client:
        echoed = await client.get(f"{url}/healthz", headers={"X-Correlation-Id": "sikerja-" + "x" * 80})
        assert echoed.headers["x-correlation-id"] == ("sikerja-" + "x" * 80)[:64]
        missing = await client.get(f"{url}/v1/nowhere")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert len(missing.headers["x-correlation-id"]) == 32
        unknown = await client.get(f"{url}/v1/submissions/{uuid4()}")
        assert unknown.status_code == 401 and unknown.headers["x-correlation-id"]
        metrics = (await client.get(f"{url}/metrics")).text
    assert 'ksd_http_requests_total{method="GET",route="/healthz",service="intake",status="200"}' in metrics
    assert 'ksd_http_requests_total{method="GET",route="unmatched",service="intake",status="404"}' in metrics
    assert ('ksd_http_requests_total{method="GET",route="/v1/submissions/{submission_id}",service="intake",'
            'status="401"}') in metrics
