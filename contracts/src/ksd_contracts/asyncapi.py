"""The AsyncAPI 3.0 document of a service: what travels on the topics it reads and writes.

Built from the contracts themselves, not from the consumers' Python signatures (which take raw
records and say nothing): one message per event type, its `data` as the payload schema of the
contracts' model, the CloudEvents attributes as the `ce_*` headers they travel in (Kafka binary
mode, `ksd_contracts.envelope`), the hash chain's headers and the key. An integrator generates or
writes a consumer from this document alone (tests/contract/test_asyncapi.py does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ksd_contracts.envelope import SOURCE_PATTERN, TYPE_PATTERN
from ksd_contracts.events import (
    AGREEMENT_EVENT_MODELS,
    AUDIT_EVENT_MODELS,
    CREDENTIAL_EVENT_MODELS,
    MAPPING_EVENT_MODELS,
    SUBMISSION_EVENT_MODELS,
)
from ksd_contracts.topics import AGREEMENT_EVENTS, AUDIT_CHECKPOINTS, CREDENTIALS, MAPPING_EVENTS, SUBMISSIONS, Topic

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
SCHEMAS = "#/components/schemas/{model}"

TOPIC_EVENTS: dict[str, dict[str, type[BaseModel]]] = {
    SUBMISSIONS.name: SUBMISSION_EVENT_MODELS,
    AGREEMENT_EVENTS.name: AGREEMENT_EVENT_MODELS,
    MAPPING_EVENTS.name: MAPPING_EVENT_MODELS,
    CREDENTIALS.name: CREDENTIAL_EVENT_MODELS,
    AUDIT_CHECKPOINTS.name: AUDIT_EVENT_MODELS,
}
"""The event types each topic a service reads or writes carries, with the model of their `data`."""

_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_TRACEPARENT = {"type": "string", "maxLength": 55,
                "description": "W3C trace context of the span that produced the event (operational, not hashed)."}


def headers_schema(event_type: str) -> dict[str, Any]:
    """The Kafka headers of one event type: the CloudEvents attributes as `ce_*` (strings, as they
    travel), the chain's `ce_sequence`, `ce_prevhash`, `ce_hash`, and `traceparent`."""
    properties: dict[str, Any] = {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid", "description": "UUIDv7: unique, sortable by creation time."},
        "ce_source": {"type": "string", "pattern": SOURCE_PATTERN,
                      "description": "`/nodes/<region code>`, `/services/<name>` or `/admin/<tool>`."},
        "ce_type": {"type": "string", "const": event_type, "pattern": TYPE_PATTERN},
        "ce_subject": {"type": "string", "minLength": 1, "maxLength": 64,
                       "description": "The stream: agreement id, region code or submission id; also the key."},
        "ce_time": {"type": "string", "format": "date-time", "description": "When it was recorded (RFC 3339, UTC)."},
        "ce_correlationid": {"type": "string", "minLength": 1, "maxLength": 64,
                             "description": "The request (or the node's own reference) everything it caused carries."},
        "ce_causationid": {"type": "string", "maxLength": 64,
                           "description": "The id of the event that caused this one."},
        "ce_sequence": {"type": "string", "pattern": "^[1-9][0-9]*$",
                        "description": "Version within the subject's stream, gapless from 1."},
        "ce_prevhash": _HASH | {"description": "`ce_hash` of the subject's previous event (64 zeros for the first)."},
        "ce_hash": _HASH | {"description": "SHA-256 of the canonical JSON of every attribute and `data`, "
                                           "`ce_prevhash` included, `ce_hash` and `traceparent` not."},
        "ce_traceparent": _TRACEPARENT,
        "traceparent": _TRACEPARENT,
        "content-type": {"type": "string", "const": "application/json",
                         "description": "CloudEvents `datacontenttype` in Kafka binary mode."},
    }
    required = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_correlationid",
                "ce_sequence", "ce_prevhash", "ce_hash", "content-type"]
    return {"type": "object", "properties": properties, "required": required}


DEAD_LETTER = "dead_letter"
"""The one message of every `<topic>.dlq`."""

DEAD_LETTER_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The original record's headers, unchanged (for an event: its `ce_*`, see the origin topic's"
                   " messages), and why and where from the consumer set it aside.",
    "properties": {
        "ksd_error": {"type": "string", "maxLength": 2000,
                      "description": "Why the consumer could not apply it: not an envelope, or its handler's error"
                                     " (the event is then parked: `ksd admin dlq list`, `redrive`)."},
        "ksd_consumer": {"type": "string", "description": "The service whose consumer set it aside."},
        "ksd_origin_topic": {"type": "string", "description": "The topic it was read from."},
        "ksd_origin_partition": {"type": "string", "pattern": "^[0-9]+$"},
        "ksd_origin_offset": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "required": ["ksd_error", "ksd_consumer", "ksd_origin_topic", "ksd_origin_partition", "ksd_origin_offset"],
}


def dead_letter_message() -> dict[str, Any]:
    """A record a consumer could not apply, as it was read: the same key and bytes (not necessarily
    JSON, nor an event), with its origin and the error in headers. Written through the consumer's
    outbox, in the transaction that records why."""
    return {
        "name": DEAD_LETTER, "title": "dead letter",
        "summary": "A record a consumer could not apply, with its origin and the error.",
        "contentType": "application/octet-stream",
        "headers": DEAD_LETTER_HEADERS,
        "payload": {"description": "The original record's value, byte for byte (any content)."},
        "bindings": {"kafka": {"key": {"type": "string", "description": "The original record's key."},
                               "bindingVersion": KAFKA_BINDING}},
    }


KEY_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64,
                              "description": "The event's `ce_subject`: one stream per key, in order."}


@dataclass(frozen=True)
class Use:
    """A topic a service reads (`receive`, with its consumer group) or writes (`send`)."""

    topic: Topic
    action: Literal["send", "receive"]
    description: str
    group: str | None = None


SCRAM = "scram"
"""The broker's one way in (`ksd_common.access`): every client authenticates as its own principal."""


def asyncapi_schema(schema: Any) -> Any:
    """Pydantic's JSON Schema in the AsyncAPI Schema Object's terms: its `discriminator` is the name
    of the property (a string), not OpenAPI's object with `propertyName` and `mapping`; the `oneOf`
    beside it decides alone."""
    if isinstance(schema, list):
        return [asyncapi_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    found = {key: asyncapi_schema(value) for key, value in schema.items()}
    if isinstance(found.get("discriminator"), dict):
        found["discriminator"] = found["discriminator"]["propertyName"]
    return found


def _binding(name: str, partitions: int, topic: Topic) -> dict[str, Any]:
    """The Kafka binding of a channel: its topic, partitions and configuration (`all_topics`)."""
    return {"kafka": {"topic": name, "partitions": partitions,
                      "topicConfiguration": {"retention.ms": int(topic.config["retention.ms"]),
                                             "cleanup.policy": topic.config["cleanup.policy"].split(",")},
                      "bindingVersion": KAFKA_BINDING}}


def document(title: str, description: str, server: str, uses: Sequence[Use]) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of one service (`server`: the Kafka bootstrap address)."""
    models = {model for use in uses for model in TOPIC_EVENTS[use.topic.name].values()}
    names, definitions = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                            ref_template=SCHEMAS)
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for use in uses:
        topic = use.topic
        events = TOPIC_EVENTS[topic.name]
        for event_type, model in events.items():
            messages[event_type] = {
                "name": event_type,
                "title": event_type.rsplit(".", 2)[-2],
                "summary": (model.__doc__ or model.__name__).strip().split("\n\n")[0].replace("\n", " "),
                "contentType": "application/json",
                "headers": headers_schema(event_type),
                "payload": names[(model, "validation")],
                "correlationId": {"description": "The request everything it caused carries.",
                                  "location": "$message.header#/ce_correlationid"},
                "bindings": {"kafka": {"key": KEY_SCHEMA, "bindingVersion": KAFKA_BINDING}},
            }
        channels[topic.name] = {
            "address": topic.name,
            "title": topic.name,
            "description": topic.description,
            "servers": [{"$ref": "#/servers/kafka"}],
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in events},
            "bindings": _binding(topic.name, topic.partitions, topic),
        }
        operation: dict[str, Any] = {
            "action": use.action,
            "channel": {"$ref": f"#/channels/{topic.name}"},
            "summary": use.description,
            "messages": [{"$ref": f"#/channels/{topic.name}/messages/{t}"} for t in events],
        }
        if use.group:
            operation["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": [use.group]},
                                               "bindingVersion": KAFKA_BINDING}}
        operations[f"{use.action}.{topic.name}"] = operation
        if use.group is not None:  # a consumer of the topic sets aside what it cannot apply
            messages[DEAD_LETTER] = dead_letter_message()
            channels[topic.dlq] = {
                "address": topic.dlq, "title": topic.dlq,
                "description": f"Records of {topic.name} a consumer could not apply (one partition, kept forever).",
                "servers": [{"$ref": "#/servers/kafka"}],
                "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
                "bindings": _binding(topic.dlq, 1, topic),
            }
            operations[f"send.{topic.dlq}"] = {
                "action": "send", "channel": {"$ref": f"#/channels/{topic.dlq}"},
                "summary": f"What the {use.group} consumer cannot apply, set aside with its error.",
                "messages": [{"$ref": f"#/channels/{topic.dlq}/messages/{DEAD_LETTER}"}],
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:id:go:kemendagri:ksd:{title}",
        "info": {"title": title, "version": "1.0.0", "description": description,
                 "contact": {"name": "Direktorat Dekonsentrasi, Tugas Pembantuan dan Kerja Sama, Kemendagri"},
                 "license": {"name": "Proprietary"}},
        "defaultContentType": "application/json",
        "servers": {"kafka": {"host": server, "protocol": "kafka",
                              "description": "Apache Kafka; records are CloudEvents 1.0 in binary mode.",
                              "security": [{"$ref": f"#/components/securitySchemes/{SCRAM}"}]}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": asyncapi_schema(definitions.get("$defs", {})),
                       "securitySchemes": {SCRAM: {
                           "type": "scramSha512",
                           "description": "SASL/SCRAM-SHA-512 (SASL_PLAINTEXT locally, over TLS in production): each "
                                          "client is a principal of its own, and the broker's ACLs let it read and "
                                          "write only the topics this document names for it."}}},
    }
