"""The one event envelope: CloudEvents 1.0 in Kafka binary mode.

Attributes travel as `ce_*` headers and `data` as the JSON value, so any CloudEvents-aware tool can
read our topics. Each envelope carries a SHA-256 chain link (`prevhash`/`hash`) per subject: an
auditor can recompute it from the message alone and see whether anything was altered.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from json.encoder import encode_basestring
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer
from pydantic_core import from_json
from uuid6 import uuid7

from ksd_contracts.language import field_message

TYPE_PREFIX = "id.go.kemendagri.ksd"
TYPE_PATTERN = r"^id\.go\.kemendagri\.ksd\.[a-z_]+\.[a-z_.]+\.v[0-9]+$"
SOURCE_PATTERN = r"^/(nodes/[0-9]{2}(\.[0-9]{2})?|services/[a-z]+|admin/[a-z]+)$"
GENESIS_HASH = "0" * 64
_TYPE_RE = re.compile(TYPE_PATTERN)

# Header names in Kafka binary mode; `content-type` stands for `datacontenttype` (CloudEvents Kafka binding).
_HEADER_ATTRIBUTES = (
    "specversion", "id", "source", "type", "subject", "time",
    "sequence", "correlationid", "causationid", "traceparent", "prevhash", "hash",
)
_REQUIRED_HEADERS = ("specversion", "id", "source", "type", "subject", "time")


@cache
def event_type(area: str, event: str, version: int = 1) -> str:
    """The `type` attribute: `id.go.kemendagri.ksd.<area>.<event>.v<N>` (kept once made: the
    reporting fold names each step's type again, millions of times in a rebuild)."""
    name = f"{TYPE_PREFIX}.{area}.{event}.v{version}"
    if not _TYPE_RE.match(name):
        raise ValueError(f"not an event type name: {name}")
    return name


def canonical_json(value: Any) -> bytes:
    """One byte form for one value, so hashes are reproducible by anyone reading the topic."""
    return _CANONICAL.encode(value).encode()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
"""`json.dumps` with these options, made once: dumps builds an encoder per call (a quarter of the
cost of an envelope's attributes)."""


class EnvelopeError(ValueError):
    """A Kafka record that is not a valid envelope: the reason goes to the dead-letter topic."""


class KafkaRecord(BaseModel):
    """What a producer sends: key, value and binary-mode headers."""

    model_config = ConfigDict(frozen=True)
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class Envelope(BaseModel):
    """A CloudEvents 1.0 event with the platform's extensions (ARCHITECTURE.md, "Events")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid7, description="UUIDv7: unique, and sortable by creation time.")
    source: str = Field(pattern=SOURCE_PATTERN, description="`/nodes/<region code>` or `/services/<name>`.")
    type: str = Field(pattern=TYPE_PATTERN)
    subject: str = Field(min_length=1, max_length=64, description="Agreement id or region code: the stream.")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC), description="When it was recorded.")
    datacontenttype: Literal["application/json"] = "application/json"
    sequence: int | None = Field(default=None, ge=1, description="Version within the subject's stream.")
    correlationid: str = Field(min_length=1, max_length=64)
    causationid: str | None = Field(default=None, max_length=64)
    traceparent: str | None = Field(default=None, max_length=55)
    prevhash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    data: dict[str, Any]

    @field_serializer("time")
    def _time(self, value: datetime) -> str:
        return format_time(value)

    def computed_hash(self, value: bytes | None = None) -> str:
        """SHA-256 over every attribute, `prevhash` included, but `hash` and `traceparent` (tracing is
        operational, not part of the fact): the chain link. `value`: the data's canonical JSON as a
        record carries it, taken as it is instead of encoding the data again (a reader checking
        millions of records; bytes that are not the data's canonical JSON give another hash)."""
        if value is None:  # the data in its JSON form, as a writer sends it
            value = canonical_json(self.model_dump(mode="json", include={"data"})["data"])
        return _link_hash({"causationid": self.causationid, "correlationid": self.correlationid,
                           "datacontenttype": self.datacontenttype, "id": str(self.id), "prevhash": self.prevhash,
                           "sequence": self.sequence, "source": self.source, "specversion": self.specversion,
                           "subject": self.subject, "time": format_time(self.time), "type": self.type}, value)

    def chained(self, sequence: int, prevhash: str) -> Envelope:
        """This event as the next link of its subject's chain."""
        return self.link(sequence, prevhash).event

    def link(self, sequence: int, prevhash: str) -> Link:
        """This event as the next link of its subject's chain, with the forms it is written in (its
        Kafka record, its JSON), each made from one serialisation: a writer of many events (the
        outbox) spent most of its time serialising each event three times over."""
        linked = self.model_copy(update={"sequence": sequence, "prevhash": prevhash, "hash": None})
        document = linked.model_dump(mode="json")
        value = canonical_json(document["data"])
        document["hash"] = _link_hash(document, value)
        return Link(linked.model_copy(update={"hash": document["hash"]}), _record(document, value), document)

    def to_kafka(self) -> KafkaRecord:
        document = self.model_dump(mode="json")
        return _record(document, canonical_json(document["data"]))

    @classmethod
    def from_kafka(cls, headers: Sequence[tuple[str, bytes | None]], value: bytes | None) -> Envelope:
        """Parse a binary-mode record; raises EnvelopeError naming what is wrong, and nothing else
        (a consumer sends the record to its dead-letter topic instead of failing on it forever)."""
        try:
            attributes = _attributes(headers)
            # `id` and `time` have defaults for producers; a received record must carry its own.
            missing = [f"ce_{name}" for name in _REQUIRED_HEADERS if attributes.get(name) is None]
            if missing:
                raise EnvelopeError(f"bukan amplop peristiwa yang sah: header {', '.join(missing)} tidak ada")
            # pydantic-core's parser (Rust): the same values as json.loads at under half its cost,
            # for every record every consumer and the audit read.
            attributes["data"] = from_json(value or b"null")
            return cls.model_validate(attributes)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {field_message(e)}" for e in error.errors())
            raise EnvelopeError(f"bukan amplop peristiwa yang sah: {problems}") from error
        except EnvelopeError:
            raise
        except (ValueError, RecursionError) as error:
            # Not UTF-8, not JSON, too deep nesting.
            raise EnvelopeError(f"rekaman tidak terbaca (bukan UTF-8 atau JSON yang sah): {str(error)[:200]}") \
                from error


_ATTRIBUTE_OF = {f"ce_{name}": name for name in _HEADER_ATTRIBUTES}


def _attributes(headers: Sequence[tuple[str, bytes | None]]) -> dict[str, Any]:
    """A binary-mode record's attributes, from its `ce_*` headers (an unknown one too: the envelope
    then names it); the known names looked up rather than tested and cut, a tenth of a consumer's
    parse of each event."""
    attributes: dict[str, Any] = {}
    for header, raw in headers:
        name = _ATTRIBUTE_OF.get(header)
        if name is None:
            if not header.startswith("ce_"):
                continue
            name = header[3:]
        attributes[name] = None if raw is None else raw.decode()
    return attributes


@dataclass(frozen=True)
class Link:
    """An event chained onto its stream (`Envelope.link`): the event, its Kafka record, and its JSON
    (`model_dump(mode="json")`, as an event store keeps it)."""

    event: Envelope
    record: KafkaRecord
    document: dict[str, Any]


def _link_hash(attributes: Mapping[str, Any], value: bytes) -> str:
    """SHA-256 of what the chain covers: the canonical JSON (`canonical_json`) of an envelope's JSON
    form (`attributes`, as `model_dump(mode="json")` gives it, or its values read off the fields) but
    `hash` and `traceparent`, with its data's bytes `value` in their place among the sorted keys;
    written out field by field instead of encoded (a quarter of the time of `ksd audit verify` was the
    dump and the encoding). tests/unit/test_envelope.py holds it to that definition for any envelope."""
    a = attributes
    return hashlib.sha256(b"".join((
        f'{{"causationid":{_text(a["causationid"])},"correlationid":{_text(a["correlationid"])},"data":'.encode(),
        value,
        f',"datacontenttype":{_text(a["datacontenttype"])},"id":{_text(a["id"])},"prevhash":{_text(a["prevhash"])},'
        f'"sequence":{"null" if a["sequence"] is None else a["sequence"]},"source":{_text(a["source"])},'
        f'"specversion":{_text(a["specversion"])},"subject":{_text(a["subject"])},"time":{_text(a["time"])},'
        f'"type":{_text(a["type"])}}}'.encode(),
    ))).hexdigest()


def _text(value: str | None) -> str:
    """A string attribute as `canonical_json` writes it (`null` when absent)."""
    return "null" if value is None else encode_basestring(value)


def _record(document: dict[str, Any], value: bytes) -> KafkaRecord:
    """Binary mode: attributes as `ce_*` headers (`datacontenttype` as `content-type`), data as the value."""
    headers = [(f"ce_{name}", str(document[name]).encode())
               for name in _HEADER_ATTRIBUTES if document.get(name) is not None]
    headers.append(("content-type", str(document["datacontenttype"]).encode()))
    if document.get("traceparent"):
        headers.append(("traceparent", str(document["traceparent"]).encode()))
    # Made of an envelope's validated attributes: nothing left to validate.
    return KafkaRecord.model_construct(key=str(document["subject"]).encode(), value=value, headers=headers)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds, the one text form of every timestamp on the topics (and
    in every chain hash): `strftime("%Y-%m-%dT%H:%M:%S.%fZ")` of the time in UTC, written out field
    by field at two thirds of its cost (every event a consumer folds is stamped with it), except
    before the year 1000, where `%Y` is not padded alike on every platform."""
    utc = value if value.utcoffset() == _UTC_OFFSET else value.astimezone(UTC)
    if utc.year < 1000:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (f"{utc.year}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
            f".{utc.microsecond:06d}Z")


_UTC_OFFSET = timedelta(0)
