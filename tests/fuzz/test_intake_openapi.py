"""Schemathesis against intake's real OpenAPI document, on the running test platform: thousands of
generated requests (valid by the schema and not) under its default checks (no 5xx; every status,
content type and body as documented; schema-violating requests and undeclared methods refused),
every error problem+json, and nothing written on a refusal.

One default check is left out: `positive_data_acceptance` (a schema-valid request must not be
refused). A submission's JSON Schema cannot say the rules that read several fields or the catalogue
(the node's own region among the parties, dates in order, a known region or urusan code): a
submission valid by the schema may still get the 422 that names the rule."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from conftest import Platform
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ksd_tools.admin import issue_tokens, wait_until_known

AUTH: dict[str, str] = {}
EXAMPLES = int(os.environ.get("KSD_FUZZ_EXAMPLES", "400"))
"""Per operation, beside the boundary cases of the coverage phase: at 400 some 5,800 requests in
under two minutes on this machine, so every `make test` runs thousands; `KSD_FUZZ_EXAMPLES=5000
make test` is the long hunt."""


@pytest.fixture(scope="session")
def intake_schema(platform: Platform) -> Any:
    async def token() -> str:
        [issued] = await issue_tokens([("regency", "64.72", "fuzz")])
        await wait_until_known(f"{platform.url['intake']}/v1/submissions/00000000-0000-0000-0000-000000000000", issued,
                               timeout=120)
        return issued

    AUTH["Authorization"] = f"Bearer {asyncio.run(token())}"
    return schemathesis.openapi.from_url(f"{platform.url['intake']}/openapi.json")


schema = schemathesis.pytest.from_fixture("intake_schema").include(path_regex="^/v1/")


@pytest.fixture(scope="module")
def written(platform: Platform) -> Iterator[Callable[[], tuple[int, int]]]:
    """(submissions, events in the outbox chains) in intake's database, on one connection kept
    open for the thousands of cases (schemathesis calls the test synchronously)."""
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(platform.database("intake"))

    def count() -> tuple[int, int]:
        row = loop.run_until_complete(conn.fetchrow(
            "SELECT (SELECT count(*) FROM submissions), (SELECT coalesce(sum(sequence), 0) FROM chain_heads)"))
        return row[0], row[1]

    yield count
    loop.run_until_complete(conn.close())
    loop.close()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.timeout(900)  # the coverage phase adds many boundary cases to the generated ones
def test_no_server_error_and_nothing_written_on_a_refusal(case: Any, written: Callable[[], tuple[int, int]],
                                                          http: requests.Session) -> None:
    before = written()
    response = case.call_and_validate(session=http, headers=AUTH, timeout=60,
                                      excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/problem+json"], response.text
        problem = response.json()
        assert problem["status"] == response.status_code and problem["title"] and problem["detail"]
        assert written() == before, f"{response.status_code} but something was written"
