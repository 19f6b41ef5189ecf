"""The API and the worker as a least-privileged PostgreSQL role; the audit log under it (PostgreSQL only).

A database of this module is migrated by the test superuser (the schema owner, as
``rolecall migrate`` would run with ``ROLECALL_MIGRATE_DATABASE_URL``), and an application role is
granted with :func:`rolecall.platform.db_roles.grant_app_role`, what ``rolecall db grant-app-role``
runs. This module overrides ``db_url`` so that every app, client and session of its tests connects as
that role: the suite's audit checks, imported below, run again under it, and so does a small day of
work (an organisation, a user, a job opened and published, an application with a resume, the worker's
housekeeping and scheduled jobs). Then each statement the role must not run is tried and refused, and
``TRUNCATE audit_log`` is refused by the trigger of migration 0016 even for the owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from rolecall.cli import app as cli
from rolecall.config import Settings, get_settings
from rolecall.platform.db import create_engine
from rolecall.platform.db_roles import RoleError, grant_app_role, grant_statements
from rolecall.worker import housekeeping, run_scheduled_jobs

# The suite's audit checks, collected again here, where every fixture connects as the app role.
from tests.audit.test_audit_log import (  # noqa: F401 - imported to be collected under this module's fixtures
    all_entries,
    test_audit_entries_never_hold_secrets_or_personal_data,
    test_audit_log_lists_paginates_and_filters_within_the_callers_organisation,
    test_generated_request_id_is_the_one_returned_to_the_caller,
    test_login_and_revocation_are_audited,
    test_reading_the_audit_log_needs_audit_read,
    test_recording_personal_data_or_secrets_is_refused,
    test_user_creation_is_audited_with_actor_target_and_request_id,
    test_user_update_records_changed_field_names_not_values,
)
from tests.candidates.support import RESUME_LINES, make_pdf, upload
from tests.databases import (
    MigratedPostgres,
    _async_url,
    _run,
    create_postgres_database,
    drop_postgres_database,
    unique_name,
)
from tests.factories import Tenant, apply, create_user, open_job

PASSWORD = "app-role-test-password"  # a throwaway role in a throwaway database


def role_url(owner_url: str, role: str) -> str:
    return make_url(owner_url).set(username=role, password=PASSWORD).render_as_string(hide_password=False)


async def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


class AppRoleDatabase:
    """A migrated database of its own, and a login role granted the application's privileges on it."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.owner = MigratedPostgres(server_url)
        self.role = unique_name("rolecall_app").lower()
        _run(_execute(self.owner.url, f"CREATE ROLE {self.role} LOGIN PASSWORD '{PASSWORD}'"))
        engine = create_engine(self.owner.url)
        try:
            self.grant = _run(grant_app_role(engine, self.role))
        finally:
            _run(engine.dispose())
        self.url = role_url(self.owner.url, self.role)

    def close(self) -> None:
        self.owner.drop()  # takes the role's privileges and default privileges in it along
        _run(_execute(_async_url(self.server_url, "postgres"), f"DROP ROLE {self.role}"))


@pytest.fixture(scope="module")
def app_role_db(postgres_server: str) -> Iterator[AppRoleDatabase]:
    database = AppRoleDatabase(postgres_server)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(params=["postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """PostgreSQL only: SQLite has no roles."""
    value: str = request.param
    return value


@pytest.fixture
async def db_url(app_role_db: AppRoleDatabase) -> str:
    """Every app, client and session of this module connects as the application role."""
    await app_role_db.owner.reset()
    return app_role_db.url


async def _refused(url: str, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught:
        await _execute(url, statement)
    return str(caught.value.orig)


def test_the_grant_leaves_the_role_nothing_beyond_rows(app_role_db: AppRoleDatabase) -> None:
    assert app_role_db.grant.problems == []
    assert app_role_db.grant.owner != app_role_db.role
    assert not any("TRUNCATE ON" in s or "ALL PRIVILEGES" in s for s in app_role_db.grant.statements)


async def test_the_app_role_cannot_truncate_drop_alter_or_rewrite_the_audit_log(
    app_role_db: AppRoleDatabase, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = [(e.id, e.actor, e.action) for e in await all_entries(sessionmaker)]
    assert before  # the organisation's creation, written by the app role
    app = app_role_db.url
    assert "permission denied" in await _refused(app, "TRUNCATE audit_log")
    assert "permission denied" in await _refused(app, "UPDATE audit_log SET actor = 'user:forged'")
    assert "permission denied" in await _refused(app, "DELETE FROM audit_log")
    assert "must be owner" in await _refused(app, "DROP TABLE audit_log")
    assert "must be owner" in await _refused(app, "ALTER TABLE audit_log ADD COLUMN forged text")
    assert "must be owner" in await _refused(app, "ALTER TABLE audit_log DISABLE TRIGGER ALL")
    assert "must be owner" in await _refused(app, "DROP TRIGGER audit_log_no_truncate ON audit_log")
    assert "permission denied" in await _refused(app, "CREATE TABLE forged (id int)")
    assert "permission denied" in await _refused(app, "TRUNCATE candidates")
    assert "permission denied" in await _refused(app, "UPDATE alembic_version SET version_num = '0001'")
    # The owner is refused TRUNCATE too: by the trigger of migration 0016, not by a privilege.
    assert "append-only" in await _refused(app_role_db.owner.url, "TRUNCATE audit_log")
    assert "append-only" in await _refused(app_role_db.owner.url, "TRUNCATE audit_log CASCADE")
    after = [(e.id, e.actor, e.action) for e in await all_entries(sessionmaker)]
    assert after == before


async def test_a_day_of_work_runs_under_the_app_role(
    app_role_db: AppRoleDatabase,
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert make_url(settings.database_url).username == app_role_db.role
    await create_user(client, tenant, "recruiter")
    job = await open_job(client, app, tenant)
    applied = await apply(client, job["id"], resume=make_pdf([RESUME_LINES]))
    application = await client.get(f"/v1/applications/{applied['application_id']}", headers=tenant.headers)
    assert application.status_code == 200, application.text
    uploaded = await upload(client, tenant, application.json()["candidate_id"], make_pdf([RESUME_LINES]))
    assert uploaded.status_code == 201, uploaded.text
    assert (await client.get("/readyz")).status_code == 200  # reads alembic_version
    with structlog.testing.capture_logs() as logs:
        await housekeeping(sessionmaker, settings)
        await run_scheduled_jobs(sessionmaker, settings)
    assert [entry for entry in logs if entry["event"] == "scheduled_job_failed"] == []
    actions = {e.action for e in await all_entries(sessionmaker)}
    assert {"organisation.created", "user.created", "job.opened"} <= actions


# -- the command and the two URLs -------------------------------------------------------------


@pytest.fixture
def empty_database(postgres_server: str) -> Iterator[tuple[str, str]]:
    """(owner URL, role) of a new, empty database and a new login role with no privileges yet."""
    name = unique_name("rolecall_roles")
    url = _run(create_postgres_database(postgres_server, name))
    role = unique_name("rolecall_app").lower()
    _run(_execute(url, f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"))
    try:
        yield url, role
    finally:
        _run(drop_postgres_database(postgres_server, name))
        _run(_execute(_async_url(postgres_server, "postgres"), f"DROP ROLE {role}"))


def invoke(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], *args: str) -> Any:
    for name in ("ROLECALL_ENVIRONMENT", "ROLECALL_SECRET_KEY", "ROLECALL_MIGRATE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROLECALL_FILE_STORE_PATH", str(tmp_path / "files"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        get_settings.cache_clear()


def test_migrate_runs_as_the_owner_and_the_app_role_covers_tables_created_later(
    empty_database: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    owner, role = empty_database
    app = role_url(owner, role)
    both = {"ROLECALL_DATABASE_URL": app, "ROLECALL_MIGRATE_DATABASE_URL": owner}

    # Granted before any table exists: the default privileges cover what the migrations create.
    printed = invoke(monkeypatch, tmp_path, both, "db", "grant-app-role", role, "--print-sql")
    assert printed.exit_code == 0, printed.output
    assert f'GRANT CONNECT ON DATABASE "{make_url(owner).database}" TO "{role}";' in printed.output
    assert "ALTER DEFAULT PRIVILEGES" in printed.output
    granted = invoke(monkeypatch, tmp_path, both, "db", "grant-app-role", role)
    assert granted.exit_code == 0, granted.output
    assert f"granted {role} row access" in granted.output
    assert "run this again after `rolecall migrate`" in granted.output

    # As the application role alone, migrating is refused: it may not create tables.
    alone = invoke(monkeypatch, tmp_path, {"ROLECALL_DATABASE_URL": app}, "migrate")
    assert alone.exit_code != 0
    assert "permission denied for schema public" in str(alone.exception)
    migrated = invoke(monkeypatch, tmp_path, both, "migrate")
    assert migrated.exit_code == 0, migrated.output
    # The default privileges gave the role UPDATE and DELETE on audit_log (the triggers refuse them
    # anyway); the second run takes them away.
    rows = "SELECT INSERT UPDATE DELETE"
    assert _run(_privileges(owner, role)) == f"audit_log: {rows}; alembic_version: {rows}"
    again = invoke(monkeypatch, tmp_path, both, "db", "grant-app-role", role)
    assert again.exit_code == 0, again.output
    assert "note:" not in again.output
    assert _run(_privileges(owner, role)) == "audit_log: SELECT INSERT; alembic_version: SELECT"

    async def as_app_role() -> None:
        await _execute(
            app,
            "INSERT INTO login_throttles (key, window_start, failures) VALUES ('k', now(), 1)",  # a sequence
            "DELETE FROM login_throttles",
        )
        refused = await _refused(app, "TRUNCATE login_throttles")
        assert "permission denied" in refused

    _run(as_app_role())


async def _privileges(owner: str, role: str) -> str:
    """The role's privileges on the two restricted tables, as ``table: PRIV PRIV; ...``."""
    engine = create_engine(owner)
    found = []
    try:
        async with engine.connect() as connection:
            for table in ("audit_log", "alembic_version"):
                held = [
                    privilege
                    for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
                    if (
                        await connection.execute(
                            text("SELECT has_table_privilege(:r, :t, :p)"),
                            {"r": role, "t": table, "p": privilege},
                        )
                    ).scalar()
                ]
                found.append(f"{table}: {' '.join(held)}")
    finally:
        await engine.dispose()
    return "; ".join(found)


def test_the_command_refuses_what_it_cannot_grant(
    empty_database: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    owner, role = empty_database
    env = {"ROLECALL_DATABASE_URL": owner}
    missing = invoke(monkeypatch, tmp_path, env, "db", "grant-app-role", f"{role}_missing")
    assert missing.exit_code == 1
    assert "does not exist" in missing.output
    itself = invoke(
        monkeypatch, tmp_path, env, "db", "grant-app-role", make_url(owner).username or "postgres"
    )
    assert itself.exit_code == 1
    assert "must be a different one" in itself.output
    quoted = invoke(monkeypatch, tmp_path, env, "db", "grant-app-role", 'x"; DROP TABLE audit_log; --')
    assert quoted.exit_code == 1
    assert "not a plain identifier" in quoted.output
    sqlite = invoke(
        monkeypatch,
        tmp_path,
        {"ROLECALL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"},
        "db",
        "grant-app-role",
        role,
    )
    assert sqlite.exit_code == 1
    assert "PostgreSQL only" in sqlite.output


def test_the_statements_quote_every_name() -> None:
    statements = grant_statements("app", database="rolecall", owner="owner", schema="public")
    assert 'GRANT CONNECT ON DATABASE "rolecall" TO "app"' in statements
    assert 'REVOKE UPDATE, DELETE ON "public"."audit_log" FROM "app"' in statements
    with pytest.raises(RoleError):
        grant_statements("app", database='bad"name', owner="owner")
