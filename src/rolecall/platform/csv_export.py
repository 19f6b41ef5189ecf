"""CSV downloads: safe cells, attachment headers and the OpenAPI description every CSV route shares.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some a tab or a carriage
return) as a formula, so a candidate called ``=HYPERLINK(...)`` would become a link in a recruiter's
spreadsheet. Following OWASP's advice on CSV injection, such cells get a leading single quote, which
spreadsheets show as text. Numbers are written by this module, never taken from input, so a negative
number is never mistaken for a formula: only strings are guarded.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from fastapi.responses import StreamingResponse

CSV_MEDIA_TYPE = "text/csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
# Rows written per chunk of a streamed answer: large enough to keep writes few, small enough that a
# big export never sits in memory as one string.
CHUNK_ROWS = 500


def safe_cell(value: Any) -> str:
    """One cell as text: None is empty, dates are ISO 8601, and formula-like strings are quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows (the header first) as one CSV document with CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def filename(*parts: str) -> str:
    """A download name made of safe characters only (ids, dates, words), ending in ``.csv``."""
    name = "-".join(_UNSAFE_FILENAME.sub("-", part).strip("-") for part in parts if part)
    return f"{name or 'export'}.csv"


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> StreamingResponse:
    """A streamed CSV attachment: the header, then the rows in chunks of :data:`CHUNK_ROWS`."""

    async def chunks() -> AsyncIterator[str]:
        yield csv_text([header])
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK_ROWS:
                yield csv_text(batch)
                batch = []
        if batch:
            yield csv_text(batch)

    return StreamingResponse(
        chunks(), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8", headers=attachment(name)
    )


def csv_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry saying a route answers JSON or, on request, ``text/csv``."""
    return {
        200: {
            "description": description,
            # JSON stays listed (its schema comes from the route's response model): the document
            # keeps only the media types a route declares on success.
            "content": {"application/json": {}, CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    }
