"""How the candidate's pages say things: the stage in plain words, problems next to fields, waits.

The rules and their messages come from the API (Pydantic and :mod:`rolecall.pipeline.applying`);
here they only get the field's label in front, and are keyed by the form field that shows them.
Nothing internal reaches a candidate: not the reject reason, not a score, only where they stand.
"""

from __future__ import annotations

import math
from typing import Any

STANDARD = {
    "full_name": "Full name",
    "email": "E-mail address",
    "phone": "Phone number",
    "location": "Where you live",
    "links": "Links",
    "years_experience": "Years of professional experience",
}
GENERAL = "application"  # problems that belong to no single field: the summary only

# Where an application stands, by status first and then by the type of its current stage.
_BY_STATUS = {
    "withdrawn": (
        "You have withdrawn this application",
        "It will not be considered any further. Thank you for letting the team know.",
    ),
    "rejected": (
        "The team has decided not to continue",
        "Thank you for your interest and for the time you gave to applying. "
        "Your application will not go any further for this job.",
    ),
    "hired": ("You have been hired", "Congratulations! The team will be in touch about your start."),
}
_BY_STAGE = {
    "applied": (
        "Your application has been received",
        "The team will review it; this page will show when anything changes.",
    ),
    "screen": (
        "Your application is being reviewed",
        "The recruiting team is looking at your application and will contact you about next steps.",
    ),
    "assessment": (
        "You have been invited to a skills assessment",
        "The team will send you the details of the assessment.",
    ),
    "interview": (
        "You have been invited to interview",
        "The team will contact you to arrange a time.",
    ),
    "offer": (
        "The team is preparing an offer for you",
        "You will hear from them about the details soon.",
    ),
}


def plain_status(status: dict[str, Any]) -> dict[str, str]:
    """The headline and one sentence a candidate reads for their application's status."""
    if status["status"] in _BY_STATUS:
        headline, sentence = _BY_STATUS[status["status"]]
    else:
        current = next((s for s in status["stages"] if s["current"]), None)
        headline, sentence = _BY_STAGE.get(current["type"] if current else "", _BY_STAGE["screen"])
    return {"headline": headline, "sentence": sentence}


def in_words(seconds: int) -> str:
    """A Retry-After for people: "about 40 minutes"."""
    if seconds <= 60:
        return "a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minutes"
    hours = math.ceil(minutes / 60)
    return "about an hour" if hours == 1 else f"about {hours} hours"


def fields_of(page: dict[str, Any]) -> dict[str, str]:
    """Every field of the apply form that can carry a problem, in the order the form shows them."""
    labels = dict(STANDARD)
    for question in page["questions"]:
        prefix = "files" if question["type"] == "file" else "answers"
        labels[f"{prefix}.{question['key']}"] = question["label"]
    labels["resume"] = "Resume"
    labels["consent.given"] = "Consent"
    return labels


def _field(field: str, labels: dict[str, str]) -> str:
    """The form field that shows a problem reported for ``field`` of the JSON application."""
    if field.startswith("links"):
        return "links"
    if field.startswith("consent"):
        return "consent.given"
    if field.startswith("file_"):
        field = "files." + field.removeprefix("file_")
    if field == "file":
        field = "resume"
    return field if field in labels else GENERAL


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _message(error: dict[str, str], field: str, raw: dict[str, Any], labels: dict[str, str]) -> str:
    message = str(error["message"]).strip()
    if field == GENERAL:
        return _capital(message)
    label = labels[field]
    if field == "consent.given":
        if error["field"] == "consent.text_version":
            return "The consent text has changed since this form was shown. Read it again and tick the box."
        return _capital(message)
    if field in ("full_name", "email") and not str(raw.get(field) or "").strip():
        return f"{label} is required"
    if field == "links" and "pattern" in message:
        line = error["field"].rpartition(".")[2]
        where = f" on line {int(line) + 1}" if line.isdigit() else ""
        return f"{label}: the address{where} must start with http:// or https:// and contain no spaces"
    if message.startswith(("is ", "must ", "unknown ")):
        return f"{label} {message}"
    return f"{label}: {_capital(message)}"


def page_errors(errors: list[dict[str, str]], raw: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    """``errors[]`` of the API as the page's field -> message, in form order, one message a field."""
    found: dict[str, str] = {}
    for error in errors:
        field = _field(str(error.get("field", "")), labels)
        found.setdefault(field, _message(error, field, raw, labels))
    order = [*labels, GENERAL]
    return {field: found[field] for field in order if field in found}
