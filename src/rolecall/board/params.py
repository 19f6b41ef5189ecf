"""The search parameters of the public board, parsed once for the JSON API and the careers pages.

Both adapters over :func:`rolecall.board.service.search` take the same query string, so a careers
page URL and the API URL with the same parameters find the same postings.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BaseModel

from rolecall.board import service
from rolecall.board.search import FacetName, SearchQuery

Values = Annotated[list[str], Query(max_length=20)]
FacetLimit = Annotated[int, Query(ge=1, le=1000, description="Most frequent values returned per facet")]


class BoardSearchParams(BaseModel):
    q: str
    facet_limit: int
    filters: dict[FacetName, tuple[str, ...]]
    salary_at_least: int | None
    sort: Literal["relevance", "date"]
    limit: int
    offset: int

    def query(self, organisation_slug: str | None) -> SearchQuery:
        return SearchQuery(
            q=self.q,
            filters=self.filters,
            salary_at_least=self.salary_at_least,
            organisation_slug=organisation_slug,
            sort=self.sort,
            offset=self.offset,
            limit=self.limit,
        )


def search_params(
    q: Annotated[str, Query(max_length=500, description="Free text over title, skills and description")] = "",
    location: Values = [],  # noqa: B006 - FastAPI copies defaults
    work_arrangement: Values = [],  # noqa: B006
    level: Values = [],  # noqa: B006
    department: Values = [],  # noqa: B006
    employment_type: Values = [],  # noqa: B006
    skills: Values = [],  # noqa: B006
    salary: Values = [],  # noqa: B006
    salary_at_least: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
    sort: Literal["relevance", "date"] = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    facet_limit: FacetLimit = 20,
) -> BoardSearchParams:
    """The query parameters both boards share (the cross-organisation one adds ``organisation``)."""
    given: dict[FacetName, list[str]] = {
        "location": location,
        "work_arrangement": work_arrangement,
        "level": level,
        "department": department,
        "employment_type": employment_type,
        "skills": skills,
        "salary": salary,
    }
    filters: dict[FacetName, tuple[str, ...]] = {k: tuple(v) for k, v in given.items() if v}
    if "skills" in filters:
        filters["skills"] = service.normalise_skills(filters["skills"])
    return BoardSearchParams(
        q=q.strip(),
        facet_limit=facet_limit,
        filters=filters,
        salary_at_least=salary_at_least,
        sort=sort,
        limit=limit,
        offset=service.decode_cursor(cursor) if cursor else 0,
    )


SearchParams = Annotated[BoardSearchParams, Depends(search_params)]
