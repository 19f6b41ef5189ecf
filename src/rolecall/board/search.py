"""The search contract of the public board: one interface, two adapters, one behaviour suite.

The board searches *postings*: flat, public documents projected from open jobs (see
:mod:`rolecall.board.models`). Every adapter takes the same :class:`SearchQuery` and returns the same
:class:`SearchResult`, so the endpoint, the tests and the benchmark never know which one is behind it.
Adapters are chosen by ``ROLECALL_SEARCH_BACKEND`` (``tantivy`` by default, ``database`` for boards
small enough that an extra on-disk index is not worth running).

Ranking is adapter-specific (BM25 in tantivy, ``ts_rank``/``bm25()`` in the databases) but the field
weights agree: title over skills over body. Facet counts are computed over the *whole* match set after
filters, never over a page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, get_args

FacetName = Literal[
    "location",
    "work_arrangement",
    "level",
    "department",
    "employment_type",
    "skills",
    "salary",
    "organisation",
]
FACETS: tuple[FacetName, ...] = get_args(FacetName)

# More distinct words than this in one query is an InvalidQuery on every adapter.
MAX_QUERY_TERMS = 32

# Salary buckets are on the posting's *maximum* annual base salary, in its own currency: a bucket says
# "pays up to at least this much". Boards mixing currencies should filter on currency first.
SALARY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-50000", 0, 50_000),
    ("50000-100000", 50_000, 100_000),
    ("100000-150000", 100_000, 150_000),
    ("150000-200000", 150_000, 200_000),
    ("200000+", 200_000, None),
)


def salary_bucket(salary_max: int | None) -> str | None:
    if salary_max is None:
        return None
    for key, low, high in SALARY_BUCKETS:
        if salary_max >= low and (high is None or salary_max < high):
            return key
    return None


@dataclass(frozen=True)
class PostingDocument:
    """What the index stores for one posting. Only public facts: this is served to anyone.

    ``locations`` are display strings ("Berlin, DE"); ``skills`` are canonical skill ids from the
    taxonomy, ``skill_names`` their display names (searched as text). Salary fields are ``None``
    when the organisation hides pay.
    """

    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_slug: str
    organisation_name: str
    listed: bool  # shown on the cross-organisation board (the organisation opted in)
    title: str
    level: str
    department: str
    employment_type: str
    work_arrangement: str
    locations: tuple[str, ...]
    skills: tuple[str, ...]
    skill_names: tuple[str, ...]
    body: str
    published_at: datetime
    salary_min: int | None = None
    salary_max: int | None = None
    salary_currency: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    """``q`` is free text (empty: match all). Filters are AND across facets, OR within one facet."""

    q: str = ""
    filters: dict[FacetName, tuple[str, ...]] = field(default_factory=dict)
    salary_at_least: int | None = None  # posting's salary_max >= this (hidden salaries never match)
    organisation_slug: str | None = None  # per-organisation board; None = cross-organisation board
    sort: Literal["relevance", "date"] = "relevance"
    offset: int = 0
    limit: int = 20
    facets: bool = True


@dataclass(frozen=True)
class SearchHit:
    id: uuid.UUID
    score: float


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[FacetName, list[FacetCount]]  # counts sorted by count desc, then value asc


class InvalidQuery(ValueError):
    """The free-text query cannot be parsed; the message is safe to show to the caller."""


class SearchIndex(Protocol):
    """Write side is idempotent: upserting the same document twice leaves one copy."""

    async def upsert(self, documents: Sequence[PostingDocument]) -> None: ...

    async def delete(self, ids: Sequence[uuid.UUID]) -> None: ...

    async def search(self, query: SearchQuery) -> SearchResult: ...

    async def clear(self) -> None: ...
