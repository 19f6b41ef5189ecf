"""Applying through the Greenhouse- and Lever-shaped routes, by the pipeline's one public apply door.

Each vendor's fields are translated into Rolecall's :class:`PublicApplication` and a multipart form
with the same part names the JSON route reads (``resume``, ``file_<question key>``), then handed to
:func:`rolecall.pipeline.intake.submit`, the function behind ``POST /v1/board/postings/{id}/applications``
and the apply page. So these routes count against the same per-address rate limit, validate answers
and consent the same way, store the same candidate and application, e-mail the status link to the
applicant and emit the same events; a second application of the same person gets the same
success-shaped answer, so neither route tells who applied where.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from rolecall.pipeline import applying, intake
from rolecall.pipeline.schemas import PublicApplication
from rolecall.platform.errors import Unprocessable

TRUE = {"1", "true", "yes", "on"}
MAX_FIELDS = 200


class Invalid(Exception):
    """The submission cannot be taken; ``problems`` are (vendor field name, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name} {message}" for name, message in problems))
        self.problems = problems


@dataclass
class Submission:
    """A vendor's submission translated: the application JSON and the files, by Rolecall part name."""

    application: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in TRUE


async def read_fields(request: Request) -> dict[str, Any]:
    """The request's fields: a JSON object, or a form (repeated names and ``name[]`` become lists)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Invalid([("body", "is not valid JSON")]) from exc
        if not isinstance(data, dict):
            raise Invalid([("body", "must be a JSON object")])
        return data
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form(max_files=intake.MAX_FORM_FILES, max_fields=MAX_FIELDS)
        out: dict[str, Any] = {}
        for key, value in form.multi_items():
            name = key.removesuffix("[]")
            if key.endswith("[]") or name in out:
                previous = out.get(name)
                listed = previous if isinstance(previous, list) else ([] if previous is None else [previous])
                out[name] = [*listed, value]
            else:
                out[name] = value
        return out
    raise Invalid(
        [("Content-Type", "must be multipart/form-data, application/x-www-form-urlencoded or JSON")]
    )


def present(value: Any) -> bool:
    """Whether a field was filled in: not absent, blank, an empty list or an empty file input."""
    if isinstance(value, UploadFile):
        return bool(value.filename or value.size)
    if isinstance(value, list):
        return any(present(item) for item in value)
    return value is not None and not (isinstance(value, str) and not value.strip())


def text(value: Any) -> str | None:
    """A text field's value, or None when absent or blank (files and lists are not text)."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


async def file_of(value: Any) -> tuple[str, bytes] | None:
    """An uploaded part as (file name, bytes); None for an empty file input."""
    if isinstance(value, UploadFile) and (value.filename or value.size):
        return value.filename or "upload", await value.read()
    return None


def decoded(name: str, value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid([(name, "is not base64")]) from exc


def _choice(question: Mapping[str, Any], value: Any) -> Any:
    """A choice answer given by index (Greenhouse's ``values``) or by the option's label."""
    options: list[str] = list(question.get("options") or [])
    if isinstance(value, str) and value in options:
        return value
    try:
        index = int(value)
    except (TypeError, ValueError):
        return value  # left for the form's own check to refuse with its message
    return options[index] if 0 <= index < len(options) else value


def answer(question: Mapping[str, Any], value: Any) -> Any:
    """A vendor's answer (form fields are strings) as the JSON value Rolecall's form check expects."""
    kind = question["type"]
    if kind == "single_choice":
        return _choice(question, value[0] if isinstance(value, list) and len(value) == 1 else value)
    if kind == "multi_choice":
        values = value if isinstance(value, list) else [value]
        return [_choice(question, v) for v in values]
    if kind == "yes_no":
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        return value
    if kind == "number":
        raw = text(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            number = float(raw) if raw is not None else None
        except ValueError:
            return value
        return int(number) if number is not None and number.is_integer() else number
    return text(value) if not isinstance(value, str) else value


def upload(name: str, data: bytes) -> UploadFile:
    return UploadFile(io.BytesIO(data), size=len(data), filename=name)


@dataclass(frozen=True)
class Outcome:
    application_id: uuid.UUID


async def form_of(session: AsyncSession, posting_id: uuid.UUID) -> dict[str, Any]:
    """The posting's application form (questions and the current consent version)."""
    return await applying.application_form(session, posting_id)


async def submit(
    request: Request, session: AsyncSession, posting_id: uuid.UUID, submission: Submission
) -> Outcome:
    """Apply through the pipeline's public door; Invalid for an application it refuses as invalid."""
    try:
        body = PublicApplication.model_validate(submission.application)
    except ValidationError as exc:
        raise Invalid([(p["field"], p["message"]) for p in intake.problems(exc)]) from exc
    parts: list[tuple[str, str | UploadFile]] = [
        (name, upload(filename, data)) for name, (filename, data) in submission.files.items()
    ]
    try:
        received = await intake.submit(request, session, posting_id, body, FormData(parts))
    except Unprocessable as exc:
        errors: Sequence[Mapping[str, str]] = exc.extra.get("errors") or []
        raise Invalid([(e["field"], e["message"]) for e in errors] or [("application", str(exc))]) from exc
    return Outcome(received.application_id)


async def check_rate(request: Request) -> None:
    """The public apply rate limit, counted per client address like the JSON route's."""
    await intake.check_rate(request)
