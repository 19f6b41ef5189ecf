"""One seeded Rolecall for contract tests: what a third party would point its tools at.

The data is made once per test process through the public API (a tenant, an open job on the board,
a candidate with an application), then a second app over the same SQLite file is handed to the
tools. SQLite only: the contract is the document and the code paths behind it, which do not depend
on the database; both databases run the behaviour tests elsewhere.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from rolecall.app import create_app
from rolecall.config import Settings
from tests.databases import MigratedSQLite
from tests.factories import create_application, create_tenant, open_job


@dataclass(frozen=True)
class Seeded:
    settings: Settings
    token: str
    job_id: str
    posting_id: str
    candidate_id: str
    application_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def contract_settings(db_url: str, root: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=db_url,
        embedded_worker=False,
        log_json=True,
        log_level="WARNING",
        issuer="http://rolecall.test",
        public_base_url="http://rolecall.test",
        search_index_path=root / "search-index",
        file_store_path=root / "files",
        mail_outbox_dir=root / "mail",
        search_sync_seconds=0,
        gc_freeze=False,
    )


async def _seed(settings: Settings) -> Seeded:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 51002))
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
            tenant = await create_tenant(client, app.state.sessionmaker, name="Contract Ltd")
            job = await open_job(client, app, tenant)
            application = await create_application(client, app, tenant, job)
    return Seeded(
        settings,
        tenant.token,
        job["id"],
        job["id"],  # a posting has its job's id
        application["candidate_id"],
        application["id"],
    )


# The app the tools call exists when the test module is collected (schemathesis parametrises from
# its document); its database file is filled by the ``seeded`` fixture before the first call, which
# is when the app's lifespan starts.
ROOT = Path(tempfile.mkdtemp(prefix="rolecall-contract-"))
SETTINGS = contract_settings(f"sqlite+aiosqlite:///{ROOT / 'rolecall.db'}", ROOT)
APP: FastAPI = create_app(SETTINGS)


@pytest.fixture(scope="session")
def seeded(sqlite_template: MigratedSQLite) -> Seeded:
    shutil.copyfile(sqlite_template.template, ROOT / "rolecall.db")
    return asyncio.run(_seed(SETTINGS))
