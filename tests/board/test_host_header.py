"""A forged Host header never reaches a link: feeds, sitemaps, pages and the compat APIs use the
public base (ROLECALL_PUBLIC_BASE_URL, else the issuer), and production will not start without it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from rolecall.app import create_app
from rolecall.config import InsecureConfiguration, Settings
from tests.compat.support import board_slug
from tests.factories import Tenant, open_job
from tests.test_cli import PRODUCTION_SECRET, invoke

ISSUER = "https://issuer.example"
HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The suite's settings without ROLECALL_PUBLIC_BASE_URL, as a development install has them."""
    return Settings(
        environment="test",
        database_url=db_url,
        embedded_worker=False,
        issuer=ISSUER,
        search_index_path=tmp_path / "search-index",
        file_store_path=tmp_path / "files",
        mail_outbox_dir=tmp_path / "mail",
        search_sync_seconds=0,
        gc_freeze=False,
    )


async def test_a_hostile_host_header_never_reaches_a_link(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    slug = await board_slug(client, tenant)
    paths = [
        f"/v1/board/{slug}/feed.xml",
        f"/v1/board/{slug}/feed.atom",
        f"/v1/board/{slug}/feed.rss",
        f"/v1/board/{slug}/sitemap.xml",
        f"/jobs/{job['id']}",
        f"/compat/greenhouse/v1/boards/{slug}/jobs",
        f"/compat/lever/v0/postings/{slug}",
        f"/compat/lever/v0/postings/{slug}/{job['id']}",
    ]
    for path in paths:
        response = await client.get(path, headers=HOSTILE)
        assert response.status_code == 200, (path, response.text)
        assert "evil.example" not in response.text, path
        assert ISSUER in response.text, path


async def test_the_greenhouse_and_lever_links_are_on_the_issuers_address(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    slug = await board_slug(client, tenant)

    greenhouse = await client.get(f"/compat/greenhouse/v1/boards/{slug}/jobs", headers=HOSTILE)
    lever = await client.get(f"/compat/lever/v0/postings/{slug}/{job['id']}", headers=HOSTILE)

    assert greenhouse.json()["jobs"][0]["absolute_url"].startswith(f"{ISSUER}/")
    assert lever.json()["hostedUrl"].startswith(f"{ISSUER}/")
    assert lever.json()["applyUrl"].startswith(f"{ISSUER}/")


def test_production_refuses_to_build_the_app_without_a_public_url(tmp_path: Path) -> None:
    settings = Settings(
        environment="production",
        secret_key=PRODUCTION_SECRET,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}",
        search_index_path=tmp_path / "index",
        file_store_path=tmp_path / "files",
    )
    with pytest.raises(InsecureConfiguration, match="ROLECALL_PUBLIC_BASE_URL"):
        create_app(settings)


def test_development_builds_the_app_without_a_public_url(tmp_path: Path) -> None:
    settings = Settings(
        environment="development",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}",
        search_index_path=tmp_path / "index",
        file_store_path=tmp_path / "files",
    )
    assert create_app(settings).state.settings.public_base == settings.issuer.rstrip("/")


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_production_serve_and_worker_exit_without_a_public_url(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROLECALL_PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("ROLECALL_ISSUER", raising=False)
    monkeypatch.setenv("ROLECALL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ROLECALL_ENVIRONMENT", "production")
    monkeypatch.setenv("ROLECALL_SECRET_KEY", PRODUCTION_SECRET)

    result = invoke(command)

    assert result.exit_code == 2
    assert "refusing to start" in result.stderr
    assert "ROLECALL_PUBLIC_BASE_URL" in result.stderr
    assert "Traceback" not in result.output
