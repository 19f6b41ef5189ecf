"""``sort=`` on lists, with cursor pagination that stays correct under the chosen order.

A list sorted by anything but its id cannot resume "after this id": the next page starts after the
last row's *sort value*, with the id breaking ties. So the cursor of a sorted list carries three
things: the last row's id (``after``, as every cursor does, so :func:`rolecall.platform.pagination.
page_params` accepts it), the sort it was made for (``s``) and the last row's sort value (``v``).
A cursor made for one sort and replayed with another would silently skip or repeat rows, so that is
a 400, as is a sorted cursor replayed without ``sort`` or the other way round.

``sort`` names a key, ``-key`` for descending; ties are broken by id in the same direction. Sorting
and incremental sync (``updated_since``, which has its own order) do not combine: that is a 422.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from rolecall.platform.errors import BadRequest, Unprocessable
from rolecall.platform.pagination import PageParams

SelectT = TypeVar("SelectT", bound=Select[Any])
SortValue = datetime | str
# What a sort key's values are, so a cursor's value can be read back with the right type.
KINDS: Mapping[str, type] = {"datetime": datetime, "str": str}


@dataclass(frozen=True)
class Sorting:
    key: str
    descending: bool
    kind: type
    after: tuple[SortValue, uuid.UUID] | None = None

    @property
    def name(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def _raw_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("The cursor is malformed; use next_cursor from a previous page.") from exc
    if not isinstance(data, dict):
        raise BadRequest("The cursor is malformed; use next_cursor from a previous page.")
    return data


def parse(
    sort: str | None, cursor: str | None, params: PageParams, kinds: Mapping[str, type]
) -> Sorting | None:
    """The sort a list request asked for, and where its cursor left off (None: the id order).

    ``kinds`` maps each sort key to the Python type of its values (``datetime`` or ``str``); the
    endpoint has already refused any other ``sort`` value with a 422 through its ``Literal`` type.
    """
    data = _raw_cursor(cursor) if cursor else {}
    if sort is None:
        if "s" in data:
            raise BadRequest("This cursor belongs to a sorted list; repeat the same sort with it.")
        return None
    if params.updated_since is not None:
        message = "sort cannot be combined with updated_since, which orders by change time."
        raise Unprocessable(message, extra={"errors": [{"field": "sort", "message": message}]})
    key = sort.removeprefix("-")
    kind = kinds[key]
    sorting = Sorting(key=key, descending=sort.startswith("-"), kind=kind)
    if not cursor:
        return sorting
    if data.get("s") != sort or params.after is None:
        raise BadRequest(f"This cursor was not made for sort={sort}; start again without a cursor.")
    value = data.get("v")
    if not isinstance(value, str):
        raise BadRequest("The cursor is malformed; use next_cursor from a previous page.")
    if kind is datetime:
        try:
            parsed: SortValue = datetime.fromisoformat(value)
        except ValueError as exc:
            raise BadRequest("The cursor is malformed; use next_cursor from a previous page.") from exc
    else:
        parsed = value
    return Sorting(key=key, descending=sorting.descending, kind=kind, after=(parsed, params.after))


def paginate_sorted(
    stmt: SelectT,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[uuid.UUID],
    sorting: Sorting,
    params: PageParams,
) -> SelectT:
    """Order by (column, id) in the sort's direction, resume after the cursor, fetch one row more."""
    if sorting.after is not None:
        value, last_id = sorting.after
        if sorting.descending:
            stmt = stmt.where(or_(column < value, and_(column == value, id_column < last_id)))
        else:
            stmt = stmt.where(or_(column > value, and_(column == value, id_column > last_id)))
    if sorting.descending:
        stmt = stmt.order_by(column.desc(), id_column.desc())
    else:
        stmt = stmt.order_by(column, id_column)
    return stmt.limit(params.limit + 1)


def _encode(data: dict[str, str]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sorted_page_of(
    rows: Sequence[Any],
    params: PageParams,
    sorting: Sorting,
    value_of: Callable[[Any], SortValue],
    item_id: Callable[[Any], uuid.UUID] = lambda row: row.id,
) -> tuple[list[Any], str | None]:
    """One page of rows fetched by :func:`paginate_sorted`, and the cursor of the next one."""
    items = list(rows[: params.limit])
    if len(rows) <= params.limit or not items:
        return items, None
    last = items[-1]
    value = value_of(last)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return items, _encode({"after": str(item_id(last)), "s": sorting.name, "v": text})
