"""Cursor pagination with a stable order.

Lists are ordered by a time-ordered UUIDv7 primary key, so "rows after this id" is a stable page
boundary even while rows are inserted; the cursor is an opaque, URL-safe token so clients cannot
depend on its contents and we can change them. With ``updated_since`` (incremental sync,
:mod:`rolecall.platform.sync`) the order is (updated_at, id) instead and the cursor carries both.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, cast

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field, PrivateAttr
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from rolecall.platform import sync
from rolecall.platform.errors import BadRequest

T = TypeVar("T")
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    next_updated_since: datetime | None = Field(
        default=None,
        description="With updated_since: where the next sync round starts (docs/api.md, Incremental sync)",
    )


class PageParams(BaseModel):
    limit: int
    after: uuid.UUID | None
    # Incremental sync: rows with updated_at >= updated_since, in (updated_at, id) order; a cursor
    # then also holds the last row's updated_at and the round's watermark bound.
    updated_since: datetime | None = None
    after_updated_at: datetime | None = None
    sync_bound: datetime | None = None
    # Set by page_of in sync mode, for the page envelope.
    next_updated_since: datetime | None = None
    _response: Response | None = PrivateAttr(default=None)
    _updated_key: str = PrivateAttr(default="updated_at")


def _encode(data: dict[str, str]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_cursor(last_id: uuid.UUID) -> str:
    return _encode({"after": str(last_id)})


def _malformed() -> BadRequest:
    return BadRequest("The cursor is malformed; use next_cursor from a previous page.")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
        raise _malformed() from exc
    # Anything decodable is still untrusted input: a cursor of '{"after": 1}' must be a 400, not a 500.
    if not isinstance(data, dict) or not isinstance(data.get("after"), str):
        raise _malformed()
    try:
        data["after"] = uuid.UUID(data["after"])
    except ValueError as exc:
        raise _malformed() from exc
    return data


def decode_cursor(cursor: str) -> uuid.UUID:
    after: uuid.UUID = _decode(cursor)["after"]
    return after


def _decode_sync_cursor(cursor: str) -> tuple[uuid.UUID, datetime, datetime]:
    data = _decode(cursor)
    at, bound = data.get("u"), data.get("b")
    if not isinstance(at, str) or not isinstance(bound, str):
        raise BadRequest("This cursor belongs to a list without updated_since; start the sync again.")
    try:
        return data["after"], datetime.fromisoformat(at), datetime.fromisoformat(bound)
    except ValueError as exc:
        raise _malformed() from exc


def page_params(
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=300, description="next_cursor of the previous page")
    ] = None,
    updated_since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Incremental sync: only items changed at or after this RFC 3339 time (with a "
            "time zone), ordered by updated_at; resume from next_updated_since (docs/api.md)",
        ),
    ] = None,
) -> PageParams:
    if updated_since is None:
        if cursor and "u" in _decode(cursor):
            raise BadRequest("This cursor belongs to an updated_since query; repeat updated_since with it.")
        return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)
    since = sync.parse_updated_since(updated_since)
    if cursor:
        after, at, bound = _decode_sync_cursor(cursor)
        params = PageParams(
            limit=limit, after=after, updated_since=since, after_updated_at=at, sync_bound=bound
        )
    else:
        settings = getattr(request.app.state, "settings", None)
        safety = getattr(settings, "sync_safety_seconds", sync.DEFAULT_SAFETY_SECONDS)
        params = PageParams(limit=limit, after=None, updated_since=since, sync_bound=sync.round_bound(safety))
    params._response = response
    return params


def paginate_by_id(
    stmt: SelectT,
    id_column: InstrumentedAttribute[uuid.UUID],
    params: PageParams,
    updated_column: InstrumentedAttribute[datetime] | None = None,
) -> SelectT:
    """Order by id ascending and fetch one row more than asked, to know whether a next page exists.

    With ``params.updated_since`` the order is (updated_at, id) instead; ``updated_column`` names the
    change time of tables that call it something else (append-only ones use their creation time).
    """
    if params.updated_since is not None:
        column = (
            updated_column if updated_column is not None else getattr(id_column.class_, "updated_at", None)
        )
        if column is None:
            raise TypeError(f"{id_column.class_.__name__} has no updated_at; pass updated_column")
        params._updated_key = column.key
        after = (params.after_updated_at, params.after) if params.after and params.after_updated_at else None
        ordered = sync.filter_and_order(stmt, column, id_column, params.updated_since, after)
        return cast(SelectT, ordered.limit(params.limit + 1))
    if params.after is not None:
        stmt = stmt.where(id_column > params.after)
    return stmt.order_by(id_column).limit(params.limit + 1)


def page_of(
    rows: Sequence[Any],
    params: PageParams,
    item_id: Any = lambda row: row.id,
    item_updated: Callable[[Any], datetime] | None = None,
) -> tuple[list[Any], str | None]:
    items = list(rows[: params.limit])
    more = len(rows) > params.limit and bool(items)
    if params.updated_since is None or params.sync_bound is None:
        return items, encode_cursor(item_id(items[-1])) if more else None
    stamp = item_updated or (lambda row: getattr(row, params._updated_key))
    stamps = [stamp(item) for item in items]
    cursor = None
    if more:
        cursor = _encode(
            {
                "after": str(item_id(items[-1])),
                "u": stamps[-1].isoformat(),
                "b": params.sync_bound.isoformat(),
            }
        )
    watermark = sync.next_watermark(params.updated_since, params.sync_bound, stamps)
    params.next_updated_since = watermark
    if params._response is not None:
        params._response.headers[sync.WATERMARK_HEADER] = sync.format_watermark(watermark)
    return items, cursor


def sync_page_of_all(rows: Sequence[Any], params: PageParams) -> tuple[list[Any], str | None]:
    """``page_of`` for the few small lists read whole (a handful of rows per organisation).

    Without ``updated_since`` the rows come back as given, all of them; with it they are filtered and
    ordered like :func:`paginate_by_id` would in SQL.
    """
    if params.updated_since is None:
        return list(rows), None
    since = params.updated_since
    after = (params.after_updated_at, params.after) if params.after and params.after_updated_at else None
    chosen = sorted(
        (
            row
            for row in rows
            if row.updated_at >= since and (after is None or (row.updated_at, row.id) > after)
        ),
        key=lambda row: (row.updated_at, row.id),
    )
    return page_of(chosen[: params.limit + 1], params)
