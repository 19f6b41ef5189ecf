"""HTTP helpers: strong ``ETag`` on reads, mandatory ``If-Match`` on updates, ``no-store``, and the
accessors routes use for the app's personal-data tools."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import Depends, Header, Request, Response

from rolecall.platform.errors import PreconditionFailed, PreconditionRequired
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.storage import FileStore

NO_STORE = "no-store"


def etag_for(resource_id: uuid.UUID, version: int) -> str:
    digest = hashlib.sha256(f"{resource_id}:{version}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def set_etag(response: Response, resource_id: uuid.UUID, version: int) -> None:
    response.headers["ETag"] = etag_for(resource_id, version)


def no_store(response: Response) -> None:
    """Responses carrying personal data must not be kept by browsers or shared caches."""
    response.headers["Cache-Control"] = NO_STORE


def require_if_match(
    if_match: Annotated[
        str | None, Header(alias="If-Match", description="ETag of the version being edited")
    ] = None,
) -> str:
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("Send the resource's ETag in If-Match to update it.")
    return if_match.strip()


IfMatch = Annotated[str, Depends(require_if_match)]


def check_if_match(if_match: str, resource_id: uuid.UUID, version: int) -> None:
    current = etag_for(resource_id, version)
    # If-Match uses strong comparison (RFC 9110 13.1.1): a weak tag never matches.
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(
            "The resource changed since you read it; fetch it again and retry.",
            headers={"ETag": current},
        )


# The app's personal-data tools, held in ``app.state`` (see rolecall.app), for routes to pass to
# services: one accessor each, so no context repeats how they are found.


def pii_keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.pii_keyring
    return keyring


def blind_index(request: Request) -> BlindIndex:
    index: BlindIndex = request.app.state.blind_index
    return index


def file_store(request: Request) -> FileStore:
    store: FileStore = request.app.state.file_store
    return store
