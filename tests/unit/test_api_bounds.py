"""Every whole number a service's API takes in its path or query has a largest value PostgreSQL can
hold (bigint), so a larger one is the 422 that names the parameter, not a 500 from the database
driver: the read fuzz test found `GET /v1/inbox?cursor=` with a 38-digit cursor answered 500."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

BIGINT = 2**63 - 1
SERVICES = ("intake", "agreement", "mapping", "reporting")


def integer_parameters(service: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(operation, parameter, its integer schema) of every integer path or query parameter."""
    document = importlib.import_module(f"ksd_{service}.app").app.openapi()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                for alternative in (schema, *schema.get("anyOf", [])):
                    if alternative.get("type") == "integer":
                        found.append((f"{method.upper()} {path}", parameter["name"], alternative))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_integer_parameter_is_bounded_to_a_bigint(service: str) -> None:
    unbounded = [(operation, name) for operation, name, schema in integer_parameters(service)
                 if schema.get("maximum", BIGINT + 1) > BIGINT]
    assert unbounded == []


def test_the_parameters_are_found() -> None:
    """The walk above sees the parameters it must check (a paging cursor and limits among them)."""
    found = {(operation, name) for service in SERVICES for operation, name, _ in integer_parameters(service)}
    assert {("GET /v1/inbox", "cursor"), ("GET /v1/inbox", "limit"), ("GET /v1/submissions", "limit")} <= found
