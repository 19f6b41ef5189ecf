"""The schedule and reschedule forms, turned into the API's request bodies.

People pick a start and an end on a wall clock (``<input type="datetime-local">``) in a time zone
they choose; the API wants an aware ``starts_at`` and ``duration_minutes``. The conversion happens
here and every refusal (the form's own and the schema's) comes back keyed by the form's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from rolecall.interviews.models import Interview
from rolecall.interviews.page_views import aware, zone
from rolecall.platform.errors import ProblemError
from rolecall.web.forms import field_errors

LOCAL = "%Y-%m-%dT%H:%M"
DURATION = "The interview must last between 15 minutes and 8 hours."


def _local(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is None else None


def form_keys(errors: Mapping[str, str]) -> dict[str, str]:
    """API field names → form field names (``interviewer_ids.2`` → ``interviewer_ids`` …)."""
    found: dict[str, str] = {}
    for field, message in errors.items():
        if field.startswith("interviewer_ids"):
            found.setdefault("interviewer_ids", message)
        elif field == "duration_minutes":
            found.setdefault("ends_at", DURATION)
        else:
            found.setdefault(field, message)
    return found


def refusal(exc: ValidationError | ProblemError) -> dict[str, str]:
    return form_keys(field_errors(exc))


def interview_body(
    form: Mapping[str, str], interviewer_ids: list[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body the form describes, and what the form itself got wrong (times that do not parse)."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"title": form.get("title", ""), "interviewer_ids": interviewer_ids}
    for field in ("location", "video_url"):
        body[field] = form.get(field, "").strip() or None
    tz = zone(form.get("time_zone", ""))
    if tz is None:
        errors["time_zone"] = "Choose a time zone from the list."
    start = _local(form.get("starts_at", ""))
    end = _local(form.get("ends_at", ""))
    if start is None:
        errors["starts_at"] = "Enter the date and time the interview starts."
    if end is None:
        errors["ends_at"] = "Enter the date and time the interview ends."
    if tz is not None and start is not None and end is not None:
        begins, finishes = start.replace(tzinfo=tz), end.replace(tzinfo=tz)
        if finishes <= begins:
            errors["ends_at"] = "The end must be after the start."
        else:
            body["starts_at"] = begins.astimezone(UTC)
            body["duration_minutes"] = int((finishes - begins).total_seconds() // 60)
    return body, errors


def checked(
    schema: type[BaseModel], body: dict[str, Any], errors: dict[str, str]
) -> tuple[Any, dict[str, str]]:
    """Validate with the API's schema; every problem (the form's and the schema's) at once."""
    try:
        parsed = schema.model_validate(body)
    except ValidationError as exc:
        merged = dict(errors)
        times_refused = bool(merged.keys() & {"starts_at", "ends_at", "time_zone"})
        for field, message in refusal(exc).items():
            if times_refused and field in ("starts_at", "ends_at"):
                continue  # "field required" for times the form could not read says nothing new
            merged.setdefault(field, message)
        return None, merged
    return (None, errors) if errors else (parsed, errors)


def defaults() -> dict[str, str]:
    """A new interview: tomorrow at 10:00 UTC, for an hour."""
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    return {
        "starts_at": start.strftime(LOCAL),
        "ends_at": (start + timedelta(hours=1)).strftime(LOCAL),
        "time_zone": "UTC",
    }


def current(interview: Interview) -> dict[str, str]:
    """The reschedule form filled with the interview as it is (times in UTC)."""
    start = aware(interview.starts_at).astimezone(UTC)
    return {
        "title": interview.title,
        "starts_at": start.strftime(LOCAL),
        "ends_at": (start + timedelta(minutes=interview.duration_minutes)).strftime(LOCAL),
        "time_zone": "UTC",
        "location": interview.location or "",
        "video_url": interview.video_url or "",
    }
