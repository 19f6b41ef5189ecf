"""The S3-compatible file store against a real S3 API (moto's server, over HTTP), and the app using it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from moto.server import ThreadedMotoServer

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform.s3_storage import S3FileStore, parse_url
from rolecall.platform.storage import InvalidFileKey, LocalFileStore, StoredFileNotFound, open_file_store
from tests.factories import create_tenant

BUCKET = "rolecall-test-files"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
}


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
    boto3.client("s3", endpoint_url=endpoint).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    try:
        yield endpoint
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def objects(endpoint: str, prefix: str = "") -> dict[str, Any]:
    client = boto3.client("s3", endpoint_url=endpoint)
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {item["Key"]: client.head_object(Bucket=BUCKET, Key=item["Key"]) for item in listed}


def test_urls_name_a_bucket_and_an_optional_prefix() -> None:
    assert parse_url("s3://files") == ("files", "")
    assert parse_url("s3://files/rolecall/prod/") == ("files", "rolecall/prod/")
    for bad in ("https://files/x", "s3:///x", "s3://files/x?y=1", "files/x"):
        with pytest.raises(ValueError, match="s3://bucket"):
            parse_url(bad)
    assert isinstance(open_file_store(None, Path("var/files")), LocalFileStore)


async def test_put_get_exists_delete(s3_endpoint: str) -> None:
    store = open_file_store(f"s3://{BUCKET}/unit", Path("unused"), endpoint_url=s3_endpoint)
    assert isinstance(store, S3FileStore)
    key = await store.put(b"%PDF-1.7 resume", content_type="application/pdf")
    assert await store.get(key) == b"%PDF-1.7 resume"
    assert await store.exists(key)
    stored = objects(s3_endpoint, "unit/")
    assert list(stored) == [f"unit/{key}"]  # the generated key under the prefix, nothing else
    assert stored[f"unit/{key}"]["ContentType"] == "application/pdf"

    await store.delete(key)
    await store.delete(key)  # deleting twice is fine
    assert not await store.exists(key)
    with pytest.raises(StoredFileNotFound):
        await store.get(key)


async def test_only_generated_keys_and_real_media_types_are_accepted(s3_endpoint: str) -> None:
    store = S3FileStore(BUCKET, endpoint_url=s3_endpoint)
    for key in ("../etc/passwd", "a" * 32, "", "0190000000007000800000000000000a\n"):
        with pytest.raises(InvalidFileKey):
            await store.get(key)
    with pytest.raises(ValueError, match="media type"):
        await store.put(b"x", content_type="text/plain\r\nX-Evil: 1")


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    return settings.model_copy(
        update={"file_store_url": f"s3://{BUCKET}/app", "file_store_endpoint_url": s3_endpoint}
    )


async def test_the_app_keeps_resumes_in_the_bucket_and_erasure_removes_them(
    s3_settings: Settings, s3_endpoint: str
) -> None:
    application: FastAPI = create_app(s3_settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
            tenant = await create_tenant(client, application.state.sessionmaker)
            person = await client.post(
                "/v1/candidates",
                headers=tenant.headers,
                json={"full_name": "S3 Person", "email": "s3@example.com"},
            )
            candidate_id = person.json()["id"]
            uploaded = await client.post(
                f"/v1/candidates/{candidate_id}/files",
                headers=tenant.headers,
                files={"file": ("cv.txt", b"Python, PostgreSQL and S3.\n")},
            )
            assert uploaded.status_code == 201, uploaded.text
            assert len(objects(s3_endpoint, "app/")) == 1
            content = await client.get(
                f"/v1/candidates/{candidate_id}/files/{uploaded.json()['id']}/content", headers=tenant.headers
            )
            assert content.content == b"Python, PostgreSQL and S3.\n"
            erased = await client.post(
                f"/v1/candidates/{candidate_id}/erase",
                headers=tenant.headers,
                json={"reason": "data_subject_request"},
            )
            assert erased.status_code == 200, erased.text
            assert objects(s3_endpoint, "app/") == {}
