"""The published contract (/openapi.json) describes the API as it behaves, for every operation.

Most checks read the document of an app that is built but never started; the last ones send real
requests and check that what comes back is what the document says.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from openapi_spec_validator import validate
from pydantic import BaseModel, Field

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform import openapi
from rolecall.platform.auth import PUBLIC, Principal, requires
from rolecall.platform.contexts import scopes
from rolecall.platform.errors import PROBLEM_JSON
from rolecall.platform.http import IfMatch
from tests.factories import Tenant, create_job, fork_profile, job_body

SNAPSHOT = Path(__file__).parent / "openapi_snapshot.json"
REFRESH = "rolecall openapi > tests/platform/openapi_snapshot.json"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def static_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    scratch = tmp_path_factory.mktemp("openapi-app")
    return create_app(
        Settings(
            environment="test",
            database_url="sqlite+aiosqlite:///:memory:",
            search_index_path=scratch / "index",
            file_store_path=scratch / "files",
        )
    )


@pytest.fixture(scope="module")
def document(static_app: FastAPI) -> dict[str, Any]:
    return static_app.openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert sum(1 for _ in operations(document)) >= 150


def test_the_security_schemes_offer_oauth_flows_with_the_scope_catalogue(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    flows = schemes[openapi.OAUTH2]["flows"]
    assert set(flows) == {"password", "clientCredentials"}
    for flow in flows.values():
        assert flow["tokenUrl"] == flow["refreshUrl"] == "/v1/oauth/token"
        assert set(flow["scopes"]) == set(scopes())
        assert all(description for description in flow["scopes"].values())
    assert schemes[openapi.BEARER] == {**schemes[openapi.BEARER], "type": "http", "scheme": "bearer"}


def test_every_operation_declares_the_scopes_its_route_requires(
    static_app: FastAPI, document: dict[str, Any]
) -> None:
    checked = 0
    for method, path, context in openapi.routes(static_app):
        operation = document["paths"][path][method.lower()]
        kind, needed = openapi.auth_of(context.dependant)
        if kind == "scopes":
            assert operation["security"] == [
                {openapi.OAUTH2: sorted(needed)},
                {openapi.BEARER: sorted(needed)},
            ], (method, path)
            for scope in needed:
                assert f"`{scope}`" in operation["description"], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
        elif path.startswith(openapi.BASIC_AUTH_PREFIXES):
            assert operation["security"] == [{openapi.PARTNER_BASIC: []}], (method, path)
            assert "401" in operation["responses"], (method, path)
        else:
            assert operation["security"] == [], (method, path)
            assert "403" not in operation["responses"], (method, path)
        checked += 1
    assert checked == sum(1 for _ in operations(document))
    jobs_create = document["paths"]["/v1/jobs"]["post"]
    assert jobs_create["security"][0] == {openapi.OAUTH2: ["jobs:write"]}
    assert "Requires scope:** `jobs:write`" in jobs_create["description"]


def test_operation_ids_are_readable_unique_and_follow_the_rule(
    static_app: FastAPI, document: dict[str, Any]
) -> None:
    raw = openapi.operation_ids(static_app)
    duplicates = {op_id for op_id in raw.values() if list(raw.values()).count(op_id) > 1}
    assert not duplicates, f"two operations would share an id: add them to OPERATION_IDS: {duplicates}"
    published = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(published) == len(set(published))
    bad = [op_id for op_id in published if not openapi.OPERATION_ID.fullmatch(op_id)]
    assert not bad
    by_route = {(m, p): op["operationId"] for m, p, op in operations(document)}
    assert by_route[("POST", "/v1/jobs")] == "jobs.create"
    assert by_route[("GET", "/v1/jobs")] == "jobs.list"
    assert by_route[("GET", "/v1/jobs/{job_id}")] == "jobs.get"
    assert by_route[("POST", "/v1/applications/{application_id}/move")] == "applications.move"
    assert by_route[("POST", "/v1/candidates/{candidate_id}/files")] == "candidates.files.upload"


def test_every_operation_has_a_description_and_an_example(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        assert operation.get("description", "").strip(), (method, path)
        assert openapi.has_example(operation), f"{method} {path} has no example"


def test_built_examples_are_deterministic_and_follow_formats() -> None:
    schemas = {"Thing": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}}}
    schema = {
        "type": "object",
        "properties": {
            "thing": {"$ref": "#/components/schemas/Thing"},
            "at": {"type": "string", "format": "date-time"},
            "kind": {"enum": ["draft", "open"]},
            "size": {"anyOf": [{"type": "integer", "minimum": 3}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }

    example = openapi.example_for(schema, schemas)

    assert example == {
        "thing": {"id": openapi.EXAMPLE_UUID},
        "at": "2026-01-15T09:30:00Z",
        "kind": "draft",
        "size": 3,
        "tags": ["string"],
    }
    assert openapi.example_for(schema, schemas) == example


def test_schema_names_are_short_and_fastapis_validation_schema_is_gone(document: dict[str, Any]) -> None:
    names = list(document["components"]["schemas"])
    long = [name for name in names if not openapi.SCHEMA_NAME.fullmatch(name) or len(name) > 40]
    assert not long, f"rename these models (or extend the builder's renaming): {long}"
    assert "HTTPValidationError" not in names
    assert "ValidationError" not in names
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', text))
    assert refs <= set(names), f"dangling references: {refs - set(names)}"


def test_every_error_response_is_a_problem_document(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    assert problem["additionalProperties"] is True
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert "400" in responses, (method, path)
        for status, response in responses.items():
            if int(status) < 400:
                continue
            content = response["content"]
            assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}, (
                method,
                path,
                status,
            )
        params = operation.get("parameters", [])
        if any(p["in"] == "path" for p in params):
            assert {"404", "422"} <= set(responses), (method, path)
        if "requestBody" in operation:
            assert {"413", "415", "422"} <= set(responses), (method, path)
        if any(p["name"] == "If-Match" for p in params):
            assert {"412", "428"} <= set(responses), (method, path)
        if method == "POST":
            assert {"409", "422"} <= set(responses), (method, path)
            assert any(p["name"] == "Idempotency-Key" for p in params), (method, path)


def test_rate_limited_operations_declare_429_with_its_headers(document: dict[str, Any]) -> None:
    for path in ("/v1/board/postings", "/v1/board/{org_slug}/feed.xml"):
        too_many = document["paths"][path]["get"]["responses"]["429"]
        assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(too_many["headers"])
    token_errors = document["paths"]["/v1/oauth/token"]["post"]["responses"]["400"]["content"]
    # application/json first (generators read the first media type only), admitting both bodies.
    assert list(token_errors) == ["application/json", "application/problem+json"]
    assert token_errors["application/json"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/OAuthError"}, {"$ref": "#/components/schemas/Problem"}]
    }


def test_non_json_operations_declare_their_real_media_types(document: dict[str, Any]) -> None:
    def success(path: str) -> set[str]:
        return set(document["paths"][path]["get"]["responses"]["200"]["content"])

    assert success("/v1/board/{org_slug}/feed.atom") == {"application/atom+xml"}
    assert success("/v1/board/{org_slug}/feed.rss") == {"application/rss+xml"}
    assert success("/v1/board/{org_slug}/sitemap.xml") == {"application/xml"}
    assert success("/v1/interviews/{interview_id}/invite.ics") == {"text/calendar"}
    assert success("/metrics") == {"text/plain"}
    assert success("/v1/assessments/bank/export") == {"application/yaml"}
    assert "application/pdf" in success("/v1/candidates/{candidate_id}/files/{file_id}/content")
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("2") and status != "204" and status != "202":
                assert response.get("content"), f"{method} {path} {status} declares no media type"


def test_every_tag_is_declared_with_a_description(document: dict[str, Any]) -> None:
    declared = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    used = {tag for _, _, operation in operations(document) for tag in operation.get("tags", [])}
    assert used <= set(declared)
    assert all(declared[tag].strip() for tag in used)


def test_the_public_apply_operation_describes_its_multipart_body(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/board/postings/{posting_id}/applications"]["post"]
    multipart = operation["requestBody"]["content"]["multipart/form-data"]
    parts = multipart["schema"]["properties"]
    assert parts["application"]["$ref"] == "#/components/schemas/PublicApplication"
    assert parts["resume"] == {**parts["resume"], "type": "string", "format": "binary"}
    assert any(pattern.startswith("^file_") for pattern in multipart["schema"]["patternProperties"])
    assert multipart["encoding"]["application"]["contentType"] == "application/json"
    application = document["components"]["schemas"]["PublicApplication"]
    assert {"full_name", "email", "consent"} <= set(application["required"])
    assert operation["security"] == []


def test_the_committed_snapshot_is_the_document(document: dict[str, Any]) -> None:
    current = openapi.dump(document)
    stored = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    assert current == stored, (
        f"The OpenAPI document changed. Review the change, then refresh the snapshot with: `{REFRESH}`"
    )


async def test_docs_pages_load_only_local_assets(client: httpx.AsyncClient) -> None:
    for page, assets in (("/docs", 2), ("/redoc", 1)):
        response = await client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        urls = re.findall(r'(?:src|href)="([^"]+)"', response.text)
        assert len(urls) == assets, urls
        assert all(url.startswith("/static/") for url in urls), urls
        assert "cdn" not in response.text.lower()
        assert "script-src" not in response.headers["content-security-policy"]
        assert "default-src 'self'" in response.headers["content-security-policy"]
        for url in urls:
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 100_000, url
    script = await client.get(re.findall(r'src="([^"]+)"', (await client.get("/docs")).text)[0])
    assert b"SwaggerUIBundle" in script.content
    assert b'getElementById("swagger-ui")' in script.content


async def test_answers_are_the_ones_the_document_declares(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    document = app.openapi()
    profile = await fork_profile(client, tenant)
    job_id = (await create_job(client, tenant, profile["id"]))["id"]
    missing = str(uuid.uuid4())
    cases = [
        ("POST", "/v1/jobs", "/v1/jobs", {}, job_body(profile["id"]), None),
        ("GET", "/v1/jobs/{job_id}", f"/v1/jobs/{missing}", {}, None, None),
        ("GET", "/v1/jobs/{job_id}", "/v1/jobs/not-a-uuid", {}, None, None),
        ("PATCH", "/v1/jobs/{job_id}", f"/v1/jobs/{job_id}", {}, {"title": "x"}, None),
        ("PATCH", "/v1/jobs/{job_id}", f"/v1/jobs/{job_id}", {"If-Match": '"stale"'}, {"title": "x"}, None),
        ("GET", "/v1/jobs", "/v1/jobs", {"Authorization": "Bearer nope"}, None, None),
        ("POST", "/v1/jobs", "/v1/jobs", {}, {"title": 7}, None),
    ]
    seen = set()
    for method, template, url, extra, body, _ in cases:
        headers = {**tenant.headers, **extra}
        response = await client.request(method, url, headers=headers, json=body)
        declared = document["paths"][template][method.lower()]["responses"]
        status = str(response.status_code)
        assert status in declared, f"{method} {url} answered {status}, not declared"
        media = response.headers["content-type"].split(";")[0]
        assert media in declared[status].get("content", {media: None}), (method, url, media)
        seen.add(status)
    assert {"201", "404", "422", "428", "412", "401"} <= seen


def test_the_examples_models_declare_are_valid_against_their_schemas(document: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    checked = 0
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            root = {**schema, "components": document["components"]}
            errors = [e.message for e in Draft202012Validator(root).iter_errors(example)]
            assert not errors, f"the example of {name} is invalid: {errors}"
            checked += 1
    assert checked >= 5


class WidgetIn(BaseModel):
    name: str = Field(min_length=1)


def test_a_new_route_is_described_without_extra_work() -> None:
    """What another context adds gets security, problems, an id, a description and an example."""
    app = FastAPI()
    router = APIRouter(prefix="/v1", tags=["widgets"])

    @router.post("/widgets/{widget_id}/polish", status_code=201)
    async def polish_widget(
        widget_id: uuid.UUID,
        body: WidgetIn,
        _principal: Annotated[Principal, Depends(requires("widgets:write"))],
        _if_match: IfMatch,
    ) -> WidgetIn:
        return body

    @router.get("/widgets", dependencies=[PUBLIC])
    async def list_widgets() -> list[WidgetIn]:
        return []

    app.include_router(router)
    openapi.install(app)
    document = app.openapi()

    polish = document["paths"]["/v1/widgets/{widget_id}/polish"]["post"]
    assert polish["operationId"] == "widgets.polish"
    assert polish["security"] == [{openapi.OAUTH2: ["widgets:write"]}, {openapi.BEARER: ["widgets:write"]}]
    assert {"400", "401", "403", "404", "409", "412", "413", "415", "422", "428"} <= set(polish["responses"])
    assert "`widgets:write`" in polish["description"]
    assert openapi.has_example(polish)
    listing = document["paths"]["/v1/widgets"]["get"]
    assert listing["operationId"] == "widgets.list"
    assert listing["security"] == []
    assert listing["responses"]["200"]["content"]["application/json"]["example"] == [{"name": "string"}]
    assert document["tags"][0]["description"].startswith("The published contract")
    validate(document)
