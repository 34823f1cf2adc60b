"""The AsyncAPI documents the services serve: valid by the official parser, and true of the records.

The contract test is a consumer of the agreement service's topic written from its document alone:
the topic, the header that names each event's type, the key and every payload schema come from
`GET /asyncapi.json`, none from the Python models; it reads the records the platform produced for
a lifecycle this test submits, and holds each to the document's schemas of its type.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import jsonschema_rs
import pytest
from aiokafka import ConsumerRecord
from conftest import SERVICES, Platform

from ksd_common.settings import Settings
from ksd_contracts.asyncapi import TOPIC_EVENTS
from ksd_contracts.topics import AUDIT_CHECKPOINTS, all_topics

ROOT = Path(__file__).resolve().parents[2]
PARSER = ROOT / "tests" / "asyncapi"
KUPANG, KAB_KUPANG = "53.71", "53.01"
HEAD = {"name": "dr. George Melkianus Hadjoh", "position": "Wali Kota", "party": KUPANG, "capacity": "kepala_daerah"}
DOCUMENT = {"number": "KSB/7/2024", "signed_on": "2024-08-20", "signatories": [HEAD]}
LIFECYCLE: list[tuple[str, dict[str, Any]]] = [
    ("agreement.record_tkksd_review", {"reviewed_on": "2024-07-20", "feasible": True}),
    ("agreement.record_offer", {"document": DOCUMENT | {"number": "PNW/1/2024", "signed_on": "2024-08-01"}}),
    ("agreement.record_offer_response", {"responded_on": "2024-08-10", "accepted": True}),
    ("agreement.record_ksb", {"document": DOCUMENT}),
    ("agreement.settle_dispute", {"dispute_id": str(uuid4()), "settled_on": "2025-05-20", "settled_by": "gubernur",
                                  "outcome": "Dibagi rata"}),  # no such dispute: refused with its rule
]


@pytest.fixture(scope="module")
def parser() -> Path:
    """The official parser, installed as `make test` does (deploy/local/asyncapi.sh)."""
    subprocess.run([ROOT / "deploy" / "local" / "asyncapi.sh"], check=True, timeout=600)
    return PARSER / "validate.mjs"


async def _documents(platform: Platform) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        return {s: (await client.get(f"{platform.url[s]}/asyncapi.json")).json() for s in SERVICES}


async def test_every_document_parses_without_errors_or_warnings(platform: Platform, parser: Path,
                                                                tmp_path: Path) -> None:
    documents = await _documents(platform)
    files = []
    for service, document in documents.items():
        files.append(tmp_path / f"{service}.json")
        files[-1].write_text(json.dumps(document))
    run = subprocess.run(["node", parser, *files], capture_output=True, text=True, timeout=300, check=True)
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(SERVICES)
    for result in results:
        assert result["parsed"], result
        # Spectral's severities: 0 error, 1 warning (2 information, such as "3.1.0 exists", may stay).
        assert [d for d in result["diagnostics"] if d["severity"] <= 1] == [], result["file"]


async def test_each_topic_lists_one_message_per_event_type_with_its_payload_and_headers(platform: Platform) -> None:
    for service, document in (await _documents(platform)).items():
        assert document["asyncapi"] == "3.0.0"
        assert document["channels"], service
        for channel in document["channels"].values():
            messages = [_resolve(document, m["$ref"]) for m in channel["messages"].values()]
            if channel["address"].endswith(".dlq"):  # what a consumer of the topic sets aside, as it was read
                [dead] = messages
                assert {"ksd_error", "ksd_origin_topic", "ksd_origin_offset"} <= set(dead["headers"]["required"])
                continue
            types = [m["headers"]["properties"]["ce_type"]["const"] for m in messages]
            assert sorted(types) == sorted(TOPIC_EVENTS[channel["address"]]), (service, channel["address"])
            for message in messages:
                payload = _resolve(document, message["payload"]["$ref"])
                assert payload["type"] == "object" and payload["properties"], message["name"]
                assert message["correlationId"]["location"] == "$message.header#/ce_correlationid"
                assert {"ce_id", "ce_source", "ce_subject", "ce_time", "ce_sequence", "ce_prevhash",
                        "ce_hash"} <= set(message["headers"]["required"])


async def test_the_documents_name_every_topic_the_platform_writes(platform: Platform) -> None:
    """Each topic of the registry is in some service's document: the history topics, the audit
    checkpoints (written by `ksd audit`, read by reporting) and the dead-letter topic of each topic a
    service consumes; `ksd.audit.checkpoints.dlq` is created but never written (no service consumes
    the checkpoints with a group), so no document lists it."""
    documented = {c["address"] for d in (await _documents(platform)).values() for c in d["channels"].values()}
    assert documented == {name for name, _, _ in all_topics()} - {AUDIT_CHECKPOINTS.dlq}
    reporting = (await _documents(platform))["reporting"]
    checkpoints = reporting["channels"][AUDIT_CHECKPOINTS.name]
    titles = {_resolve(reporting, m["$ref"])["title"] for m in checkpoints["messages"].values()}
    assert titles == {"day_checkpointed", "history_verified"}


async def test_a_consumer_written_from_the_document_reads_the_lifecycle_events(platform: Platform, tail: Any) -> None:
    [document] = [d for s, d in (await _documents(platform)).items() if s == "agreement"]
    consumer = DocumentConsumer(document)
    records = await tail(consumer.topic)

    token = await platform.token("regency", KUPANG)
    submitted = await _submit_lifecycle(platform, token)

    # Every answer is on the topic once intake shows it; the document must describe each record.
    found = await records.wait_for(lambda r: _header(r, consumer.type_header) is not None,
                                   count=len(submitted), timeout=60, settle=1.0)
    read = [consumer.read(record) for record in found]
    assert {"proposed", "tkksd_reviewed", "offered", "offer_responded", "ksb_signed", "submission_rejected"} \
        <= {message["title"] for message in read}

    # The schemas bite: without a property the document requires, a record is refused.
    proposed = next(r for r, m in zip(found, read, strict=True) if m["title"] == "proposed")
    payload_schema = _resolve(document, consumer.messages[_header(proposed, consumer.type_header) or ""]
                              ["payload"]["$ref"])
    required = payload_schema["required"][0]
    stripped = {k: v for k, v in json.loads(proposed.value).items() if k != required}
    with pytest.raises(AssertionError, match=required):
        consumer.read(_with_value(proposed, json.dumps(stripped).encode()))


async def _submit_lifecycle(platform: Platform, token: str) -> list[str]:
    """Kota Kupang proposes a KSDD and records its steps (one of them refused): the submission ids,
    once intake has each one's answer."""
    url = f"{platform.url['intake']}/v1/submissions"
    headers = {"Authorization": f"Bearer {token}"}
    ids: list[str] = []
    async with httpx.AsyncClient(timeout=10) as client:
        async def answered(body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(url, json=body, headers=headers | {"Idempotency-Key": str(uuid4())})
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
            for _ in range(300):
                status: dict[str, Any] = (await client.get(f"{url}/{ids[-1]}", headers=headers)).json()
                if status["status"] in ("applied", "rejected"):
                    return status
                await asyncio.sleep(0.1)
            raise AssertionError(f"{body['type']}: no answer")

        proposal = await answered({"type": "agreement.propose", "data": {
            "kind": "KSDD", "mandatory": True, "title": "Pengelolaan air limbah Kota Kupang dan Kabupaten Kupang",
            "parties": [{"type": "region", "code": KUPANG}, {"type": "region", "code": KAB_KUPANG}],
            "urusan": ["1.03"], "initiated_on": "2024-07-02"}})
        assert proposal["status"] == "applied", proposal
        for kind, data in LIFECYCLE:
            await answered({"type": kind, "data": data | {"agreement_id": proposal["agreement_id"]}})
    return ids


class DocumentConsumer:
    """Reads one service's published topic knowing only its AsyncAPI document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        [send] = [o for o in document["operations"].values()
                  if o["action"] == "send" and not o["channel"]["$ref"].endswith(".dlq")]
        channel = _resolve(document, send["channel"]["$ref"])
        self.topic: str = channel["address"]
        self.messages: dict[str, dict[str, Any]] = {}
        for reference in channel["messages"].values():
            message = _resolve(document, reference["$ref"])
            # The header whose `const` tells one message from another: the discriminating header.
            [(self.type_header, constant)] = [(name, p["const"]) for name, p in message["headers"]["properties"].items()
                                              if "const" in p and name.startswith("ce_") and name != "ce_specversion"]
            self.messages[constant] = message

    def read(self, record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
        """The record's message of the document, once its headers, key and payload conform to it."""
        headers = {name: value.decode() for name, value in record.headers}
        message = self.messages.get(headers.get(self.type_header, ""))
        assert message is not None, f"a type the document does not list: {headers.get(self.type_header)}"
        key = message["bindings"]["kafka"]["key"]
        self._conform(message["headers"], headers, "headers")
        self._conform(key, (record.key or b"").decode(), "key")
        self._conform(message["payload"], json.loads(record.value), "payload")
        return message

    def _conform(self, schema: dict[str, Any], instance: Any, part: str) -> None:
        # The schema at the root beside the document's components, which its `$ref`s point into.
        validator = jsonschema_rs.validator_for({"components": self.document["components"]} | schema,
                                                validate_formats=True)
        errors = [f"{part}: {e.message} at {'/'.join(map(str, e.instance_path))}"
                  for e in validator.iter_errors(instance)]
        assert not errors, errors


def _resolve(document: dict[str, Any], reference: str) -> Any:
    """A local `$ref` (`#/a/b`) of the document."""
    node: Any = document
    for part in reference.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    return next((v.decode() for k, v in record.headers if k == name), None)


def _with_value(record: ConsumerRecord[bytes, bytes], value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(record.topic, record.partition, record.offset, record.timestamp, record.timestamp_type,
                          record.key, value, record.checksum, record.serialized_key_size, len(value), record.headers)


async def test_the_documents_say_how_a_client_authenticates_as_the_broker_requires(platform: Platform) -> None:
    """A consumer written from a document learns it must sign in with SASL/SCRAM-SHA-512, the only way
    the platform's broker lets a client in (ksd_common.access)."""
    mechanism = Settings(kafka_security_protocol="SASL_PLAINTEXT").kafka_options("ksd_intake")["sasl_mechanism"]
    for service, document in (await _documents(platform)).items():
        [scheme] = [_resolve(document, s["$ref"]) for s in document["servers"]["kafka"]["security"]]
        assert (scheme["type"], mechanism) == ("scramSha512", "SCRAM-SHA-512"), service
