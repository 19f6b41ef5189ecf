"""The tag rule: what a candidate's tag may look like, so tags never carry personal data (ADR 0017).

Tags are stored in clear, because lists filter and show them without decrypting anything. So they
are labels from a small vocabulary, not free text: lowercase ASCII letters and digits in words
joined by single hyphens (``backend``, ``senior-go``, ``q3-2026``), at most :data:`MAX_LENGTH`
characters and at most :data:`MAX_DIGITS` digits. That leaves no room for an e-mail address
(``@``, ``.``), a phone number (seven digits or more), spaces, or a sentence about someone. Every
write path (API, CSV import, merges) checks this rule and refuses a bad tag with a 422 that names
it and, where one exists, the form it would take: nothing is rewritten silently.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MAX_LENGTH: Final = 40
MAX_DIGITS: Final = 6
MAX_TAGS: Final = 50
PATTERN: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
RULE: Final = (
    f"lowercase letters a-z and digits in words joined by single hyphens, at most {MAX_LENGTH} "
    f"characters and {MAX_DIGITS} digits"
)


def suggestion(value: str) -> str:
    """The tag ``value`` would become under the rule: lowercase, accents dropped, other characters as
    single hyphens, cut to the length limit (migration 0017 folds older tags the same way)."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    return folded[:MAX_LENGTH].rstrip("-")


def valid(value: str) -> bool:
    return (
        PATTERN.fullmatch(value) is not None
        and len(value) <= MAX_LENGTH
        and sum(c.isdigit() for c in value) <= MAX_DIGITS
    )


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid tag (with the valid form it suggests, if any), or None."""
    if valid(value):
        return None
    hint = suggestion(value)
    better = f"; did you mean {hint!r}?" if hint and valid(hint) else "."
    return f"tag {value!r} is not allowed: tags use {RULE}{better}"


def check(value: str) -> str:
    """Pydantic validator: the tag unchanged, or a ValueError saying what the rule is."""
    found = problem(value)
    if found is not None:
        raise ValueError(found)
    return value
