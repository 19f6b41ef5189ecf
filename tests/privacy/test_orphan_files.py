"""The orphan-file sweep after a simulated crash: bytes stored, the record never committed.

A ``kill -9`` between ``store.put`` and the commit of the file row leaves bytes no record names (the
rollback hook that would delete them never runs). The test does exactly that: it puts bytes
through the app's own store and commits nothing. Files that a record holds, and orphans younger
than the grace period, must survive; older orphans go, counted and logged by key only.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import boto3
import httpx
import pytest
import structlog
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from rolecall.app import create_app
from rolecall.cli import app as cli
from rolecall.config import Settings, get_settings
from rolecall.platform.contexts import discover
from rolecall.platform.s3_storage import S3FileStore
from rolecall.platform.storage import FileStore, LocalFileStore
from rolecall.privacy.orphans import sweep_orphan_files
from rolecall.worker import run_scheduled_jobs
from tests.candidates.support import RESUME_LINES, make_pdf, new_candidate, upload
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_tenant
from tests.platform.test_s3_storage import CREDENTIALS

# Not test_s3_storage's bucket: moto keeps its buckets per process, and that module creates its own.
BUCKET = "rolecall-orphan-sweep"

DAY = timedelta(hours=24)


def removed_total() -> float:
    return REGISTRY.get_sample_value("rolecall_orphan_files_removed_total") or 0.0


async def held_file(client: httpx.AsyncClient, tenant: Tenant) -> str:
    """A resume uploaded through the API: its row is committed, so its key is held."""
    candidate = await new_candidate(client, tenant)
    response = await upload(client, tenant, candidate["id"], make_pdf([RESUME_LINES]))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def crashed_upload(store: FileStore) -> str:
    """What a process killed mid-apply leaves: the bytes, and no row (nothing was committed)."""
    return await store.put(make_pdf([RESUME_LINES]), content_type="application/pdf")


def age_local_file(store: FileStore, key: str, moment: float) -> None:
    assert isinstance(store, LocalFileStore)
    os.utime(store.path_for(key), (moment, moment))


async def test_an_old_orphan_is_removed_counted_and_logged_a_young_one_and_held_files_stay(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    store: FileStore = app.state.file_store
    await held_file(client, tenant)
    await held_file(client, other_tenant)  # held by another organisation: still held
    old_orphan = await crashed_upload(store)
    young_orphan = await crashed_upload(store)
    # The young orphan was written 23 hours after the old one.
    age_local_file(store, young_orphan, (clock.now + timedelta(hours=23)).timestamp())
    clock.advance(hours=25)
    before = removed_total()

    with structlog.testing.capture_logs() as logs:
        sweep = await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=10)

    assert sweep.orphans == [old_orphan]
    assert (sweep.listed, sweep.young, sweep.held, sweep.removed) == (4, 1, 2, 1)
    assert not await store.exists(old_orphan)
    assert await store.exists(young_orphan)
    assert removed_total() == before + 1
    removals = [entry for entry in logs if entry["event"] == "orphan_file_removed"]
    assert [entry["file_key"] for entry in removals] == [old_orphan]
    assert set(removals[0]) <= {"event", "log_level", "file_key", "modified"}

    # The committed uploads are still in the store, beside the young orphan.
    remaining = {item.key for batch in [b async for b in store.listing()] for item in batch}
    assert len(remaining) == 3
    assert young_orphan in remaining
    clock.advance(hours=24)
    again = await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=10)
    assert again.orphans == [young_orphan]
    assert again.held == 2


async def test_a_dry_run_lists_orphans_and_deletes_nothing(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    store: FileStore = app.state.file_store
    orphan = await crashed_upload(store)
    clock.advance(hours=25)
    before = removed_total()
    sweep = await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=10, dry_run=True)
    assert sweep.orphans == [orphan]
    assert sweep.removed == 0
    assert await store.exists(orphan)
    assert removed_total() == before


async def test_more_orphans_than_a_run_may_remove_means_none_is_removed(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    """A process pointed at the wrong database sees every file as an orphan: it must delete nothing."""
    store: FileStore = app.state.file_store
    await held_file(client, tenant)
    orphans = [await crashed_upload(store) for _ in range(3)]
    clock.advance(hours=25)
    before = removed_total()
    with structlog.testing.capture_logs() as logs:
        refused = await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=2)
    assert refused.refused
    assert (refused.removed, refused.held) == (0, 1)
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == ["orphan_sweep_refused"]
    assert all([await store.exists(key) for key in orphans])
    assert removed_total() == before
    # A dry run still lists them all, and a run allowed three removes them.
    dry = await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=2, dry_run=True)
    assert sorted(dry.orphans) == sorted(orphans)
    assert (await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=3)).removed == 3


async def test_a_context_that_cannot_answer_stops_the_sweep_before_anything_is_deleted(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    store: FileStore = app.state.file_store
    orphan = await crashed_upload(store)
    clock.advance(hours=25)

    async def broken(session: AsyncSession, keys: Any) -> set[str]:
        raise RuntimeError("the context's table is unreadable")

    with pytest.raises(RuntimeError, match="unreadable"):
        await sweep_orphan_files(
            sessionmaker, store, grace=DAY, max_removals=10, holders=[("broken", broken)]
        )
    with pytest.raises(RuntimeError, match="no context declares"):
        await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=10, holders=[])
    assert await store.exists(orphan)


async def test_the_worker_runs_the_sweep_as_a_scheduled_job(
    app: FastAPI, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    assert "orphan_files" in {job.name for context in discover() for job in context.jobs}
    store: FileStore = app.state.file_store
    orphan = await crashed_upload(store)
    clock.advance(hours=settings.orphan_file_grace_hours + 1)
    counts = await run_scheduled_jobs(sessionmaker, settings)
    assert counts["orphan_files_removed"] == 1
    assert not await store.exists(orphan)


def test_every_table_holding_file_keys_belongs_to_a_context_that_declares_them() -> None:
    """A new table with a storage key whose context forgot ``file_keys`` would lose its files."""
    import rolecall.models  # noqa: F401 - every table on the metadata
    from rolecall.platform.db import Base

    declared = {context.name for context in discover() if context.file_keys is not None}
    owners = {
        mapper.local_table.name: mapper.class_.__module__.split(".")[1]
        for mapper in Base.registry.mappers
        if hasattr(mapper.local_table, "name")
    }
    holding = {
        table.name
        for table in Base.metadata.sorted_tables
        if any(column.name.endswith("storage_key") for column in table.columns)
    }
    assert "candidate_files" in holding
    assert {owners[name] for name in holding} <= declared


async def test_the_store_lists_only_its_own_keys(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    key = await store.put(b"bytes", content_type="text/plain")
    (store.root / "ab").mkdir(mode=0o700, exist_ok=True)
    (store.root / "ab" / "notes.txt").write_text("not a key")
    (store.path_for(key).parent / ".tmp-crashed").write_bytes(b"half a file")
    misplaced = await store.put(b"other", content_type="text/plain")
    wrong = store.root / "zz" / "zz"
    wrong.mkdir(parents=True)
    store.path_for(misplaced).rename(wrong / misplaced)  # a key outside its fan-out directory
    listed = [item async for batch in store.listing() for item in batch]
    assert [item.key for item in listed] == [key]
    assert listed[0].modified.tzinfo is not None


# -- S3 (moto's server) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint)
    if BUCKET not in {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    try:
        yield endpoint
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def objects(endpoint: str, prefix: str) -> set[str]:
    listed = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {str(item["Key"]) for item in listed.get("Contents", [])}


@pytest.fixture
def prefix() -> str:
    """The bucket outlives one test (the moto server is module-wide): each gets its own prefix."""
    return f"orphans-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def s3_app(settings: Settings, s3_endpoint: str, prefix: str) -> Any:
    configured = settings.model_copy(
        update={"file_store_url": f"s3://{BUCKET}/{prefix}", "file_store_endpoint_url": s3_endpoint}
    )
    application = create_app(configured)
    async with LifespanManager(application):
        yield application


async def test_the_sweep_works_on_an_s3_bucket(
    s3_app: FastAPI,
    s3_endpoint: str,
    prefix: str,
    clock: FrozenClock,
) -> None:
    store = s3_app.state.file_store
    assert isinstance(store, S3FileStore)
    sessionmaker: async_sessionmaker[AsyncSession] = s3_app.state.sessionmaker
    transport = httpx.ASGITransport(app=s3_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
        tenant = await create_tenant(client, sessionmaker, "S3 Tenant")
        await held_file(client, tenant)
    orphan = await crashed_upload(store)
    # A neighbour's object under a deeper prefix is never listed, let alone deleted.
    neighbour = f"{prefix}/other/{orphan}"
    store._client.put_object(Bucket=BUCKET, Key=neighbour, Body=b"x")
    assert len(objects(s3_endpoint, f"{prefix}/")) == 3

    young = await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=10)
    assert (young.listed, young.young, young.orphans) == (2, 2, [])
    clock.advance(hours=25)
    before = removed_total()
    sweep = await sweep_orphan_files(sessionmaker, store, grace=DAY, max_removals=10)
    assert sweep.orphans == [orphan]
    assert sweep.held == 1
    assert removed_total() == before + 1
    remaining = set(objects(s3_endpoint, f"{prefix}/"))
    assert f"{prefix}/{orphan}" not in remaining
    assert neighbour in remaining
    assert len(remaining) == 2


# -- the command ------------------------------------------------------------------------------


def test_rolecall_files_reconcile_dry_run_then_for_real(
    tmp_path: Path, sqlite_template: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_template.fresh(tmp_path)
    files = tmp_path / "files"
    monkeypatch.setenv("ROLECALL_DATABASE_URL", url)
    monkeypatch.setenv("ROLECALL_FILE_STORE_PATH", str(files))
    monkeypatch.setenv("ROLECALL_ORPHAN_FILE_GRACE_HOURS", "1")
    store = LocalFileStore(files)
    orphan, second = anyio.run(crashed_upload, store), anyio.run(crashed_upload, store)
    young = anyio.run(crashed_upload, store)
    two_hours_ago = store.path_for(orphan).stat().st_mtime - 7200
    for key in (orphan, second):
        os.utime(store.path_for(key), (two_hours_ago, two_hours_ago))
    runner = CliRunner()
    try:
        get_settings.cache_clear()
        dry = runner.invoke(cli, ["files", "reconcile", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert f"orphan {orphan}" in dry.output
        assert "2 orphans found (dry run: nothing deleted)" in dry.output
        assert store.path_for(orphan).exists()

        get_settings.cache_clear()
        refused = runner.invoke(cli, ["files", "reconcile", "--max-removals", "1"])
        assert refused.exit_code == 1, refused.output
        assert "more than 1 files have no record (0 held): nothing was deleted" in refused.output
        assert store.path_for(orphan).exists()

        get_settings.cache_clear()
        real = runner.invoke(cli, ["files", "reconcile"])
        assert real.exit_code == 0, real.output
        assert f"removed {orphan}" in real.output
        assert "3 files listed, 0 held by a record, 1 younger than 1 h, 2 orphans removed" in real.output
        assert not store.path_for(orphan).exists()
        assert not store.path_for(second).exists()
        assert store.path_for(young).exists()
    finally:
        get_settings.cache_clear()
