"""The S3-compatible :class:`~rolecall.platform.storage.FileStore`: AWS S3, MinIO, Ceph RGW, R2...

Objects are named ``<prefix><key>`` in one bucket, with the same generated keys as the local store
(nothing from user input reaches a name), and sent with their content type. The bucket must exist;
turn on server-side encryption and versioning-with-expiry there as your policy requires (erasure
deletes the current object; a versioned bucket keeps older versions until its lifecycle rule
removes them).

Credentials come from boto3's usual chain (environment variables, shared config, the instance or
pod role), never from Rolecall's settings. boto3 is synchronous, so calls run in worker threads;
the client is thread-safe and shared.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread

from rolecall.platform.storage import (
    LISTING_BATCH,
    InvalidFileKey,
    StoredFile,
    StoredFileNotFound,
    check_content_type,
    is_file_key,
    new_file_key,
)

_MISSING = {"404", "NoSuchKey", "NotFound"}


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → (bucket, ``some/prefix/``); ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("the file store URL must look like s3://bucket or s3://bucket/prefix")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


class S3FileStore:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        if client is None:
            try:
                import boto3  # an optional extra: only installations that use S3 install and import it
            except ImportError as exc:
                raise ImportError("S3 file storage needs boto3: pip install 'rolecall[s3]'") from exc

            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, key: str) -> str:
        if not is_file_key(key):
            raise InvalidFileKey("not a key this store generated")
        return f"{self.prefix}{key}"

    async def put(self, data: bytes, *, content_type: str) -> str:
        check_content_type(content_type)
        key = new_file_key()
        name = self._name(key)
        await anyio.to_thread.run_sync(
            lambda: self._client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType=content_type)
        )
        return key

    async def get(self, key: str) -> bytes:
        name = self._name(key)

        def read() -> bytes:
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=name)
            except Exception as exc:
                if _missing(exc):
                    raise StoredFileNotFound(key) from None
                raise
            body: bytes = response["Body"].read()
            return body

        return await anyio.to_thread.run_sync(read)

    async def delete(self, key: str) -> None:
        """Deleting a key that is not there is not an error (as in S3 itself)."""
        name = self._name(key)
        await anyio.to_thread.run_sync(lambda: self._client.delete_object(Bucket=self.bucket, Key=name))

    async def exists(self, key: str) -> bool:
        name = self._name(key)

        def head() -> bool:
            try:
                self._client.head_object(Bucket=self.bucket, Key=name)
            except Exception as exc:
                if _missing(exc):
                    return False
                raise
            return True

        return await anyio.to_thread.run_sync(head)

    async def listing(self) -> AsyncIterator[list[StoredFile]]:
        """Every object under the prefix whose name is a key, one ``ListObjectsV2`` page at a time.

        Objects under a deeper prefix, or with names this store never generates, are skipped: a
        bucket shared with other data is never touched beyond Rolecall's own keys.
        """
        token: str | None = None
        while True:
            arguments: dict[str, Any] = {
                "Bucket": self.bucket,
                "Prefix": self.prefix,
                "MaxKeys": LISTING_BATCH,
            }
            if token:
                arguments["ContinuationToken"] = token
            page: dict[str, Any] = await anyio.to_thread.run_sync(
                partial(self._client.list_objects_v2, **arguments)
            )
            found = []
            for item in page.get("Contents", []):
                key = str(item["Key"])[len(self.prefix) :]
                if is_file_key(key):
                    found.append(StoredFile(key, _utc(item["LastModified"])))
            if found:
                yield found
            token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
            if not token:
                return


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
    return code in _MISSING
