"""Migrations are the only way the schema changes, so they must match the models and run both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from rolecall.identity import service as identity
from rolecall.models import Base
from rolecall.platform import schema
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from tests.factories import PASSWORD
from tests.scratch import scratch_database

# Dialect-specific objects a migration creates on purpose and no model maps (e.g. the board's FTS5
# table and tsvector column); each models module lists its own in Base.metadata.info.
UNMAPPED: set[tuple[str, str]] = Base.metadata.info.get("unmapped_schema_objects", set())


def _mapped(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    if type_ == "column":
        name = f"{parent_names.get('table_name')}.{name}"
    return (type_, str(name)) not in UNMAPPED


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "target_metadata": Base.metadata,
            "include_name": _mapped,
        },
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _mapped_tables(connection: Connection) -> set[str]:
    return {name for name in _tables(connection) if ("table", name) not in UNMAPPED}


async def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == [], "models and migrations differ; generate a migration for these changes"


async def test_schema_is_at_the_single_head(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert await schema.current_revision(engine) == schema.head_revision()
    finally:
        await engine.dispose()
    assert schema.head_revision() is not None


async def _audit_guard_objects(connection: Any, backend: str) -> set[str]:
    if backend == "postgresql":
        triggers = await connection.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'audit_log%'")
        )
        functions = await connection.execute(
            text("SELECT proname FROM pg_proc WHERE proname LIKE 'audit_log%'")
        )
        return {row[0] for row in triggers} | {row[0] for row in functions}
    rows = await connection.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_log%'")
    )
    return {row[0] for row in rows}


AUDIT_GUARD = {
    "postgresql": {
        "audit_log_no_update",
        "audit_log_append_only",
        "audit_log_no_truncate",
        "audit_log_refuse_truncate",
    },
    "sqlite": {"audit_log_no_update", "audit_log_no_delete"},
}


async def test_the_audit_guard_exists_at_head(db_url: str, backend: str) -> None:
    """A later migration that rebuilds audit_log (SQLite batch mode does) must re-create its guard."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            assert await _audit_guard_objects(connection, backend) == AUDIT_GUARD[backend]
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_round_trip(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    expected = {t.name for t in Base.metadata.sorted_tables}
    async with scratch_database(backend, tmp_path, request) as url:
        schema.upgrade(url)
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                assert await connection.run_sync(_mapped_tables) == expected | {"alembic_version"}
                assert await _audit_guard_objects(connection, backend) == AUDIT_GUARD[backend]

            schema.downgrade(url, "base")
            async with engine.connect() as connection:
                assert await connection.run_sync(_tables) == {"alembic_version"}
                assert await _audit_guard_objects(connection, backend) == set()
            assert await schema.current_revision(engine) is None

            schema.upgrade(url)
            assert await schema.current_revision(engine) == schema.head_revision()
            async with engine.connect() as connection:
                assert await connection.run_sync(_mapped_tables) == expected | {"alembic_version"}
                assert await connection.run_sync(_diff) == []
            # The re-created audit guard works again.
            async with transaction(create_sessionmaker(engine)) as session:
                await identity.create_organisation(
                    session, name="Again", admin_email="again@example.com", admin_password=PASSWORD
                )
            async with engine.connect() as connection:
                with pytest.raises(DBAPIError, match="append-only"):
                    await connection.execute(text("DELETE FROM audit_log"))
        finally:
            await engine.dispose()


async def test_migrate_is_idempotent(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    async with scratch_database(backend, tmp_path, request) as url:
        schema.upgrade(url)
        schema.upgrade(url)  # a second `rolecall migrate` (every deploy runs one) changes nothing
        engine = create_engine(url)
        try:
            assert await schema.current_revision(engine) == schema.head_revision()
        finally:
            await engine.dispose()
