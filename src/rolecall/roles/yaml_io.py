"""Role profiles as YAML: export for hand editing, import with strict, located error reports.

The JSON documents in the starter library stay the canonical storage; YAML is the format people
edit. Two functions, both pure:

* :func:`dump_profile` writes one profile as a block-style YAML document, keys in the model's field
  order, preceded by a comment naming the format version.
* :func:`load_profile` reads such a document back and validates it as a :class:`RoleProfile`.
  Every problem, whether a YAML syntax error or a failed validation, becomes one
  :class:`ProfileYamlError` listing ``{"field", "message"}`` entries.

Choices worth knowing when editing these files by hand:

* **Derived data is not written.** ``skill_id`` is filled from the skills taxonomy when a profile
  is validated, so the export leaves it out, together with every field that still holds its
  schema default. An edited file then cannot carry a stale ``skill_id`` that contradicts the
  skill's name, and ``load_profile(dump_profile(p)) == p`` still holds because validation puts
  the same values back.
* **The YAML rules are the platform's** (:mod:`rolecall.platform.safe_yaml`): YAML 1.2 core
  scalars (``no`` is a string, ``010`` is ten), the unquoted date ``2026-11-01`` kept because salary
  bands need a real date and the schema is strict, no aliases, no duplicate keys, nesting bounded by
  :data:`MAX_DEPTH`, only safe constructors, and an exporter that quotes every string another
  YAML reader could mistake for something else. Quote a value to force a string.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import ValidationError

from rolecall.platform import safe_yaml
from rolecall.roles.library.schema import RoleProfile

FORMAT_VERSION: Final = 1
HEADER: Final = f"# rolecall role profile, format {FORMAT_VERSION}\n"
MAX_BYTES: Final = 256_000
MAX_DEPTH: Final = 32  # a profile needs 6 levels; anything near this limit is not a profile

_HEADER_RE = re.compile(r"#\s*rolecall role profile, format (\S+)\s*$")

# Fields whose values validation derives; they are never exported (see the module docstring).
_DERIVED: Final[dict[str, Any]] = {
    "hard_skills": {"__all__": {"skill_id"}},
    "soft_skills": {"__all__": {"skill_id"}},
}


class ProfileYamlError(safe_yaml.DocumentError):
    """A YAML profile document could not be read or is not a valid role profile.

    ``errors`` lists every problem found. ``line`` and ``column`` (1-based) locate syntax-level
    problems in the text; they are ``None`` for validation errors, which ``field`` locates instead.
    """

    what = "role profile YAML"


# --- reading -----------------------------------------------------------------------------------


class _ProfileLoader(safe_yaml.SafeLoader):
    max_depth = MAX_DEPTH
    plural = "role profiles"
    singular = "a profile"


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def load_profile(text: str, *, max_bytes: int = MAX_BYTES) -> RoleProfile:
    """Parse and validate one YAML role profile; raise :class:`ProfileYamlError` on any problem."""
    if safe_yaml.too_large(text, max_bytes):
        raise ProfileYamlError.whole(f"document is larger than {max_bytes} bytes")
    version = safe_yaml.header_version(text, _HEADER_RE)
    if version is not None and version != str(FORMAT_VERSION):
        raise ProfileYamlError.whole(
            f"unsupported profile format {version!r}; this version reads format {FORMAT_VERSION}",
            line=1,
            column=1,
        )
    try:
        data = safe_yaml.parse_one(text, _ProfileLoader)
    except safe_yaml.YamlSyntaxError as exc:
        raise ProfileYamlError.whole(exc.message, line=exc.line, column=exc.column) from None
    if not isinstance(data, dict):
        kind = "an empty document" if data is None else f"a {type(data).__name__}"
        raise ProfileYamlError.whole(f"the top level must be a mapping of profile fields, not {kind}")
    try:
        return RoleProfile.model_validate(data)
    except ValidationError as exc:
        entries: list[safe_yaml.ErrorEntry] = [
            {"field": _field(err["loc"]), "message": _message(err["msg"])}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ProfileYamlError(entries) from None


# --- writing -----------------------------------------------------------------------------------


def dump_profile(profile: RoleProfile) -> str:
    """The profile as a YAML document that :func:`load_profile` reads back into an equal profile."""
    data = profile.model_dump(mode="python", exclude=_DERIVED, exclude_defaults=True)
    return HEADER + safe_yaml.dump(data)
