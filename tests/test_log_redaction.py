"""Nothing secret or personal reaches the logs, even at DEBUG; every request leaves one JSON line."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.identity.models import User
from rolecall.platform.db import transaction
from rolecall.platform.logging import REDACTED, configure_logging, redact
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, create_tenant, login


@pytest.fixture(params=[False, True], ids=["quiet", "echo"])
async def debug_app(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[FastAPI]:
    """The app at DEBUG, once as configured by default and once with SQL echo switched on."""
    update = {"log_level": "DEBUG", "log_json": True, "database_echo": request.param}
    application = create_app(settings.model_copy(update=update))
    try:
        async with LifespanManager(application):
            yield application
    finally:
        configure_logging("INFO")


def request_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for raw in output.splitlines():
        if not raw.startswith("{"):
            continue
        record = json.loads(raw)
        if record.get("event") == "request":
            lines.append(record)
    return lines


async def test_canaries_never_reach_the_logs(debug_app: FastAPI, capsys: pytest.CaptureFixture[str]) -> None:
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    sessionmaker: async_sessionmaker[AsyncSession] = debug_app.state.sessionmaker
    transport = httpx.ASGITransport(app=debug_app)
    canary = uuid.uuid4().hex
    password = f"canary-password-{canary}"
    email = f"canary-{canary[:12]}@example.com"
    name = f"Canaryname {canary}"
    responses: list[httpx.Response] = []

    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
        tenant = await create_tenant(client, sessionmaker, f"Canary Org {canary}")
        created = await client.post(
            "/v1/users",
            headers=tenant.headers,
            json={"email": email, "full_name": name, "password": password, "roles": ["recruiter"]},
        )
        assert created.status_code == 201
        responses.append(created)

        tokens = await login(client, email, password)
        failed = await client.post(
            "/v1/oauth/token",
            data={"grant_type": "password", "username": email, "password": f"wrong-{password}"},
        )
        assert failed.status_code == 400
        responses.append(failed)
        refreshed = await client.post(
            "/v1/oauth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200
        responses.append(refreshed)
        me = await client.get(
            "/v1/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        )
        assert me.status_code == 200
        responses.append(me)
        revoked = await client.post("/v1/oauth/revoke", data={"token": refreshed.json()["refresh_token"]})
        assert revoked.status_code == 200
        responses.append(revoked)
        revoked = await client.post("/v1/oauth/revoke", data={"token": tokens["access_token"]})
        assert revoked.status_code == 200
        responses.append(revoked)
        # Secrets sent where they do not belong are not echoed into the logs either.
        stray = await client.get(
            "/no/such/route", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert stray.status_code == 404
        responses.append(stray)

    output = capsys.readouterr().out
    secrets = {
        "password": password,
        "email": email,
        "email local part": email.split("@")[0],
        "name": name,
        "admin access token": tenant.token,
        "admin refresh token": tenant.refresh_token,
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
        "refreshed access token": refreshed.json()["access_token"],
        "refreshed refresh token": refreshed.json()["refresh_token"],
        "admin email": tenant.admin_email,
    }
    leaked = {label: value for label, value in secrets.items() if value in output}
    assert leaked == {}, f"found in the logs: {sorted(leaked)}"
    # The capture did see DEBUG-level, SQL-driven activity, so the check above was not vacuous.
    assert len(output.splitlines()) > 10

    lines = request_lines(output)
    by_id = {line["request_id"]: line for line in lines}
    for response in responses:
        line = by_id[response.headers["x-request-id"]]
        assert line["status"] == response.status_code
        assert isinstance(line["duration_ms"], int | float)
        assert line["duration_ms"] >= 0
        assert line["level"] == "info"
        assert line["logger"] == "rolecall.http"
        assert "timestamp" in line
    routes = {line["request_id"]: line["route"] for line in lines}
    assert routes[created.headers["x-request-id"]] == "/v1/users"
    assert routes[failed.headers["x-request-id"]] == "/v1/oauth/token"
    assert routes[stray.headers["x-request-id"]] == "unmatched"


async def test_every_request_line_is_json_with_its_fields(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-me-123"})
    [line] = [line for line in request_lines(capsys.readouterr().out) if line["request_id"] == "trace-me-123"]
    assert line["route"] == "/healthz"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert response.headers["x-request-id"] == "trace-me-123"
    assert set(line) >= {"request_id", "route", "status", "duration_ms", "timestamp", "level", "event"}


async def test_database_errors_do_not_carry_statement_parameters(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A database error's text reaches the logs in a traceback, so it must not include the values."""
    canary = f"Canaryname {uuid.uuid4().hex}"

    async def add_duplicate_login() -> None:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            # A second account with an existing login name: the unique constraint refuses it.
            session.add(User(email=tenant.admin_email, full_name=canary, password_hash="x", roles=[]))
            await session.flush()

    with pytest.raises(IntegrityError) as caught:
        await add_duplicate_login()
    assert tenant.admin_email not in str(caught.value)
    assert canary not in str(caught.value)
    assert "INSERT INTO users" in str(caught.value)


JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVz"


def run_redact(**event: Any) -> dict[str, Any]:
    return dict(redact(None, "info", dict(event)))


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "Passwd",
        "secret",
        "client_secret",
        "token",
        "refresh_token",
        "authorization",
        "Authorisation",
        "cookie",
        "set-cookie",
        "api_key",
        "X-Api-Key",
        "email",
        "admin_email",
        "phone",
        "full_name",
        "name",
    ],
)
def test_sensitive_keys_are_replaced(key: str) -> None:
    assert run_redact(event="something", **{key: "hunter2"})[key] == REDACTED


def test_ordinary_keys_are_kept() -> None:
    event = {"event": "request", "route": "/v1/users", "status": 201, "duration_ms": 1.5, "org_name_count": 3}
    assert run_redact(**event) == event


def test_sensitive_keys_inside_nested_values_are_replaced() -> None:
    result = run_redact(
        event="x",
        body={"user": {"email": "a@b.example", "roles": ["admin"]}, "items": [{"password": "p"}, {"ok": 1}]},
    )
    assert result["body"] == {
        "user": {"email": REDACTED, "roles": ["admin"]},
        "items": [{"password": REDACTED}, {"ok": 1}],
    }


def test_bearer_tokens_and_jwts_inside_other_values_are_scrubbed() -> None:
    result = run_redact(
        event=f"calling upstream with Authorization: Bearer {JWT} failed",
        headers=[
            ("accept", "application/json"),
            ("x-forwarded", f"bearer opaque-token.value_123 tail {JWT}"),
        ],
        note=f"token was {JWT}.",
    )
    dumped = json.dumps(result)
    assert JWT not in dumped
    assert "opaque-token.value_123" not in dumped
    assert result["event"] == f"calling upstream with Authorization: Bearer {REDACTED} failed"
    assert result["note"] == f"token was {REDACTED}."
    assert result["headers"][0] == ["accept", "application/json"]


def test_basic_credentials_inside_other_values_are_scrubbed() -> None:
    padded = base64.b64encode(b"rc_0123456789:client-secret-value").decode()
    unpadded = base64.b64encode(b"rc_client:s3cret!").decode().rstrip("=")
    result = run_redact(
        event=f"upstream said 401 to Authorization: Basic {padded}",
        header=f"basic {unpadded}",
        prose="basic information about the basic plan",
        word="Basic authentication failed for basic aGVsbG8=",  # "hello": no id:secret pair
    )
    assert padded not in json.dumps(result)
    assert unpadded not in json.dumps(result)
    assert result["event"] == f"upstream said 401 to Authorization: Basic {REDACTED}"
    assert result["header"] == f"Basic {REDACTED}"
    assert result["prose"] == "basic information about the basic plan"
    assert result["word"] == "Basic authentication failed for basic aGVsbG8="


def test_redaction_applies_to_stdlib_and_structlog_records(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG")
    try:
        logging.getLogger("some.library").warning("retrying with Bearer %s", JWT)
        structlog.get_logger("rolecall.test").info(
            "login", password="hunter2", email="a@b.example", attempt=2
        )
    finally:
        configure_logging("INFO")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert "hunter2" not in json.dumps(lines)
    assert JWT not in json.dumps(lines)
    [library] = [line for line in lines if line["logger"] == "some.library"]
    assert library["event"] == f"retrying with Bearer {REDACTED}"
    [ours] = [line for line in lines if line["logger"] == "rolecall.test"]
    assert ours["password"] == REDACTED
    assert ours["email"] == REDACTED
    assert ours["attempt"] == 2


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("refresh_tokens", 3),
        ("access_tokens", 0),
        ("expired_sessions_and_tokens", 12),
        ("token_count", 7),
        ("token_ttl_seconds", 3600.0),
        ("password_attempts", 2),
        ("token_valid", True),
        ("token", None),
    ],
)
def test_counts_flags_and_nulls_under_sensitive_keys_are_kept(key: str, value: object) -> None:
    """Housekeeping says how many refresh tokens it deleted; that number is not a credential."""
    assert run_redact(event="housekeeping", **{key: value})[key] == value
    assert run_redact(event="x", nested={key: value})["nested"] == {key: value}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("token", 123456),  # a numeric one-time code is the secret itself
        ("pin_password", 1234),
        ("phone", 4915112345678),
        ("phone_number", 4915112345678),
        ("refresh_tokens", "rt_abc"),  # a string under a count-like key could still be a token
        ("refresh_tokens", ["rt_abc", "rt_def"]),
        ("secret", {"value": 1}),
    ],
)
def test_values_that_could_be_secrets_stay_hidden(key: str, value: object) -> None:
    assert run_redact(event="x", **{key: value})[key] == REDACTED
    assert run_redact(event="x", nested={key: value})["nested"] == {key: REDACTED}
