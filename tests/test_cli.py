"""The ``rolecall`` command, driven as an operator would, against a temporary SQLite file.

These tests are synchronous on purpose: each command runs its own event loop with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from asgi_lifespan import LifespanManager
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from rolecall.app import create_app
from rolecall.assessments.models import AssessmentSession
from rolecall.board.search import SearchQuery
from rolecall.board.tantivy_index import TantivySearchIndex
from rolecall.cli import app as cli
from rolecall.config import Settings, get_settings
from rolecall.demo import DEMO_ACCOUNTS, DEMO_JOBS, DEMO_PASSWORD
from rolecall.demo_pipeline import DEMO_CANDIDATES, DEMO_JOB_TITLE
from rolecall.identity.models import Organisation, SigningKey, User
from rolecall.jobs.models import Job
from rolecall.offers.models import HireSaga
from rolecall.pipeline.models import Application
from rolecall.platform import schema
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.tenancy import all_tenants
from tests.factories import deliver

T = TypeVar("T")
PASSWORD = "a-long-enough-admin-password"
PRODUCTION_SECRET = "x" * 48


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    for name in ("ROLECALL_ENVIRONMENT", "ROLECALL_SECRET_KEY", "ROLECALL_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROLECALL_DATABASE_URL", url)
    monkeypatch.setenv("ROLECALL_FILE_STORE_PATH", str(tmp_path / "files"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def invoke(*args: str, input: str | None = None) -> Result:
    get_settings.cache_clear()  # settings are read once per process; each invocation is a new "process"
    try:
        return CliRunner().invoke(cli, list(args), input=input)
    finally:
        get_settings.cache_clear()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def count(url: str, model: type[Any]) -> int:
    engine = create_engine(url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            stmt = select(func.count()).select_from(model).execution_options(**all_tenants())
            return int(await session.scalar(stmt) or 0)
    finally:
        await engine.dispose()


async def can_log_in(url: str, email: str, password: str) -> dict[str, Any]:
    """Sign in through the real API on this database; returns the organisation the user sees."""
    # The search index and files go to a directory of the test's own, never to ./var, where they
    # would mix into the developer's demo board.
    scratch = Path(tempfile.mkdtemp(prefix="rolecall-cli-test-"))
    application = create_app(
        Settings(
            environment="test",
            database_url=url,
            embedded_worker=False,
            issuer="http://rolecall.test",
            search_index_path=scratch / "search-index",
            file_store_path=scratch / "files",
        )
    )
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
            tokens = await client.post(
                "/v1/oauth/token", data={"grant_type": "password", "username": email, "password": password}
            )
            assert tokens.status_code == 200, tokens.text
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            organisation = await client.get("/v1/organisation", headers=headers)
            assert organisation.status_code == 200
            body: dict[str, Any] = organisation.json()
            return body


def test_migrate_brings_a_new_database_to_head(database_url: str) -> None:
    result = invoke("migrate")
    assert result.exit_code == 0, result.output
    assert "database at head" in result.stdout

    async def revision() -> str | None:
        engine = create_engine(database_url)
        try:
            return await schema.current_revision(engine)
        finally:
            await engine.dispose()

    assert run(revision()) == schema.head_revision()
    assert invoke("migrate").exit_code == 0  # idempotent


def test_create_org_prints_the_id_of_an_org_whose_admin_can_sign_in(database_url: str) -> None:
    assert invoke("migrate").exit_code == 0
    result = invoke(
        "create-org",
        "--name",
        "Initech",
        "--admin-email",
        "Boss@Initech.example.com",
        "--admin-password",
        PASSWORD,
    )
    assert result.exit_code == 0, result.output
    organisation_id = uuid.UUID(result.stdout.strip())

    organisation = run(can_log_in(database_url, "boss@initech.example.com", PASSWORD))
    assert organisation["id"] == str(organisation_id)
    assert organisation["name"] == "Initech"


def test_create_org_prompts_for_the_password_when_not_given(database_url: str) -> None:
    assert invoke("migrate").exit_code == 0
    result = invoke(
        "create-org",
        "--name",
        "Prompted",
        "--admin-email",
        "prompted@example.com",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # typed without echo
    organisation_id = result.stdout.strip().splitlines()[-1]
    assert run(can_log_in(database_url, "prompted@example.com", PASSWORD))["id"] == organisation_id


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--admin-email", "short@example.com", "--admin-password", "too-short"], "at least 12 characters"),
        (["--admin-email", "not-an-address", "--admin-password", PASSWORD], "not a valid e-mail address"),
        (["--name", "   ", "--admin-email", "blank@example.com", "--admin-password", PASSWORD], "name"),
        (["--name", "N" * 201, "--admin-email", "long@example.com", "--admin-password", PASSWORD], "200"),
    ],
)
def test_create_org_refuses_bad_input_and_creates_nothing(
    database_url: str, options: list[str], message: str
) -> None:
    assert invoke("migrate").exit_code == 0
    args = ["create-org", *options] if "--name" in options else ["create-org", "--name", "Bad", *options]
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert run(count(database_url, Organisation)) == 0
    assert run(count(database_url, User)) == 0


def test_create_org_accepts_an_admin_address_another_organisation_uses(database_url: str) -> None:
    # Addresses are unique per organisation (docs/api.md#password-grant-staff-users).
    assert invoke("migrate").exit_code == 0
    args = ("--admin-email", "taken@example.com", "--admin-password", PASSWORD)
    assert invoke("create-org", "--name", "First", *args).exit_code == 0
    result = invoke("create-org", "--name", "Second", *args)
    assert result.exit_code == 0, result.output
    assert run(count(database_url, Organisation)) == 2
    assert run(count(database_url, User)) == 2


def test_demo_is_idempotent_and_prints_the_credentials(database_url: str) -> None:
    assert invoke("migrate").exit_code == 0
    first = invoke("demo")
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.stdout
    second = invoke("demo")
    assert second.exit_code == 0, second.output
    assert "demo data already present" in second.stdout
    for result in (first, second):
        for account in DEMO_ACCOUNTS:
            assert re.search(
                rf"{account.role}\s+{re.escape(account.email)}\s+password: {DEMO_PASSWORD}", result.stdout
            )
    assert run(count(database_url, Organisation)) == 1
    assert run(count(database_url, User)) == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        run(can_log_in(database_url, account.email, DEMO_PASSWORD))


async def demo_pipeline(url: str) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    engine = create_engine(url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            rows = (
                await session.execute(
                    select(Application.stage, Application.status).execution_options(**all_tenants())
                )
            ).all()
            sagas = (await session.scalars(select(HireSaga.state).execution_options(**all_tenants()))).all()
            stages = (
                await session.scalars(
                    select(Job.stages).where(Job.title == DEMO_JOB_TITLE).execution_options(**all_tenants())
                )
            ).one()
            return [(r[0], r[1]) for r in rows], list(sagas), [s["name"] for s in stages]
    finally:
        await engine.dispose()


def test_demo_has_candidates_in_every_stage_of_the_lead_job(database_url: str, tmp_path: Path) -> None:
    assert invoke("migrate").exit_code == 0
    assert invoke("demo").exit_code == 0, "demo failed"
    assert invoke("demo").exit_code == 0
    applications, sagas, stages = run(demo_pipeline(database_url))
    assert len(applications) == len(DEMO_CANDIDATES)  # the second run added nobody
    assert {stage for stage, _status in applications} == set(stages)
    assert {status for _stage, status in applications} == {"active", "rejected", "withdrawn", "hired"}
    assert sagas == ["completed"]
    assert any((tmp_path / "files").rglob("*")), "the demo resumes are in the file store"
    # The active candidates past the assessment stage took the test; the second run added nothing.
    sessions = run(demo_assessments(database_url))
    assert sorted(status for status, _total in sessions) == [
        "cancelled",
        "scored",
        "scored",
        "scored",
        "scored",
    ]
    totals = [total for status, total in sessions if status == "scored"]
    assert all(total is not None and 0 <= total <= 100 for total in totals)
    # Each draw is seeded at random, so two of them may tie; answering 90% and 55% right never do.
    assert max(t for t in totals if t is not None) > min(t for t in totals if t is not None)


async def demo_assessments(url: str) -> list[tuple[str, float | None]]:
    engine = create_engine(url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            stmt = select(AssessmentSession.status, AssessmentSession.total).execution_options(
                **all_tenants()
            )
            return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]
    finally:
        await engine.dispose()


def test_rotate_signing_key_prints_a_new_active_kid(database_url: str) -> None:
    assert invoke("migrate").exit_code == 0

    def rotate() -> str:
        result = invoke("rotate-signing-key")
        assert result.exit_code == 0, result.output
        match = re.fullmatch(r"new signing key: ([0-9a-f]{32})\n", result.stdout)
        assert match, result.stdout
        return match.group(1)

    first, second = rotate(), rotate()
    assert first != second

    async def keys() -> dict[str, bool]:
        engine = create_engine(database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                rows = (await session.scalars(select(SigningKey))).all()
                return {row.kid: row.retired_at is None for row in rows}
        finally:
            await engine.dispose()

    assert run(keys()) == {first: False, second: True}


@pytest.mark.parametrize(
    "args",
    [
        ["migrate"],
        ["create-org", "--name", "N", "--admin-email", "p@example.com", "--admin-password", PASSWORD],
        ["demo"],
        ["rotate-signing-key"],
    ],
    ids=lambda args: args[0],
)
def test_production_with_the_default_secret_refuses_to_start(
    database_url: str, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setenv("ROLECALL_ENVIRONMENT", "production")
    result = invoke(*args)
    assert result.exit_code == 2
    assert "refusing to start" in result.stderr
    assert "ROLECALL_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.output
    # Nothing was touched: the database was not even created.
    assert not Path(database_url.removeprefix("sqlite+aiosqlite:///")).exists()


@pytest.mark.parametrize(
    ("name", "value", "mentioned"),
    [
        ("ROLECALL_DATABASE_POOL_SIZE", "0", "ROLECALL_DATABASE_POOL_SIZE"),
        ("ROLECALL_ENVIRONMENT", "Production", "ROLECALL_ENVIRONMENT"),
        ("ROLECALL_SECRET_KEY", "short-secret", "ROLECALL_SECRET_KEY"),
    ],
)
def test_invalid_settings_are_reported_without_a_traceback(
    database_url: str, monkeypatch: pytest.MonkeyPatch, name: str, value: str, mentioned: str
) -> None:
    monkeypatch.setenv(name, value)
    result = invoke("migrate")
    assert result.exit_code == 2
    assert result.stderr.startswith("refusing to start: invalid configuration: ")
    assert mentioned in result.stderr
    assert value not in result.stderr.replace(mentioned, "")  # values may be secrets: not echoed
    assert "Traceback" not in result.output
    assert not Path(database_url.removeprefix("sqlite+aiosqlite:///")).exists()


def test_production_with_a_real_secret_runs_but_refuses_demo_data(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLECALL_ENVIRONMENT", "production")
    monkeypatch.setenv("ROLECALL_SECRET_KEY", PRODUCTION_SECRET)
    assert invoke("migrate").exit_code == 0
    result = invoke("demo")
    assert result.exit_code == 2
    assert "demo" in result.stderr
    assert run(count(database_url, User)) == 0
    created = invoke(
        "create-org", "--name", "Prod", "--admin-email", "ops@example.com", "--admin-password", PASSWORD
    )
    assert created.exit_code == 0, created.output
    uuid.UUID(created.stdout.strip())


async def board_search(url: str, index_path: Path, q: str) -> dict[str, Any]:
    """Deliver pending events as the worker would, then search the public board over HTTP."""
    application = create_app(
        Settings(
            environment="test",
            database_url=url,
            embedded_worker=False,
            search_index_path=index_path,
            search_sync_seconds=0,
        )
    )
    async with LifespanManager(application):
        await deliver(application)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
            response = await client.get("/v1/board/postings", params={"q": q})
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body


def test_demo_opens_jobs_the_board_finds_and_adds_them_only_once(database_url: str, tmp_path: Path) -> None:
    assert invoke("migrate").exit_code == 0
    assert invoke("demo").exit_code == 0
    assert invoke("demo").exit_code == 0
    assert run(count(database_url, Job)) == len(DEMO_JOBS)
    open_jobs = [spec for spec in DEMO_JOBS if spec.get("status", "open") == "open"]
    found = run(board_search(database_url, tmp_path / "index", "engineer"))
    assert found["total"] == len(open_jobs)
    assert "Lead Back-End Engineer" in {item["title"] for item in found["items"]}


def test_reindex_rebuilds_the_index_from_the_projection(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("migrate").exit_code == 0
    assert invoke("demo").exit_code == 0
    run(board_search(database_url, tmp_path / "first", "engineer"))  # delivers events to the projection
    open_jobs = sum(1 for spec in DEMO_JOBS if spec.get("status", "open") == "open")

    monkeypatch.setenv("ROLECALL_SEARCH_INDEX_PATH", str(tmp_path / "rebuilt"))
    result = invoke("reindex")
    assert result.exit_code == 0, result.output
    assert f"{open_jobs} open postings" in result.stdout
    rebuilt = TantivySearchIndex(tmp_path / "rebuilt")
    try:
        assert run(rebuilt.search(SearchQuery(q="engineer"))).total == open_jobs
        rebuilt.clear_sync()  # takes the directory's writer lock, as a running API's index follower does
        locked = invoke("reindex")
        assert locked.exit_code != 0
        assert "Stop the API processes using it" in locked.output
    finally:
        rebuilt.close()

    monkeypatch.setenv("ROLECALL_SEARCH_BACKEND", "database")
    result = invoke("reindex")
    assert result.exit_code == 0, result.output
    assert f"rebuilt in the database: {open_jobs} open postings" in result.stdout


def test_an_upgrade_across_0011_fills_the_name_index_of_existing_candidates(database_url: str) -> None:
    from rolecall.candidates.models import CandidateNameToken

    assert invoke("migrate").exit_code == 0
    assert invoke("demo").exit_code == 0
    schema.downgrade(database_url, "0010")  # as if the candidates had been made before the index
    result = invoke("migrate")
    assert result.exit_code == 0, result.output
    assert "recomputing candidates' name tokens and phone indexes (revision 0011)" in result.stdout
    assert run(count(database_url, CandidateNameToken)) > 0
    again = invoke("migrate")  # already at head: nothing to recompute
    assert "recomputing" not in again.stdout


def test_an_upgrade_across_0018_rebuilds_the_database_search_index_with_the_new_analysis(
    database_url: str,
) -> None:
    from rolecall.board.database_index import DatabaseSearchIndex
    from rolecall.board.models import BoardSearchDocument

    # The default backend is tantivy; the projection keeps the database index all the same.
    assert invoke("migrate").exit_code == 0
    assert invoke("demo").exit_code == 0
    indexed = run(count(database_url, BoardSearchDocument))
    assert indexed > 0
    schema.downgrade(database_url, "0017")  # terms of the old analysis are removed going down, too
    assert run(count(database_url, BoardSearchDocument)) == 0

    result = invoke("migrate")

    assert result.exit_code == 0, result.output
    assert (
        "rebuilding the board's database search index for the new text analysis (revision 0018)"
        in result.stdout
    )
    assert run(count(database_url, BoardSearchDocument)) == indexed

    async def back_end_postings() -> int:
        engine = create_engine(database_url)
        try:
            found = await DatabaseSearchIndex(create_sessionmaker(engine)).search(SearchQuery(q="backend"))
            return found.total
        finally:
            await engine.dispose()

    assert run(back_end_postings()) > 0  # the demo's "Back-End" postings, found as one word
