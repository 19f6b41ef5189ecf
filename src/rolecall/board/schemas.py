"""Public board responses. These shapes are a contract with careers pages and aggregators."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class BoardOrganisation(BaseModel):
    slug: str
    name: str


class PostingLocation(BaseModel):
    city: str
    region: str | None = None
    country: str
    display: str


class PostingSkill(BaseModel):
    id: str
    name: str
    must_have: bool


class PostingSalary(BaseModel):
    min: int
    max: int
    currency: str
    period: str


class PostingSummary(BaseModel):
    id: uuid.UUID
    url: str = Field(
        description="The job page (absolute) when ROLECALL_PUBLIC_BASE_URL is set, else the same as api_url"
    )
    api_url: str = Field(description="This posting's JSON resource, /v1/board/postings/{id}")
    title: str
    organisation: BoardOrganisation
    level: str
    department: str
    employment_type: str
    work_arrangement: str
    locations: list[PostingLocation]
    remote_countries: list[str]
    skills: list[PostingSkill]
    salary: PostingSalary | None
    published_at: datetime
    valid_through: datetime | None


class PostingDescription(BaseModel):
    markdown: str
    html: str
    text: str


class PostingDetail(PostingSummary):
    remote_time_zones: list[str]
    updated_at: datetime
    description: PostingDescription
    json_ld: dict[str, Any]
    application_form: list[dict[str, Any]]
    apply_url: str = Field(
        description="The apply page (absolute) when ROLECALL_PUBLIC_BASE_URL is set, else the same as "
        "api_apply_url"
    )
    api_apply_url: str = Field(
        description="The public apply route (multipart POST), /v1/board/postings/{id}/applications"
    )


class FacetValue(BaseModel):
    value: str
    count: int


class SearchResponse(BaseModel):
    items: list[PostingSummary]
    total: int
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None = None
    corrected_query: str | None = Field(
        default=None,
        description=(
            "Set when the query as typed found nothing and a spelling one edit away did: the query "
            "these results answer (show it, e.g. 'Showing results for …'). Null for exact matches."
        ),
        examples=["security engineer"],
    )
