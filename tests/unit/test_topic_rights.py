"""Who may touch which topic (`ksd_common.access`): the ACLs made from the topic registry, and the
registry agreeing with what each service says it consumes and publishes."""

from __future__ import annotations

import importlib

import pytest

from ksd_common.access import Grant, Operation, Pattern, Resource, grants, may, principal
from ksd_common.service import ServiceSpec
from ksd_common.settings import Settings, owner_of
from ksd_contracts.topics import (
    ADMIN,
    AGREEMENT_EVENTS,
    AUDIT_CHECKPOINTS,
    CREDENTIALS,
    HISTORY,
    MAPPING_EVENTS,
    SERVICES,
    SUBMISSIONS,
)

GRANTS = grants("ksd")


def spec(service: str) -> ServiceSpec:
    module = importlib.import_module(f"ksd_{service}.app")
    found: ServiceSpec = module.SPEC
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_registry_names_what_each_service_consumes_and_publishes(service: str) -> None:
    """The ACLs come from the registry; the consumers and the outbox from the service's own spec.
    Were they to differ, a service would be refused its own topic, or allowed another's."""
    declared = spec(service)
    consumed = {c.topic.name for c in declared.consumes} | {r.topic.name for r in declared.reads}
    consumed |= {CREDENTIALS.name} if declared.authenticates else set()
    published = {p.topic.name for p in declared.publishes}
    assert consumed == {t.name for t in HISTORY if service in t.readers}
    assert published == {t.name for t in HISTORY if service in t.writers}


def test_each_history_topic_has_one_writer() -> None:
    """One publisher per topic keeps one hash chain per subject (the outbox links it)."""
    assert {t.name: t.writers for t in HISTORY} == {
        SUBMISSIONS.name: ("intake",), AGREEMENT_EVENTS.name: ("agreement",), MAPPING_EVENTS.name: ("mapping",),
        CREDENTIALS.name: (ADMIN,), AUDIT_CHECKPOINTS.name: (ADMIN,)}


def test_a_service_writes_its_events_and_the_dead_letters_of_what_it_reads_and_nothing_else() -> None:
    assert may(GRANTS, "intake", Operation.WRITE, SUBMISSIONS.name)
    assert may(GRANTS, "intake", Operation.WRITE, AGREEMENT_EVENTS.dlq)
    assert not may(GRANTS, "intake", Operation.WRITE, AGREEMENT_EVENTS.name)
    assert not may(GRANTS, "intake", Operation.WRITE, SUBMISSIONS.dlq)
    assert not may(GRANTS, "intake", Operation.WRITE, CREDENTIALS.name)
    assert not may(GRANTS, "reporting", Operation.WRITE, MAPPING_EVENTS.name)
    writable = {g.name for g in GRANTS if g.principal == principal("agreement") and g.operation == Operation.WRITE}
    assert writable == {AGREEMENT_EVENTS.name, SUBMISSIONS.dlq}


def test_a_service_reads_only_what_it_consumes_with_its_own_groups() -> None:
    assert may(GRANTS, "agreement", Operation.READ, SUBMISSIONS.name)
    assert not may(GRANTS, "agreement", Operation.READ, MAPPING_EVENTS.name)
    assert not may(GRANTS, "agreement", Operation.READ, CREDENTIALS.name)
    assert not may(GRANTS, "intake", Operation.READ, SUBMISSIONS.name)
    groups = [g for g in GRANTS if g.resource == Resource.GROUP]
    assert {(g.principal, g.name, g.pattern) for g in groups} == {
        (principal(s), f"ksd-{s}-", Pattern.PREFIXED) for s in SERVICES}
    assert Grant(principal("reporting"), Resource.GROUP, "ksd-test3-reporting-", Pattern.PREFIXED,
                 Operation.READ) in grants("ksd-test3")


def test_the_ksd_command_reads_every_topic_and_writes_only_credentials_and_checkpoints() -> None:
    for topic in HISTORY:
        assert may(GRANTS, ADMIN, Operation.READ, topic.name)
        assert may(GRANTS, ADMIN, Operation.READ, topic.dlq)
    writable = {g.name for g in GRANTS if g.principal == principal(ADMIN) and g.operation == Operation.WRITE}
    assert writable == {CREDENTIALS.name, AUDIT_CHECKPOINTS.name}


def test_a_services_database_is_reached_as_its_own_role() -> None:
    config = Settings(pg_dsn="postgresql://ksd:ksd@127.0.0.1:5432", pg_passwords={"ksd_mapping": "rahasia/1"})
    assert owner_of("ksd_intake_test3") == "ksd_intake"
    assert owner_of("ksd_reporting_rebuild_20261128") == "ksd_reporting"
    assert owner_of("ksd_intakes") is None and owner_of("ksd_bench") is None
    assert config.database_dsn("ksd_intake").startswith("postgresql://ksd_intake:ksd_intake-local-secret@127.0.0.1:5432/")
    assert config.database_dsn("ksd_mapping").startswith("postgresql://ksd_mapping:rahasia%2F1@127.0.0.1:5432/")
    assert config.server_dsn().startswith("postgresql://ksd:ksd@127.0.0.1:5432/postgres")
