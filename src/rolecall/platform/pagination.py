"""Cursor pagination with a stable order.

Lists are ordered by a time-ordered UUIDv7 primary key, so "rows after this id" is a stable page
boundary even while rows are inserted; the cursor is an opaque, URL-safe token so clients cannot
depend on its contents and we can change them.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from rolecall.platform.errors import BadRequest

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    after: uuid.UUID | None


def encode_cursor(last_id: uuid.UUID) -> str:
    raw = json.dumps({"after": str(last_id)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    malformed = BadRequest("The cursor is malformed; use next_cursor from a previous page.")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
        raise malformed from exc
    # Anything decodable is still untrusted input: a cursor of '{"after": 1}' must be a 400, not a 500.
    after = data.get("after") if isinstance(data, dict) else None
    if not isinstance(after, str):
        raise malformed
    try:
        return uuid.UUID(after)
    except ValueError as exc:
        raise malformed from exc


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


def paginate_by_id(
    stmt: Select[Any], id_column: InstrumentedAttribute[uuid.UUID], params: PageParams
) -> Select[Any]:
    """Order by id ascending and fetch one row more than asked, to know whether a next page exists."""
    if params.after is not None:
        stmt = stmt.where(id_column > params.after)
    return stmt.order_by(id_column).limit(params.limit + 1)


def page_of(
    rows: Sequence[Any], params: PageParams, item_id: Any = lambda row: row.id
) -> tuple[list[Any], str | None]:
    items = list(rows[: params.limit])
    next_cursor = encode_cursor(item_id(items[-1])) if len(rows) > params.limit and items else None
    return items, next_cursor
