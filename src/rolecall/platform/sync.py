"""Incremental sync: ``updated_since`` on every collection, without missing late commits.

A row's ``updated_at`` is stamped when its transaction flushes but becomes visible only when that
transaction commits. A client that resumes from "the newest ``updated_at`` I have seen" therefore
misses a row stamped before that moment and committed after its read. So the watermark a list hands
back (``next_updated_since``, also the ``Sync-Watermark`` header) is never later than the round's first
request time minus ``sync_safety_seconds``, the longest a write transaction may stay open: any row
the client has not seen yet was stamped after it. Nor is it later than the newest row returned, so
a clock running ahead in the reading process cannot push it past what writers stamped. The price is
overlap: rows near the watermark come again, and clients dedupe by id and ``version``/``updated_at``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Index, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from rolecall.platform.clock import utcnow
from rolecall.platform.errors import BadRequest

DEFAULT_SAFETY_SECONDS = 10.0
WATERMARK_HEADER = "Sync-Watermark"

# RFC 3339 date-time: a full date, "T" (or a space, which RFC 3339 permits), a time and an offset.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def parse_updated_since(value: str) -> datetime:
    """An RFC 3339 timestamp with its offset; a naive time would be read in an unknown zone."""
    text = value.strip()
    if not _RFC3339.match(text):
        raise BadRequest(
            "updated_since must be an RFC 3339 date-time with a time zone, "
            "such as 2026-01-31T09:30:00Z (encode '+' as %2B in a URL)."
        )
    text = re.sub(r"[Zz]$", "+00:00", text)
    # Python keeps microseconds; longer fractions are cut, which only widens the range (>=).
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest("updated_since is not a valid date-time.") from exc
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+05:00 is before the first representable instant
        raise BadRequest("updated_since must fall between the years 0001 and 9999 in UTC.") from exc


@dataclass(frozen=True)
class SyncPosition:
    """Where a sync-ordered page starts: after (updated_at, id), within a round started at ``bound``."""

    updated_at: datetime
    bound: datetime


def round_bound(safety_seconds: float) -> datetime:
    """The latest watermark this request may hand out: its time minus the write-transaction bound."""
    return utcnow() - timedelta(seconds=safety_seconds)


def filter_and_order(
    stmt: Select[Any],
    updated_column: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[Any],
    since: datetime,
    after: tuple[datetime, Any] | None,
) -> Select[Any]:
    """Rows changed at or after ``since`` in (updated_at, id) order, resuming after ``after``."""
    stmt = stmt.where(updated_column >= since)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(updated_column > at, and_(updated_column == at, id_column > last_id)))
    return stmt.order_by(updated_column, id_column)


def next_watermark(since: datetime, bound: datetime, returned: Sequence[datetime]) -> datetime:
    """Where the next round starts: not past the newest row returned nor past the round's bound.

    With nothing returned the client keeps its own ``since``: moving to ``bound`` would be safe only
    if every process's clock agreed with this one, and staying put costs an empty query. It never
    moves backwards either, so a client that asked from a later time is not sent back.
    """
    if not returned:
        return since
    return max(since, min(max(returned), bound))


def format_watermark(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sync_index(table: str, column: str = "updated_at") -> Index:
    """The index an ``updated_since`` list reads through: the tenant, then the change order."""
    return Index(f"ix_{table}_sync", "organisation_id", column, "id")
