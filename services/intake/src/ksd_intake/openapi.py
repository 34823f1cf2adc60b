"""The submission bodies in intake's OpenAPI document: the routes read raw bytes (for the 413 and
400 answers), so FastAPI cannot infer them; they are described here from the contract models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from ksd_contracts.submissions import SUBMISSION_MODELS
from ksd_intake.domain import IDEMPOTENCY_KEY_MAX, MAX_BATCH_ITEMS

REF = "#/components/schemas/{model}"


def _submission(name: str, model_ref: dict[str, Any], *, keyed: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"type": {"const": name}, "data": model_ref}
    required = ["type", "data"]
    if keyed:
        properties["idempotency_key"] = {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX}
        required.insert(0, "idempotency_key")
    return {"type": "object", "title": name, "properties": properties, "required": required,
            "additionalProperties": False}


def _schemas() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(one submission, one batch, the component schemas they refer to)."""
    refs, definitions = models_json_schema([(m, "validation") for m in SUBMISSION_MODELS.values()],
                                           ref_template=REF)
    by_name = {name: refs[(model, "validation")] for name, model in SUBMISSION_MODELS.items()}
    single = {"oneOf": [_submission(n, r, keyed=False) for n, r in by_name.items()]}
    # The batch is refused whole only for its shape and size; each item is answered on its own (an
    # item that is not a submission gets its 422 in its result), so any item is a valid request.
    # What an item should be is its own component, `BatchSubmission`.
    item = {"oneOf": [_submission(n, r, keyed=True) for n, r in by_name.items()]}
    batch = {
        "type": "object", "required": ["submissions"], "additionalProperties": False,
        "properties": {"submissions": {
            "type": "array", "minItems": 1, "maxItems": MAX_BATCH_ITEMS,
            "items": {"description": "Each `{idempotency_key, type, data}`: a `BatchSubmission`, answered in"
                                     " its own result (an item that is not one is refused there)."},
        }},
    }
    return single, batch, definitions["$defs"] | {"BatchSubmission": item}


SINGLE, BATCH, COMPONENTS = _schemas()


def body(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route that takes `schema` as its JSON body."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def with_models(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """app.openapi, adding the contract models to the document's components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
        return app.openapi_schema or generate()

    return openapi
