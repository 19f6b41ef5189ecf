"""Checking an applicant's answers against the job's application form.

The form is the job's list of typed questions (see ``rolecall.jobs.schemas.Question``). Every problem
is reported at once, keyed ``answers.<question key>``, so a careers page can mark all the fields in
one round trip. File questions are answered by an uploaded part, not in the JSON: here they are only
checked for presence.
"""

from __future__ import annotations

import math
from typing import Any

SHORT_TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 10_000


def _text(question: dict[str, Any], value: Any, limit: int) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, "must be text"
    value = value.strip()
    cap = question.get("max_length") or limit
    if len(value) > cap:
        return None, f"must be at most {cap} characters"
    return value, None


def _check(question: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    kind = question["type"]
    options = question.get("options") or []
    if kind == "short_text":
        return _text(question, value, SHORT_TEXT_LIMIT)
    if kind == "long_text":
        return _text(question, value, LONG_TEXT_LIMIT)
    if kind == "single_choice":
        if value not in options:
            return None, f"must be one of: {', '.join(options)}"
        return value, None
    if kind == "multi_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "must be a list of options"
        unknown = [v for v in value if v not in options]
        if unknown:
            return None, f"unknown options {unknown}; choose from: {', '.join(options)}"
        return list(dict.fromkeys(value)), None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None, "must be a number"
        low, high = question.get("min_value"), question.get("max_value")
        if low is not None and value < low:
            return None, f"must be at least {low:g}"
        if high is not None and value > high:
            return None, f"must be at most {high:g}"
        return value, None
    if kind == "yes_no":
        if not isinstance(value, bool):
            return None, "must be true or false"
        return value, None
    return None, "is answered with an uploaded file, not in the answers"


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def validate(
    form: list[dict[str, Any]], answers: dict[str, Any], uploaded: set[str]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The cleaned answers and the list of problems (empty when the answers are acceptable).

    ``uploaded`` holds the keys of file questions that came with a file part.
    """
    errors: list[dict[str, str]] = []
    cleaned: dict[str, Any] = {}
    known = {question["key"]: question for question in form}
    for key in sorted(set(answers) - set(known)):
        errors.append({"field": f"answers.{key}", "message": "is not a question of this job's form"})
    for key in sorted(uploaded - {k for k, q in known.items() if q["type"] == "file"}):
        errors.append({"field": f"files.{key}", "message": "is not a file question of this job's form"})
    for key, question in known.items():
        if question["type"] == "file":
            if key in answers:
                errors.append(
                    {"field": f"answers.{key}", "message": "is answered with an uploaded file part"}
                )
            elif question.get("required") and key not in uploaded:
                errors.append({"field": f"files.{key}", "message": "is required"})
            continue
        value = answers.get(key)
        if _blank(value):
            if question.get("required"):
                errors.append({"field": f"answers.{key}", "message": "is required"})
            continue
        checked, message = _check(question, value)
        if message is not None:
            errors.append({"field": f"answers.{key}", "message": message})
        else:
            cleaned[key] = checked
    return cleaned, errors
