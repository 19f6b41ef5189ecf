"""Without SMTP settings, e-mail is written to a folder and, in development, shown at /app/dev/mail."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from rolecall.config import Settings
from rolecall.notifications import sender
from tests.factories import Tenant, apply_form, open_job
from tests.web.support import create_staff, sign_in


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    environment = "test" if "production_like" in request.node.name else "development"
    return settings.model_copy(
        update={"smtp_url": None, "mail_outbox_dir": tmp_path / "outbox", "environment": environment}
    )


async def _apply_and_send(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> list[Path]:
    job = await open_job(client, app, tenant)
    form = apply_form(email="file@example.com", full_name="Fay File")
    assert (await client.post(f"/v1/board/postings/{job['id']}/applications", **form)).status_code == 202
    assert await sender.deliver_due(app.state.sessionmaker, app.state.settings) == 1
    folder = Path(app.state.settings.mail_outbox_dir)
    return await asyncio.to_thread(lambda: sorted(folder.glob("*.eml")))


async def test_messages_go_to_the_outbox_folder_and_the_dev_mailbox_lists_them(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    (written,) = await _apply_and_send(client, app, tenant)
    assert b"To: Fay File <file@example.com>" in written.read_bytes()
    _, email = await create_staff(client, tenant, "recruiter")
    await sign_in(pages, email)
    listing = await pages.get("/app/dev/mail")
    assert listing.status_code == 200, listing.text
    assert "Fay File &lt;file@example.com&gt;" in listing.text
    found = re.search(r'href="/app/dev/mail/([^"]+\.eml)"', listing.text)
    assert found is not None
    assert found.group(1) == written.name
    shown = await pages.get(f"/app/dev/mail/{found.group(1)}")
    assert shown.status_code == 200
    assert "/status/" in shown.text
    assert (await pages.get("/app/dev/mail/..%2F..%2Fsecret.eml")).status_code == 404


async def test_the_dev_mailbox_does_not_exist_outside_development_production_like(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    assert len(await _apply_and_send(client, app, tenant)) == 1  # the folder still receives them
    _, email = await create_staff(client, tenant, "admin")
    await sign_in(pages, email)
    assert (await pages.get("/app/dev/mail")).status_code == 404
