"""JSON true and false are not numbers: every number a request body declares refuses them.

Pydantic's lax mode reads ``true`` as 1 and ``false`` as 0, so a client's mistake was saved as a
number (schemathesis found ranking weights saving ``false`` as 0). The walk covers every JSON
request body of the published document, nested objects included, so a new numeric field without
``platform.strict.Numeric`` fails here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Tenant


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _numeric_paths(
    schema: dict[str, Any], schemas: dict[str, Any], prefix: tuple[str, ...] = (), depth: int = 0
) -> Iterator[tuple[str, ...]]:
    """Paths to numeric properties, through nested objects (not through arrays or unions of objects)."""
    schema = _resolve(schema, schemas)
    for name, prop in (schema.get("properties") or {}).items():
        variants = [_resolve(v, schemas) for v in [prop, *prop.get("anyOf", [])]]
        if any(v.get("type") in ("integer", "number") for v in variants):
            yield (*prefix, name)
        elif depth < 3:
            for variant in variants:
                if variant.get("type") == "object" or "properties" in variant:
                    yield from _numeric_paths(variant, schemas, (*prefix, name), depth + 1)


def _nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body: Any = value
    for name in reversed(path):
        body = {name: body}
    return dict(body)


async def test_numbers_in_request_bodies_refuse_true_and_false(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    checked: list[str] = []
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None:
                continue
            target = re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), route)
            headers = {**tenant.headers, "If-Match": '"0"'}
            for path in _numeric_paths(media["schema"], schemas):
                for value in (True, False):
                    body = _nested(path, value)
                    response = await client.request(method, target, json=body, headers=headers)
                    if response.status_code != 422:
                        continue  # refused earlier (a stale If-Match, a partner key): says nothing here
                    fields = {error.get("field") for error in response.json().get("errors", [])}
                    assert ".".join(("body", *path)) in fields, (method, route, path, value, fields)
                    checked.append(f"{method} {route} {'.'.join(path)}")
    assert len(set(checked)) >= 15, sorted(set(checked))
