"""Turning refusals into messages next to form fields.

A page builds the same Pydantic body as the API and calls the same service, so it meets the same
two kinds of refusal: Pydantic's ``ValidationError`` and a service's ``Unprocessable`` problem with
``errors[]``. Both become one ``{field: message}`` dict for ``macros/forms.html``; field names are
the API's dotted paths (``salary.min``, ``answers.work_permit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from rolecall.platform.errors import ProblemError

_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def _message(text: str) -> str:
    for prefix in _PYDANTIC_PREFIXES:
        text = text.removeprefix(prefix)
    return text[:1].upper() + text[1:] if text else "This value is not valid."


def field_errors(exc: ValidationError | ProblemError, *, drop_prefix: str = "") -> dict[str, str]:
    """The first message per field; ``drop_prefix`` strips a wrapper such as ``application.``."""
    found: dict[str, str] = {}
    items: Iterable[dict[str, Any]]
    if isinstance(exc, ValidationError):
        items = (
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        )
    else:
        items = exc.extra.get("errors") or [{"field": "form", "message": exc.detail or exc.title}]
    for item in items:
        field = str(item.get("field") or "form").removeprefix(drop_prefix) or "form"
        found.setdefault(field, _message(str(item.get("message", ""))))
    return found
