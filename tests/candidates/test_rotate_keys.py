"""Re-encrypting candidates under a new PII key: complete, invisible to clients, resumable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from rolecall.app import create_app
from rolecall.candidates.keys import rotate_candidate_keys
from rolecall.candidates.models import ENCRYPTED_FIELDS, Candidate
from rolecall.cli import app as cli
from rolecall.config import Settings, get_settings
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, create_tenant

KEY_A = f"ka:{KeyRing.generate_key()}"
KEY_B = f"kb:{KeyRing.generate_key()}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"pii_keys": SecretStr(KEY_A)})


@asynccontextmanager
async def client_with(
    settings: Settings, pii_keys: str
) -> AsyncIterator[tuple[httpx.AsyncClient, async_sessionmaker[AsyncSession]]]:
    """A client of a fresh app on the same database whose PII key ring is ``pii_keys``."""
    application = create_app(settings.model_copy(update={"pii_keys": SecretStr(pii_keys)}))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
            yield client, application.state.sessionmaker


async def add(client: httpx.AsyncClient, tenant: Tenant, n: int) -> list[httpx.Response]:
    created = []
    for i in range(n):
        response = await client.post(
            "/v1/candidates",
            headers=tenant.headers,
            json={
                "full_name": f"Person {i}",
                "email": f"p{i}-{tenant.organisation_id.hex[:6]}@example.com",
                "phone": f"+49 30 100{i:04d}",
                "links": [f"https://p{i}.example"],
            },
        )
        assert response.status_code == 201, response.text
        created.append(response)
    return created


async def kids(sessionmaker: async_sessionmaker[AsyncSession]) -> list[set[str]]:
    """The key ids of each candidate's tokens, in id order."""
    async with transaction(sessionmaker) as session:
        stmt = select(Candidate).order_by(Candidate.id).execution_options(**all_tenants())
        rows = (await session.scalars(stmt)).all()
        return [
            {KeyRing.key_id(getattr(row, f)) for f in ENCRYPTED_FIELDS if getattr(row, f) is not None}
            for row in rows
        ]


async def test_rotation_reseals_every_tenant_under_the_active_key_without_changing_etags(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    mine = await add(client, tenant, 3)
    theirs = await add(client, other_tenant, 2)
    assert await kids(sessionmaker) == [{"ka"}] * 5

    ring = KeyRing.from_setting(f"{KEY_B},{KEY_A}")
    report = await rotate_candidate_keys(sessionmaker, ring, batch_size=2)
    # full_name, email, phone, links (location is empty) for each of five candidates
    assert (report.fields, report.candidates, report.current) == (20, 5, 0)
    assert await kids(sessionmaker) == [{"kb"}] * 5

    again = await rotate_candidate_keys(sessionmaker, ring)
    assert (again.fields, again.candidates, again.current) == (0, 0, 5)

    for keys in (f"{KEY_B},{KEY_A}", KEY_B):
        async with client_with(settings, keys) as (new_client, _):
            for who, responses in ((tenant, mine), (other_tenant, theirs)):
                for created in responses:
                    read = await new_client.get(f"/v1/candidates/{created.json()['id']}", headers=who.headers)
                    assert read.status_code == 200, read.text
                    assert read.json() == created.json() | {"updated_at": read.json()["updated_at"]}
                    assert read.json()["updated_at"] == created.json()["updated_at"]
                    assert read.headers["etag"] == created.headers["etag"]


async def test_an_interrupted_rotation_is_finished_by_the_next_run(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await add(client, tenant, 3)
    ring = KeyRing.from_setting(f"{KEY_B},{KEY_A}")

    first = await rotate_candidate_keys(sessionmaker, ring, batch_size=1, max_batches=1)
    assert (first.candidates, first.current) == (1, 0)
    assert await kids(sessionmaker) == [{"kb"}, {"ka"}, {"ka"}]

    second = await rotate_candidate_keys(sessionmaker, ring, batch_size=1)
    assert (second.fields, second.candidates, second.current) == (8, 2, 1)
    assert await kids(sessionmaker) == [{"kb"}] * 3


def test_rotate_keys_command(sqlite_template: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqlite_template.fresh(tmp_path)
    for name in ("ROLECALL_ENVIRONMENT", "ROLECALL_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROLECALL_DATABASE_URL", url)
    monkeypatch.setenv("ROLECALL_FILE_STORE_PATH", str(tmp_path / "files"))  # not ./var, the demo's
    settings = Settings(
        environment="test",
        database_url=url,
        embedded_worker=False,
        issuer="http://rolecall.test",
        search_index_path=tmp_path / "search-index",
        file_store_path=tmp_path / "files",
        webhook_allowed_hosts=("127.0.0.1",),
    )

    async def populate() -> None:
        async with client_with(settings, KEY_A) as (client, maker):
            tenant = await create_tenant(client, maker)
            await add(client, tenant, 2)
            # A port with no candidate data (webhook signing secrets) is rotated by the command too.
            endpoint = await client.post(
                "/v1/webhooks/endpoints",
                headers=tenant.headers,
                json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
            )
            assert endpoint.status_code == 201, endpoint.text

    asyncio.run(populate())

    def invoke() -> str:
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, ["rotate-keys", "--batch-size", "1"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        return result.output.strip()

    monkeypatch.setenv("ROLECALL_PII_KEYS", f"{KEY_B},{KEY_A}")
    assert invoke().splitlines() == [
        "rotated 8 fields in 2 candidates; 0 candidates already current",
        "rotated 1 other sealed values (files, notes, answers, scorecards, offers, "
        "webhook secrets, second factors)",
    ]
    assert invoke().splitlines()[1].startswith("rotated 0 other sealed values")
    assert invoke().splitlines()[0] == "rotated 0 fields in 0 candidates; 2 candidates already current"


async def test_rotation_reseals_file_text_and_note_bodies_too(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    from rolecall.candidates.models import CandidateFile, CandidateNote
    from tests.candidates.support import RESUME_LINES, make_pdf, upload

    (created,) = await add(client, tenant, 1)
    candidate_id = created.json()["id"]
    resume = await upload(client, tenant, candidate_id, make_pdf([RESUME_LINES]))
    assert resume.status_code == 201, resume.text
    note = await client.post(
        f"/v1/candidates/{candidate_id}/notes", headers=tenant.headers, json={"body": "Strong on Postgres"}
    )
    assert note.status_code == 201, note.text

    async def sealed() -> list[tuple[str, Any]]:
        async with transaction(sessionmaker) as session:
            file = (await session.scalars(select(CandidateFile).execution_options(**all_tenants()))).one()
            row = (await session.scalars(select(CandidateNote).execution_options(**all_tenants()))).one()
            assert file.text is not None
            return [(KeyRing.key_id(file.text), file.updated_at), (KeyRing.key_id(row.body), row.updated_at)]

    before = await sealed()
    assert [kid for kid, _ in before] == ["ka", "ka"]
    ring = KeyRing.from_setting(f"{KEY_B},{KEY_A}")
    report = await rotate_candidate_keys(sessionmaker, ring)
    assert (report.candidates, report.files, report.notes) == (1, 1, 1)
    after = await sealed()
    assert after == [("kb", before[0][1]), ("kb", before[1][1])]  # re-sealed, updated_at untouched
    again = await rotate_candidate_keys(sessionmaker, ring)
    assert (again.files, again.notes) == (0, 0)

    async with client_with(settings, KEY_B) as (new_client, _):
        base = f"/v1/candidates/{candidate_id}"
        detail = await new_client.get(f"{base}/files/{resume.json()['id']}", headers=tenant.headers)
        assert detail.status_code == 200, detail.text
        assert "Skills: Python" in detail.json()["text"]
        notes = await new_client.get(f"{base}/notes", headers=tenant.headers)
        assert [n["body"] for n in notes.json()["items"]] == ["Strong on Postgres"]
