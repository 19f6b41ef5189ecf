"""Every context's contribution is declared in its context.py, and nothing is left out of it.

A handlers module nobody imports marks its events delivered with nobody consuming them; a table of
personal data no port names is missed by export, erasure and key rotation. Both used to depend on
hand-kept lists; these tests make forgetting one a failure.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from typer.testing import CliRunner

import rolecall
from rolecall.cli import app as cli
from rolecall.config import get_settings
from rolecall.models import Base
from rolecall.platform.contexts import discover, personal_data_ports, scopes
from rolecall.platform.db import create_engine
from rolecall.platform.events.base import catalogue
from rolecall.platform.events.registry import registry

SRC = Path(rolecall.__file__).parent
# Sealed with the operator's secret, not a person's data: never exported, never erased.
SECRETS_NOT_PERSONAL = {"signing_keys", "assessment_vendors", "assessment_partner_keys", "webhook_endpoints"}
SEALED = re.compile(r"^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16,}")


def context_packages() -> list[str]:
    return sorted(
        path.parent.name
        for path in SRC.glob("*/__init__.py")
        if path.parent.name not in {"platform", "web", "migrations"}
    )


def test_every_context_package_declares_itself() -> None:
    declared = {context.name for context in discover()}
    assert declared == set(context_packages())


def test_every_handlers_module_is_declared_and_every_subscription_comes_from_one() -> None:
    declared = {module.__name__ for context in discover() for module in context.handlers}
    on_disk = {
        f"rolecall.{path.parent.name}.{path.stem}"
        for path in SRC.glob("*/*handlers.py")
        if path.parent.name != "platform"
    }
    assert on_disk - declared == set(), "handlers modules no context.py declares"
    subscribed = {registration.module for registration in registry.registrations()}
    assert subscribed <= declared | {"tests"} | {m for m in subscribed if m.startswith("tests.")}


def test_every_subscription_is_to_a_declared_event_type() -> None:
    discover()
    types = set(catalogue())
    for registration in registry.registrations():
        assert registration.event_type in types | {"*"}, registration


def test_contexts_emit_typed_events_only() -> None:
    """``record_event`` takes any string: only the platform's own tests may use it."""
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "platform" not in path.parts and "record_event" in path.read_text()
    ]
    assert offenders == []


def test_scopes_and_scheduled_jobs_are_declared_once() -> None:
    assert "candidates:read" in scopes()
    names = [job.name for context in discover() for job in context.jobs]
    assert len(names) == len(set(names))
    assert {"offers_expired", "retention"} <= set(names)


def test_personal_data_tables_are_all_behind_a_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables with a ``candidate_id``, or holding sealed values after the demo, must be declared.

    The demo touches every kind of personal data (applications with answers, scorecards, offers,
    assessments, notes, resumes), so a sealed value in a table no port lists is a forgotten table.
    (tests/test_events_catalogue.py checks the demo's events against their models.)
    """
    url = f"sqlite+aiosqlite:///{tmp_path / 'contexts.db'}"
    monkeypatch.setenv("ROLECALL_DATABASE_URL", url)
    monkeypatch.setenv("ROLECALL_FILE_STORE_PATH", str(tmp_path / "files"))
    for name in ("ROLECALL_ENVIRONMENT", "ROLECALL_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        for command in ("migrate", "demo"):
            result = CliRunner().invoke(cli, [command])
            assert result.exit_code == 0, result.output
    finally:
        get_settings.cache_clear()
    sealed = asyncio.run(_scan(url))

    declared = {table for port in personal_data_ports() for table in port.tables}
    with_candidate = {table.name for table in Base.metadata.sorted_tables if "candidate_id" in table.columns}
    assert with_candidate - declared == set(), "tables about a candidate that no port declares"
    assert sealed - declared - SECRETS_NOT_PERSONAL == set(), "tables with sealed values no port declares"
    assert {"candidates", "applications", "scorecards"} <= sealed  # the scan itself sees sealed data


async def _scan(url: str) -> set[str]:
    engine = create_engine(url)
    sealed: set[str] = set()
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            for name in names:
                table = Base.metadata.tables.get(name)
                if table is None:
                    continue
                for column in table.columns:
                    try:
                        if column.type.python_type is not str:
                            continue
                    except NotImplementedError:
                        continue
                    query = select(column).where(column.like("v1.%")).limit(20)
                    values = (await connection.execute(query)).scalars().all()
                    if any(isinstance(v, str) and SEALED.match(v) for v in values):
                        sealed.add(name)
    finally:
        await engine.dispose()
    return sealed
