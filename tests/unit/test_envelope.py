"""The event envelope (Kafka round trip, hash chain tamper evidence, robustness to garbage), and the
validation of AgreementPropose, the submission that starts a cooperation."""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from ksd_contracts.envelope import GENESIS_HASH, Envelope, EnvelopeError, canonical_json, event_type, format_time
from ksd_contracts.regions import ADMINISTRATIVE_UNITS, autonomous_codes, regions
from ksd_contracts.submissions import AgreementPropose, Kind
from ksd_contracts.urusan import urusan

hashes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
data_dicts = st.dictionaries(st.text(max_size=20), json_values, max_size=6)
offsets = st.sampled_from([UTC]) | st.builds(
    timezone, st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m)))
times = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=offsets)
sources = st.sampled_from(["/nodes/53", "/nodes/53.71", "/services/intake", "/services/agreement", "/admin/cli"])
types = st.sampled_from([event_type("agreement", "proposed"), event_type("submission", "agreement_propose", 2),
                         event_type("mapping", "urusan_classified")])
short_text = st.text(min_size=1, max_size=64)


@st.composite
def envelopes(draw: st.DrawFn) -> Envelope:
    envelope = Envelope(
        source=draw(sources), type=draw(types), subject=draw(short_text), time=draw(times),
        correlationid=draw(short_text), causationid=draw(st.none() | st.text(max_size=64)),
        traceparent=draw(st.none() | st.just("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")),
        data=draw(data_dicts),
    )
    return envelope.chained(draw(st.integers(min_value=1, max_value=2**62)), draw(hashes | st.just(GENESIS_HASH)))


def round_trip(envelope: Envelope) -> Envelope:
    record = envelope.to_kafka()
    return Envelope.from_kafka(record.headers, record.value)


@given(envelopes())
def test_kafka_round_trip_keeps_the_envelope_and_its_hash(envelope: Envelope) -> None:
    assert envelope.hash == envelope.computed_hash()
    received = round_trip(envelope)
    assert received == envelope
    assert received.hash == received.computed_hash()
    assert envelope.to_kafka().key == envelope.subject.encode()


@given(envelopes())
def test_the_hash_over_a_records_own_value_is_the_hash_over_its_data(envelope: Envelope) -> None:
    """What verify computes from a record's bytes (no second encoding of the data) is the chain's
    hash; bytes that are not the data's canonical JSON, though they parse to the same data, are not."""
    record = envelope.to_kafka()
    received = Envelope.from_kafka(record.headers, record.value)
    assert received.computed_hash(record.value) == received.computed_hash() == envelope.hash
    assert received.computed_hash(record.value + b" ") != envelope.hash


@given(envelopes(), st.booleans())
def test_the_hash_is_the_canonical_json_of_the_attributes(envelope: Envelope, chained: bool) -> None:
    """The definition (ARCHITECTURE.md, "Events"), which an auditor's own script recomputes: the
    canonical JSON of the envelope's JSON form but `hash` and `traceparent`. The envelope writes
    those bytes out field by field; any string, a link or not."""
    if not chained:
        envelope = envelope.model_copy(update={"sequence": None, "prevhash": None, "hash": None})
    body = envelope.model_dump(mode="json", exclude={"hash", "traceparent"})
    assert envelope.computed_hash() == hashlib.sha256(canonical_json(body)).hexdigest()
    assert envelope.computed_hash(canonical_json(envelope.data)) == envelope.computed_hash()


@given(envelopes())
def test_headers_carry_the_cloudevents_attributes(envelope: Envelope) -> None:
    headers = dict(envelope.to_kafka().headers)
    assert headers["ce_id"] == str(envelope.id).encode()
    assert headers["ce_type"] == envelope.type.encode()
    assert headers["ce_source"] == envelope.source.encode()
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_subject"] == envelope.subject.encode()
    assert headers["content-type"] == b"application/json"
    assert datetime.fromisoformat(headers["ce_time"].decode()) == envelope.time
    assert headers["ce_time"].decode().endswith("Z")
    assert headers["ce_sequence"] == str(envelope.sequence).encode()
    assert headers["ce_hash"] == envelope.computed_hash().encode()
    assert json.loads(envelope.to_kafka().value) == envelope.data


@given(envelopes(), st.integers(min_value=1, max_value=2**62), hashes)
def test_a_link_is_the_hash_record_and_json_of_their_one_definition(
        envelope: Envelope, sequence: int, prevhash: str) -> None:
    """`link` serialises once and splices the data into the hashed body: the same bytes as the
    definition, the canonical JSON of every attribute but hash and traceparent."""
    link = envelope.link(sequence, prevhash)
    body = link.event.model_dump(mode="json", exclude={"hash", "traceparent"})
    assert body["sequence"] == sequence and body["prevhash"] == prevhash
    assert link.event.hash == hashlib.sha256(canonical_json(body)).hexdigest() == link.event.computed_hash()
    assert link.document == link.event.model_dump(mode="json")
    assert link.record == link.event.to_kafka()
    assert link.record.value == canonical_json(envelope.data)
    assert Envelope.from_kafka(link.record.headers, link.record.value) == link.event


def _replace_one_value(data: dict[str, Any], path: list[Any], new: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(data))
    target: Any = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


def _leaves(value: Any, path: list[Any]) -> list[tuple[list[Any], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, [*path, k])] or [(path, value)]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, [*path, i])] or [(path, value)]
    return [(path, value)]


@given(envelopes(), st.data())
def test_changing_any_data_value_changes_the_hash(envelope: Envelope, data: st.DataObject) -> None:
    assume(envelope.data)
    path, old = data.draw(st.sampled_from(_leaves(envelope.data, [])))
    new = data.draw(json_values)
    assume(canonical_json(new) != canonical_json(old))
    tampered = envelope.model_copy(update={"data": _replace_one_value(envelope.data, path, new)})
    assert tampered.computed_hash() != envelope.hash


@given(envelopes(), short_text, st.integers(min_value=1, max_value=2**62), times, hashes)
def test_changing_subject_sequence_time_or_prevhash_changes_the_hash(
        envelope: Envelope, subject: str, sequence: int, time: datetime, prevhash: str) -> None:
    changes = {"subject": subject, "sequence": sequence, "time": time, "prevhash": prevhash}
    for field, value in changes.items():
        if value == getattr(envelope, field):
            continue
        tampered = envelope.model_copy(update={field: value})
        assert tampered.computed_hash() != envelope.hash, field


@given(envelopes(), data_dicts)
def test_tampering_with_the_record_on_the_topic_is_detected(envelope: Envelope, other: dict[str, Any]) -> None:
    assume(canonical_json(other) != canonical_json(envelope.data))
    record = envelope.to_kafka()
    received = Envelope.from_kafka(record.headers, canonical_json(other))
    assert received.hash == envelope.hash
    assert received.computed_hash() != received.hash


def test_traceparent_is_not_part_of_the_hash() -> None:
    envelope = Envelope(source="/services/intake", type=event_type("agreement", "proposed"), subject="x",
                        correlationid="c", data={"a": 1}).chained(1, GENESIS_HASH)
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    traced = envelope.model_copy(update={"traceparent": traceparent})
    assert traced.computed_hash() == envelope.hash
    assert dict(traced.to_kafka().headers)["traceparent"] == traceparent.encode()


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets))
def test_the_time_is_written_as_strftime_writes_it_in_utc(moment: datetime) -> None:
    """Every chain hash covers this text: the field-by-field writing must be strftime's, to the
    digit, for any time in any offset (years before 1000 included)."""
    assert format_time(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_an_unknown_attribute_header_is_named_and_other_headers_are_ignored() -> None:
    record = Envelope(source="/nodes/53.71", type=event_type("agreement", "proposed"), subject="53.71",
                      correlationid="c", data={}).to_kafka()
    assert Envelope.from_kafka([*record.headers, ("x-trace", b"1")], record.value).subject == "53.71"
    with pytest.raises(EnvelopeError, match="colour"):
        Envelope.from_kafka([*record.headers, ("ce_colour", b"red")], record.value)


header_lists = st.lists(
    st.tuples(st.text(max_size=20) | st.sampled_from(["ce_id", "ce_type", "ce_time", "ce_sequence", "ce_source"]),
              st.binary(max_size=40) | st.none()),
    max_size=8,
)


@given(st.dictionaries(st.text(max_size=20), st.binary(max_size=40), max_size=8), st.binary(max_size=200) | st.none())
def test_from_kafka_on_garbage_raises_only_envelope_error(headers: dict[str, bytes], value: bytes | None) -> None:
    with pytest.raises(EnvelopeError):
        Envelope.from_kafka(list(headers.items()), value)


@given(envelopes(), header_lists, st.binary(max_size=200) | st.none(), st.booleans())
def test_from_kafka_on_damaged_records_raises_only_envelope_error(
        envelope: Envelope, extra: list[tuple[str, bytes | None]], value: bytes | None, keep_value: bool) -> None:
    record = envelope.to_kafka()
    headers = [*record.headers, *extra]
    with contextlib.suppress(EnvelopeError):
        Envelope.from_kafka(headers, record.value if keep_value else value)


@pytest.mark.parametrize("value", [
    b"1" * 5000,                       # an integer too long for int()
    b"[" * 100_000 + b"]" * 100_000,   # nesting deeper than the recursion limit
    b'{"a": 1e999999}',                # a float that overflows
    "\ufeff{}".encode(),               # a byte order mark
    b"\xff\xfe{\x00}\x00",             # UTF-16 with a byte order mark
    b'{"a": "\xed\xa0\x80"}',          # an encoded surrogate
])
def test_from_kafka_on_hostile_values_raises_only_envelope_error(value: bytes) -> None:
    envelope = Envelope(source="/nodes/53.71", type=event_type("agreement", "proposed"), subject="53.71",
                        correlationid="c", data={})
    try:
        received = Envelope.from_kafka(envelope.to_kafka().headers, value)
    except EnvelopeError:
        return
    # Whatever parses must be a well-formed envelope whose data is a JSON object.
    assert isinstance(received.data, dict)


@pytest.mark.parametrize("name", ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time"])
@pytest.mark.parametrize("how", ["absent", "null"])
def test_a_record_without_a_required_attribute_is_rejected_not_completed(name: str, how: str) -> None:
    """A received event without its id or time must not get a fresh one: deduplication and the
    hash chain depend on them."""
    envelope = Envelope(source="/nodes/53.71", type=event_type("agreement", "proposed"), subject="53.71",
                        correlationid="c", data={"a": 1}).chained(1, GENESIS_HASH)
    record = envelope.to_kafka()
    headers: list[tuple[str, bytes | None]] = [(k, v) for k, v in record.headers if k != name]
    if how == "null":
        headers.append((name, None))
    with pytest.raises(EnvelopeError, match=f"bukan amplop peristiwa yang sah: header {name} tidak ada"):
        Envelope.from_kafka(headers, record.value)


def test_what_is_wrong_with_a_record_is_said_in_bahasa_indonesia() -> None:
    """The audit's findings and the dead letters' reasons name the fault for the auditor and the
    operator: a field's fault in the words of the API's 422 answers, an unreadable value as such."""
    envelope = Envelope(source="/nodes/53.71", type=event_type("agreement", "proposed"), subject="53.71",
                        correlationid="c", data={"a": 1}).chained(1, GENESIS_HASH)
    record = envelope.to_kafka()
    bad_time = [(k, b"kemarin" if k == "ce_time" else v) for k, v in record.headers]
    with pytest.raises(EnvelopeError, match=r"^bukan amplop peristiwa yang sah: time: bukan waktu RFC 3339$"):
        Envelope.from_kafka(bad_time, record.value)
    with pytest.raises(EnvelopeError, match=r"^rekaman tidak terbaca \(bukan UTF-8 atau JSON yang sah\)"):
        Envelope.from_kafka(record.headers, b"{tidak json")


# --- submissions.AgreementPropose: what intake accepts from a node -------------------------------

KUPANG_CITY, KUPANG_REGENCY = "53.71", "53.01"


def propose(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "KSDD", "mandatory": False, "title": "Kerja sama penyediaan air bersih",
        "parties": [{"type": "region", "code": KUPANG_CITY}, {"type": "region", "code": KUPANG_REGENCY}],
        "urusan": ["1.03"], "objects": ["Sistem penyediaan air minum regional"], "initiated_on": "2025-03-14",
    }
    payload.update(changes)
    return payload


def rejection(payload: dict[str, Any]) -> dict[str, str]:
    """The top field each error names (its location, or the `field.path:` its message starts with) -> message."""
    with pytest.raises(ValidationError) as caught:
        AgreementPropose.model_validate(payload)
    named: dict[str, str] = {}
    for error in caught.value.errors():
        message = error["msg"].removeprefix("Value error, ")
        field = str(error["loc"][0]) if error["loc"] else message.partition(":")[0].split(".")[0]
        named[field] = message
    return named


def test_a_ksdd_between_kupang_city_and_kupang_regency_is_valid() -> None:
    proposal = AgreementPropose.model_validate(propose())
    assert proposal.kind is Kind.KSDD
    assert proposal.region_codes == [KUPANG_CITY, KUPANG_REGENCY]
    assert proposal.urusan == ["1.03"]
    assert proposal.initiated_on == date(2025, 3, 14)


def test_an_unknown_region_code_is_rejected_on_parties() -> None:
    errors = rejection(propose(parties=[{"type": "region", "code": KUPANG_CITY}, {"type": "region", "code": "53.99"}]))
    assert list(errors) == ["parties"]
    assert "kode wilayah '53.99' tidak dikenal" in errors["parties"]


def test_an_administrative_jakarta_unit_cannot_be_a_party() -> None:
    errors = rejection(propose(parties=[{"type": "region", "code": "31"}, {"type": "region", "code": "31.71"}]))
    assert list(errors) == ["parties"]
    assert "31.71" in errors["parties"] and "administratif" in errors["parties"]


def test_the_province_of_dki_jakarta_can_be_a_party() -> None:
    proposal = AgreementPropose.model_validate(propose(parties=[{"type": "region", "code": "31"},
                                                                {"type": "region", "code": "32"}]))
    assert proposal.region_codes == ["31", "32"]


def test_an_unknown_urusan_code_is_rejected_on_urusan() -> None:
    errors = rejection(propose(urusan=["1.03", "1.99"]))
    assert list(errors) == ["urusan"]
    assert "1.99" in errors["urusan"]


@pytest.mark.parametrize("parties", [
    [{"type": "region", "code": KUPANG_CITY}],
    [{"type": "region", "code": KUPANG_CITY}, {"type": "third_party", "name": "PT Air Kupang", "category": "swasta"}],
])
def test_a_ksdd_with_one_region_is_rejected_on_parties(parties: list[dict[str, str]]) -> None:
    assert list(rejection(propose(parties=parties))) == ["parties"]


def test_a_region_listed_twice_is_rejected_on_parties() -> None:
    errors = rejection(propose(parties=[{"type": "region", "code": KUPANG_CITY}] * 2))
    assert list(errors) == ["parties"]


def test_a_ksdpk_needs_a_third_party() -> None:
    regions_only = [{"type": "region", "code": KUPANG_CITY}, {"type": "region", "code": KUPANG_REGENCY}]
    errors = rejection(propose(kind="KSDPK", mandatory=None, parties=regions_only))
    assert list(errors) == ["parties"]
    assert "third_party" in errors["parties"]
    with_third = [regions_only[0], {"type": "third_party", "name": "PT Air Kupang", "category": "swasta"}]
    assert AgreementPropose.model_validate(propose(kind="KSDPK", mandatory=None, parties=with_third)).kind is Kind.KSDPK


@pytest.mark.parametrize("mandatory", [True, False])
def test_mandatory_is_only_for_a_ksdd(mandatory: bool) -> None:
    parties = [{"type": "region", "code": KUPANG_CITY},
               {"type": "third_party", "name": "PT Air Kupang", "category": "swasta"}]
    errors = rejection(propose(kind="KSDPK", mandatory=mandatory, parties=parties))
    assert list(errors) == ["mandatory"]


AUTONOMOUS = sorted(autonomous_codes())


@given(st.text(max_size=12) | st.from_regex(r"[0-9]{2}(\.[0-9]{2})?", fullmatch=True))
def test_any_code_not_in_the_reference_data_is_rejected(code: str) -> None:
    assume(code.strip() not in regions())
    parties = [{"type": "region", "code": KUPANG_CITY}, {"type": "region", "code": code}]
    assert "parties" in rejection(propose(parties=parties))


@given(st.text(max_size=8) | st.from_regex(r"[0-9]\.[0-9]{2}", fullmatch=True))
def test_any_urusan_code_not_in_the_catalogue_is_rejected(code: str) -> None:
    assume(code.strip() not in urusan())
    assert list(rejection(propose(urusan=[code]))) == ["urusan"]


@given(st.lists(st.sampled_from(AUTONOMOUS), min_size=2, max_size=5, unique=True))
def test_any_autonomous_regions_may_form_a_ksdd(codes: list[str]) -> None:
    proposal = AgreementPropose.model_validate(propose(parties=[{"type": "region", "code": c} for c in codes]))
    assert proposal.region_codes == codes


@given(st.sampled_from(AUTONOMOUS), st.sampled_from(sorted(ADMINISTRATIVE_UNITS)))
def test_no_administrative_unit_may_be_a_party(partner: str, unit: str) -> None:
    errors = rejection(propose(parties=[{"type": "region", "code": partner}, {"type": "region", "code": unit}]))
    assert "administratif" in errors["parties"]


@given(st.sampled_from(["\x00", "\x07", "\x1b", "\x7f"]), st.sampled_from(["title", "objects"]))
def test_control_characters_in_any_text_are_refused_naming_the_field(character: str, field: str) -> None:
    text = f"Pengelolaan sampah{character} regional"
    assert list(rejection(propose(**{field: text if field == "title" else [text]}))) == [field]
