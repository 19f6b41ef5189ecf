"""`rolecall serve --host --port` (and so `make run HOST=... PORT=...`) issues tokens for its own address."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from typer.testing import CliRunner

from rolecall.app import create_app
from rolecall.cli import app as cli
from rolecall.config import DEFAULT_ISSUER, Settings, address_url, get_settings
from tests.factories import create_tenant


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


@pytest.fixture
def environment(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Set (empty) rather than deleted, so that what `serve` writes into os.environ is undone afterwards.
    monkeypatch.setenv("ROLECALL_ISSUER", "")
    monkeypatch.setenv("ROLECALL_PUBLIC_BASE_URL", "")
    for name, value in {
        "ROLECALL_DATABASE_URL": db_url,
        "ROLECALL_ENVIRONMENT": "test",
        "ROLECALL_EMBEDDED_WORKER": "false",
        "ROLECALL_SEARCH_INDEX_PATH": str(tmp_path / "index"),
        "ROLECALL_FILE_STORE_PATH": str(tmp_path / "files"),
        "ROLECALL_MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "ROLECALL_SEARCH_SYNC_SECONDS": "0",
        "ROLECALL_GC_FREEZE": "false",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


async def test_serve_issues_tokens_and_metadata_for_the_address_it_listens_on(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: dict[str, Any] = {}

    def run(*args: Any, **kwargs: Any) -> None:
        started.update(kwargs, issuer=os.environ.get("ROLECALL_ISSUER"))  # what a uvicorn worker inherits

    monkeypatch.setattr("rolecall.cli.uvicorn.run", run)
    result = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.2", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("127.0.0.2", 8123)
    assert started["issuer"] == "http://127.0.0.2:8123"
    assert os.environ["ROLECALL_ISSUER"] == ""  # restored once the server stopped: nothing leaks

    monkeypatch.setenv("ROLECALL_ISSUER", started["issuer"])  # as the uvicorn worker process sees it
    get_settings.cache_clear()
    app = create_app(get_settings())
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://elsewhere.test") as client:
                tenant = await create_tenant(client, app.state.sessionmaker)
                metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
                me = await client.get("/v1/me", headers=tenant.headers)
    finally:
        get_settings.cache_clear()
    assert _claims(tenant.token)["iss"] == "http://127.0.0.2:8123"
    assert metadata["issuer"] == "http://127.0.0.2:8123"
    assert metadata["token_endpoint"] == "http://127.0.0.2:8123/v1/oauth/token"
    assert me.status_code == 200  # the tokens it issues verify against the same issuer


def test_serve_leaves_a_configured_issuer_or_public_address_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("rolecall.cli.uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setenv("ROLECALL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("ROLECALL_ISSUER", "")
    monkeypatch.setenv("ROLECALL_PUBLIC_BASE_URL", "https://jobs.example.com")
    CliRunner().invoke(cli, ["serve", "--port", "9000"])
    get_settings.cache_clear()
    try:
        assert get_settings().issuer == "https://jobs.example.com"
        monkeypatch.setenv("ROLECALL_ISSUER", "https://id.example.com")
        CliRunner().invoke(cli, ["serve", "--port", "9000"])
        get_settings.cache_clear()
        assert get_settings().issuer == "https://id.example.com"
    finally:
        get_settings.cache_clear()


def test_the_issuer_follows_the_public_base_url_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    # `rolecall serve` exports ROLECALL_ISSUER for its own process; another test's run must not
    # decide what Settings() reads here.
    for name in ("ROLECALL_ISSUER", "ROLECALL_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().issuer == DEFAULT_ISSUER
    assert Settings(public_base_url="https://jobs.example.com/").issuer == "https://jobs.example.com"
    explicit = Settings(public_base_url="https://jobs.example.com", issuer="https://id.example.com")
    assert explicit.issuer == "https://id.example.com"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8001"),
        ("0.0.0.0", "http://127.0.0.1:8001"),  # noqa: S104 - a wildcard bind is called on loopback
        ("localhost", "http://localhost:8001"),
        ("::", "http://[::1]:8001"),
        ("::1", "http://[::1]:8001"),
    ],
)
def test_address_url(host: str, url: str) -> None:
    assert address_url(host, 8001) == url
