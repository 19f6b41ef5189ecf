"""Query-parameter types that take only what their documented format says.

Pydantic's lax mode reads a number as a Unix timestamp, so ``?to=0`` meant 1 January 1970 and
``?to=0.5`` half a second after it: a typo became a silent, wrong period instead of a 422. These
types accept ISO 8601 text only (the ``format`` the OpenAPI document declares) and leave the
parsing itself to pydantic. A date-time is then read as an instant in UTC, which every caller
compares with stored UTC times; one whose offset moves it past year 1 or 9999 is refused as a
422 (it was an overflow deep in a query, a 500).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BeforeValidator


def _text_only(value: object) -> object:
    if not isinstance(value, str | date):
        raise ValueError("must be written as ISO 8601 text, such as 2026-01-31")
    if isinstance(value, str) and not value[:4].isdigit():
        raise ValueError("must be written as ISO 8601 text, such as 2026-01-31")
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("must be written as ISO 8601 text, such as 2026-01-31, not a number")
    return value


def _no_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


# For numbers in request bodies: pydantic's lax mode reads JSON true and false as 1 and 0, so a
# client's mistake was saved as a number. ``Annotated[int, Numeric]`` refuses them (a 422).
Numeric = BeforeValidator(_no_boolean)


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall between the years 0001 and 9999 in UTC") from None


IsoDate = Annotated[date, BeforeValidator(_text_only)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_text_only), AfterValidator(_in_utc)]

# The largest value of an INTEGER column (PostgreSQL's int4). A larger number in a path or query can
# match no row, and the driver refuses to send it to the database: bound it, so it is a 422.
INT4_MAX = 2_147_483_647
PathNumber = Annotated[int, Path(le=INT4_MAX)]
