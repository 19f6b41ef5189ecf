"""The job form of the staff app, between what a person typed and the API's request bodies.

The form is flat (``salary.min``, ``locations.0.city``: the API's own dotted paths, so the messages
Pydantic and the service give land next to the right field) and works without JavaScript: three
location rows, and the hiring team as one checkbox per person and part. Reading a form never
refuses anything; refusing is the schemas' and the service's job, exactly as for the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rolecall.jobs import posting
from rolecall.jobs.models import Job

LOCATION_ROWS = 3
PLACE_PARTS = ("city", "region", "country")
LEVEL_WORDS = {
    "junior": "Junior",
    "mid": "Mid-level",
    "senior": "Senior",
    "lead": "Lead",
    "principal": "Principal",
}
EMPLOYMENT_TYPES = (
    ("full_time", "Full-time"),
    ("part_time", "Part-time"),
    ("contract", "Contract"),
    ("temporary", "Temporary"),
    ("internship", "Internship"),
)
ARRANGEMENTS = (("onsite", "On site"), ("hybrid", "Hybrid"), ("remote", "Remote"))
PERIODS = (("year", "per year"), ("month", "per month"), ("hour", "per hour"))
TEAM_ROLES = (
    ("recruiter", "Recruiter"),
    ("hiring_manager", "Hiring manager"),
    ("interviewer", "Interviewer"),
    ("coordinator", "Coordinator"),
)
# Which staff roles may fill each part; only those boxes are offered (the service checks again).
TEAM_ROLE_NEEDS = {
    "recruiter": {"recruiter", "admin"},
    "coordinator": {"recruiter", "admin"},
    "hiring_manager": {"hiring_manager", "admin"},
    "interviewer": {"admin", "recruiter", "hiring_manager", "interviewer"},
}
CLOSE_REASONS = (
    ("filled", "Filled"),
    ("cancelled", "Cancelled"),
    ("on_hold", "On hold"),
    ("duplicate", "Duplicate"),
    ("other", "Other"),
)
TEXT_FIELDS = (
    "title",
    "department",
    "employment_type",
    "work_arrangement",
    "openings",
    "remote_countries",
    "remote_time_zones",
    "salary.min",
    "salary.max",
    "salary.currency",
    "salary.period",
    "salary.override_reason",
    "valid_through",
    "profile_level",
    "version",
)
# Error paths that have no field of their own on the form, and the field that shows them.
_ERROR_HOMES = (
    ("role_profile_id", "profile_level"),
    ("profile_version", "profile_level"),
    ("level", "profile_level"),
    ("hiring_team", "hiring_team"),
    ("remote_countries", "remote_countries"),
    ("remote_time_zones", "remote_time_zones"),
)
_REQUIRED = {
    "profile_level": "Choose the role profile and level this job is built from.",
    "department": "Enter the department.",
    "work_arrangement": "Choose the work arrangement.",
    "salary.min": "Enter the minimum salary.",
    "salary.max": "Enter the maximum salary.",
    "salary.currency": "Enter the currency of the salary.",
}
_FORM_ORDER = (
    "form",
    "profile_level",
    "title",
    "department",
    "employment_type",
    "work_arrangement",
    "openings",
    "locations",
    "remote_countries",
    "remote_time_zones",
    "salary",
    "hiring_team",
    "valid_through",
)
_LIST_SPLIT = re.compile(r"[\s,;]+")


def blank_values() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "")
    values.update({"employment_type": "full_time", "openings": "1", "salary.period": "year"})
    values["locations"] = [{"city": "", "region": "", "country": ""} for _ in range(LOCATION_ROWS)]
    values["team"] = set()
    return values


def read_form(form: Mapping[str, Any], team: list[str]) -> dict[str, Any]:
    """What the person typed, trimmed, in the shape the template shows."""
    values = blank_values()
    for name in TEXT_FIELDS:
        values[name] = str(form.get(name, "")).strip()
    rows = []
    for index in range(50):
        if index >= LOCATION_ROWS and f"locations.{index}.city" not in form:
            break
        rows.append({part: str(form.get(f"locations.{index}.{part}", "")).strip() for part in PLACE_PARTS})
    values["locations"] = rows
    values["team"] = {entry for entry in team if ":" in entry}
    return values


def job_values(job: Job) -> dict[str, Any]:
    """A saved job as the form shows it."""
    values = blank_values()
    salary = job.salary or {}
    values.update(
        {
            "title": job.title,
            "department": job.department,
            "employment_type": job.employment_type,
            "work_arrangement": job.work_arrangement,
            "openings": str(job.openings),
            "remote_countries": ", ".join(job.remote_countries),
            "remote_time_zones": ", ".join(job.remote_time_zones),
            "salary.min": str(salary.get("min", "")),
            "salary.max": str(salary.get("max", "")),
            "salary.currency": salary.get("currency", ""),
            "salary.period": salary.get("period", "year"),
            "salary.override_reason": salary.get("override_reason") or "",
            "valid_through": job.valid_through.date().isoformat() if job.valid_through else "",
            "version": str(job.version),
        }
    )
    rows = [{part: loc.get(part) or "" for part in PLACE_PARTS} for loc in job.locations]
    rows += [{"city": "", "region": "", "country": ""} for _ in range(LOCATION_ROWS - len(rows))]
    values["locations"] = rows
    values["team"] = {f"{m['role']}:{m['user_id']}" for m in job.hiring_team}
    return values


def _list(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(text) if part]


def _salary(values: Mapping[str, Any]) -> dict[str, Any] | None:
    parts = ("salary.min", "salary.max", "salary.currency", "salary.override_reason")
    if not any(values[name] for name in parts):
        return None
    salary: dict[str, Any] = {"period": values["salary.period"] or "year"}
    for name in ("min", "max"):
        if values[f"salary.{name}"]:
            salary[name] = values[f"salary.{name}"]
    if values["salary.currency"]:
        salary["currency"] = values["salary.currency"].upper()
    salary["override_reason"] = values["salary.override_reason"] or None
    return salary


def _valid_through(text: str) -> str | None:
    """A date picked on the form closes at the end of that day (UTC); anything else is left for
    the schema to refuse with its own message."""
    if not text:
        return None
    return f"{text}T23:59:59Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text


def job_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields both ``JobCreate`` and ``JobUpdate`` take, as the API would receive them."""
    body: dict[str, Any] = {
        "title": values["title"] or None,
        "department": values["department"] or None,
        "employment_type": values["employment_type"] or None,
        "work_arrangement": values["work_arrangement"] or None,
        "locations": [
            {k: v for k, v in row.items() if v} for row in values["locations"] if any(row.values())
        ],
        "remote_countries": _list(values["remote_countries"]),
        "remote_time_zones": _list(values["remote_time_zones"]),
        "openings": values["openings"] or None,
        "salary": _salary(values),
        "hiring_team": [
            {"role": role, "user_id": user_id}
            for role, _, user_id in sorted(entry.partition(":") for entry in values["team"])
        ],
        "valid_through": _valid_through(values["valid_through"]),
    }
    return body


def create_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """A ``JobCreate`` body: the profile and level come from the one "profile:level" choice."""
    body = {key: value for key, value in job_fields(values).items() if value is not None}
    profile_id, _, level = values["profile_level"].partition(":")
    if profile_id:
        body["role_profile_id"] = profile_id
    if level:
        body["level"] = level
    return body


def update_body(values: Mapping[str, Any], job: Job, default_title: str) -> dict[str, Any]:
    """The fields that differ from the saved job, as a ``JobUpdate`` body (a PATCH sends changes).

    Sending only changes keeps rules about the present (a closing date must be in the future) from
    refusing a save that did not touch that field.
    """
    wanted = job_fields(values)
    current = posting.job_state(job)
    changes: dict[str, Any] = {}
    title = wanted.pop("title")
    if title != job.title and not (title is None and job.title == default_title):
        changes["title"] = title
    when = wanted.pop("valid_through")
    if (when or "")[:10] != (job.valid_through.date().isoformat() if job.valid_through else ""):
        changes["valid_through"] = when
    openings = wanted.pop("openings")
    if openings is not None and str(openings) != str(job.openings):
        changes["openings"] = openings
    salary = wanted.pop("salary")
    if _normal(salary) != _normal(job.salary):
        changes["salary"] = salary
        if salary is None:
            changes["clear_salary"] = True
    team = wanted.pop("hiring_team")
    if sorted((m["role"], m["user_id"]) for m in team) != sorted(
        (m["role"], str(m["user_id"])) for m in job.hiring_team
    ):
        changes["hiring_team"] = team
    for key, value in wanted.items():
        if key == "locations":
            same = [_normal(loc) for loc in value] == [_normal(loc) for loc in current[key]]
        else:
            same = value == current[key]
        if not same:
            changes[key] = value  # None for a required field: the service says it cannot be null
    return changes


def _normal(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    """A salary or location compared as text, with empty parts dropped (``120000`` == ``"120000"``)."""
    if value is None:
        return None
    return {k: str(v) for k, v in value.items() if v not in (None, "")}


def error_homes(errors: Mapping[str, str]) -> dict[str, str]:
    """Messages keyed by a field the form has (``hiring_team.2`` shows at the hiring team), in the
    order of the form, with Pydantic's bare "Field required" naming the field."""
    placed: dict[str, str] = {}
    for field, message in errors.items():
        home = field
        for prefix, target in _ERROR_HOMES:
            if field == prefix or field.startswith(prefix + "."):
                home = target
        if message == "Field required" and home in _REQUIRED:
            message = _REQUIRED[home]
        placed.setdefault(home, message)
    order = {name: index for index, name in enumerate(_FORM_ORDER)}
    return dict(sorted(placed.items(), key=lambda item: order.get(item[0].split(".")[0], len(order))))


def staff_rows(users: list[Any], team: set[str]) -> list[dict[str, Any]]:
    """One row per person who can be on the team: active staff, plus anyone already on it.

    ``parts`` maps each part the person may play to the checkbox value (``role:user id``).
    """
    on_team = {entry.partition(":")[2] for entry in team}
    rows = []
    for user in sorted(users, key=lambda u: (u.full_name.casefold(), str(u.id))):
        if not user.is_active and str(user.id) not in on_team:
            continue
        parts = {
            role: f"{role}:{user.id}"
            for role, _label in TEAM_ROLES
            if set(user.roles) & TEAM_ROLE_NEEDS[role] or f"{role}:{user.id}" in team
        }
        if parts:
            rows.append({"user": user, "parts": parts})
    return rows


def unseen_team(team: set[str], rows: list[dict[str, Any]]) -> list[str]:
    """Team entries the form has no checkbox for: carried as hidden fields so a save keeps them."""
    shown = {value for row in rows for value in row["parts"].values()}
    return sorted(team - shown)


def level_word(level: str) -> str:
    return LEVEL_WORDS.get(level, level)
