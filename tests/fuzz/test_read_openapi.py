"""Schemathesis with its default checks against reporting's and mapping's real OpenAPI documents, on
the running test platform: no 5xx, and every answer (status, content type, body) is one the document
declares, refusals included (401, 403, 404, 422 as problem+json)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
import requests
import schemathesis
from conftest import Platform
from hypothesis import HealthCheck, settings

from ksd_tools.admin import issue_tokens, wait_until_known

AUTH: dict[str, dict[str, str]] = {}
EXAMPLES = int(os.environ.get("KSD_FUZZ_EXAMPLES_READ", "60"))
"""Per operation, beside the coverage phase's boundary cases; `KSD_FUZZ_EXAMPLES_READ=2000` hunts longer."""


def _schema(platform: Platform, service: str) -> Any:
    """The service's document, with a province token (its scope has an inside and an outside)."""
    async def token() -> str:
        [issued] = await issue_tokens([("province", "65", "fuzz")])
        probe = "/v1/summary" if service == "reporting" else "/v1/regions/65/mapping"
        await wait_until_known(f"{platform.url[service]}{probe}", issued, timeout=120)
        return issued

    AUTH[service] = {"Authorization": f"Bearer {asyncio.run(token())}"}
    return schemathesis.openapi.from_url(f"{platform.url[service]}/openapi.json")


@pytest.fixture(scope="session")
def reporting_schema(platform: Platform) -> Any:
    return _schema(platform, "reporting")


@pytest.fixture(scope="session")
def mapping_schema(platform: Platform) -> Any:
    return _schema(platform, "mapping")


reporting = schemathesis.pytest.from_fixture("reporting_schema").include(path_regex="^/v1/")
mapping = schemathesis.pytest.from_fixture("mapping_schema").include(path_regex="^/v1/")


@reporting.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.timeout(900)
def test_reporting_answers_as_its_document_says(case: Any, http: requests.Session) -> None:
    case.call_and_validate(session=http, headers=AUTH["reporting"], timeout=60)


@mapping.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.timeout(900)
def test_mapping_answers_as_its_document_says(case: Any, http: requests.Session) -> None:
    case.call_and_validate(session=http, headers=AUTH["mapping"], timeout=60)
