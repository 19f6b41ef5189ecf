"""From a public posting (as the jobs context publishes it) to the flat document search indexes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from rolecall.board.search import PostingDocument

_PER_YEAR = {"year": 1, "month": 12, "hour": 2080}


def search_document(posting: dict[str, Any]) -> PostingDocument:
    organisation = posting["organisation"]
    salary = posting.get("salary")
    locations = [loc["display"] for loc in posting.get("locations", [])]
    if posting["work_arrangement"] == "remote":
        locations.append("Remote")
    return PostingDocument(
        id=uuid.UUID(posting["id"]),
        organisation_id=uuid.UUID(organisation["id"]),
        organisation_slug=organisation["slug"],
        organisation_name=organisation["name"],
        listed=bool(organisation["listed"]),
        title=posting["title"],
        level=posting["level"],
        department=posting["department"],
        employment_type=posting["employment_type"],
        work_arrangement=posting["work_arrangement"],
        locations=tuple(dict.fromkeys(locations)),
        skills=tuple(s["id"] for s in posting.get("skills", [])),
        skill_names=tuple(s["name"] for s in posting.get("skills", [])),
        body=posting["description"]["text"],
        published_at=datetime.fromisoformat(posting["published_at"]),
        salary_min=salary["min"] * _PER_YEAR[salary["period"]] if salary else None,
        salary_max=salary["max"] * _PER_YEAR[salary["period"]] if salary else None,
        salary_currency=salary["currency"] if salary else None,
    )


SUMMARY_FIELDS = (
    "id",
    "url",
    "title",
    "organisation",
    "level",
    "department",
    "employment_type",
    "work_arrangement",
    "locations",
    "remote_countries",
    "skills",
    "salary",
    "published_at",
    "valid_through",
)


def summary_of(posting: dict[str, Any]) -> dict[str, Any]:
    """What a search result shows of a posting (see ``PostingSummary``); a few hundred bytes."""
    summary = {key: posting.get(key) for key in SUMMARY_FIELDS}
    summary["organisation"] = {k: posting["organisation"][k] for k in ("slug", "name")}
    return summary
