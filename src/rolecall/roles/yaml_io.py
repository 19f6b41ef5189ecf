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
* **Plain scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 defaults.** Only
  ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off``, ``y``, ``n`` stay strings, so
  the country code ``NO`` is not ``False``). Only decimal digits make an integer (``010`` is ten,
  not eight; ``1:30`` is a string, not ninety; ``0x1F`` is a string). ``1e5`` is a float, as every
  YAML 1.2 tool reads it, so it fails a whole-number field loudly instead of slipping through as
  text. The one YAML 1.1 type kept is the unquoted date ``2026-11-01``: salary bands need a real
  date and the schema is strict. Quote a value to force a string.
* **The exporter quotes more than it must.** Any string that a YAML 1.1 *or* 1.2 reader would
  take for something else (``"no"``, ``"1e5"``, ``"2026-11-01"``, ``"12:30"``) is quoted, so the
  file means the same thing to any other tool that reads it.
* **No aliases, no duplicate keys, bounded nesting.** Aliases are rejected outright, which rules
  out "billion laughs" expansion; a repeated key is an error rather than a silent overwrite;
  nesting deeper than :data:`MAX_DEPTH` is an error rather than a ``RecursionError``.
* **Only safe constructors.** The loader is a subclass of PyYAML's ``SafeLoader``; it never builds
  Python objects from tags. ``yaml.load`` with a full loader is not used anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date
from typing import Any, Final, TypedDict

import yaml
from pydantic import ValidationError
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

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


class ErrorEntry(TypedDict):
    """One problem in a profile document. ``field`` is a dotted path (``levels.1.scope``); it is
    empty for problems that belong to the document as a whole (syntax errors, cross-field checks)."""

    field: str
    message: str


class ProfileYamlError(ValueError):
    """A YAML profile document could not be read or is not a valid role profile.

    ``errors`` lists every problem found. ``line`` and ``column`` (1-based) locate syntax-level
    problems in the text; they are ``None`` for validation errors, which ``field`` locates instead.
    """

    def __init__(
        self, errors: list[ErrorEntry], *, line: int | None = None, column: int | None = None
    ) -> None:
        self.errors = errors
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        summary = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        super().__init__(f"invalid role profile YAML{where}: {summary}")

    @classmethod
    def whole(cls, message: str, *, line: int | None = None, column: int | None = None) -> ProfileYamlError:
        return cls([{"field": "", "message": message}], line=line, column=column)


# --- reading -----------------------------------------------------------------------------------

_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), minus octal and hex
# integers (never meaningful in a profile), plus unquoted ISO dates.
_CORE_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_CORE_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_CORE_INT = re.compile(r"^[-+]?[0-9]+$")
_CORE_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class _ProfileLoader(yaml.SafeLoader):
    """``SafeLoader`` with core-schema scalars, no aliases, no duplicate keys and a depth limit."""

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(
                None,
                None,
                "YAML aliases (*name) are not allowed in role profiles; write the value out",
                event.start_mark,
            )
        if self._depth >= MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"nesting deeper than {MAX_DEPTH} levels",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):
                if key in seen:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_decimal_int(self, node: yaml.Node) -> int:
        value = self.construct_scalar(node)  # type: ignore[arg-type]
        try:
            return int(str(value), 10)
        except ValueError:
            raise ConstructorError(
                None, None, f"expected a decimal integer, found {value!r}", node.start_mark
            ) from None

    def construct_iso_date(self, node: yaml.Node) -> date:
        value = str(self.construct_scalar(node))  # type: ignore[arg-type]
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ConstructorError(
                None, None, f"{value!r} is not a valid date (YYYY-MM-DD)", node.start_mark
            ) from None


for _tag, _pattern, _first in (
    (_BOOL, _CORE_BOOL, "tTfF"),
    (_NULL, _CORE_NULL, ["~", "n", "N", ""]),
    (_INT, _CORE_INT, "-+0123456789"),
    (_FLOAT, _CORE_FLOAT, "-+.0123456789"),
    (_TIMESTAMP, _ISO_DATE, "0123456789"),
):
    _ProfileLoader.add_implicit_resolver(_tag, _pattern, list(_first))
_ProfileLoader.add_constructor(_INT, _ProfileLoader.construct_decimal_int)
_ProfileLoader.add_constructor(_TIMESTAMP, _ProfileLoader.construct_iso_date)


def _syntax_error(exc: yaml.YAMLError, text: str) -> ProfileYamlError:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{exc.context}: {message}"
        return ProfileYamlError.whole(message, line=mark.line + 1, column=mark.column + 1)
    if isinstance(exc, ReaderError):
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        return ProfileYamlError.whole(
            f"character U+{exc.character:04X} is not allowed in YAML"
            if isinstance(exc.character, int)
            else str(exc.reason),
            line=line,
            column=column,
        )
    return ProfileYamlError.whole(str(exc))


def _parse(text: str) -> object:
    loader = _ProfileLoader(text)
    try:
        loader.get_event()  # type: ignore[no-untyped-call]  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        node = loader.compose_document()
        if not loader.check_event(yaml.StreamEndEvent):
            mark = loader.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise ProfileYamlError.whole(
                "the text holds more than one YAML document; a profile is exactly one",
                line=mark.line + 1,
                column=mark.column + 1,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def load_profile(text: str, *, max_bytes: int = MAX_BYTES) -> RoleProfile:
    """Parse and validate one YAML role profile; raise :class:`ProfileYamlError` on any problem."""
    if len(text) > max_bytes or len(text.encode("utf-8")) > max_bytes:  # the first test spares encoding
        raise ProfileYamlError.whole(f"document is larger than {max_bytes} bytes")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    header = _HEADER_RE.match(first_line)
    if header is not None and header.group(1) != str(FORMAT_VERSION):
        raise ProfileYamlError.whole(
            f"unsupported profile format {header.group(1)!r}; this version reads format {FORMAT_VERSION}",
            line=1,
            column=1,
        )
    try:
        data = _parse(text)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text) from None
    except RecursionError:  # defensive: MAX_DEPTH should make this unreachable
        raise ProfileYamlError.whole("document is nested too deeply") from None
    if not isinstance(data, dict):
        kind = "an empty document" if data is None else f"a {type(data).__name__}"
        raise ProfileYamlError.whole(f"the top level must be a mapping of profile fields, not {kind}")
    try:
        return RoleProfile.model_validate(data)
    except ValidationError as exc:
        entries: list[ErrorEntry] = [
            {"field": _field(err["loc"]), "message": _message(err["msg"])}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ProfileYamlError(entries) from None


# --- writing -----------------------------------------------------------------------------------


class _ProfileDumper(yaml.SafeDumper):
    """``SafeDumper`` that indents list items, never emits aliases and quotes ambiguous strings."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# YAML also breaks lines at NEL, LS and PS; outside double quotes (where the emitter escapes them)
# a reader would turn them into line breaks or spaces.
_UNICODE_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if not _UNICODE_BREAKS.isdisjoint(value):
        style = '"'
    elif "\n" in value:
        # Multi-line text reads best as a literal block; the emitter falls back to quotes if the
        # text cannot be written that way exactly.
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ProfileDumper.add_representer(str, _represent_str)
# The default resolvers already make the dumper quote every YAML 1.1 look-alike (yes/no/on/off,
# 0x1F, 010, 1:30, dates). These add what YAML 1.2 would read as a number but YAML 1.1 would not.
_ProfileDumper.add_implicit_resolver(_FLOAT, _CORE_FLOAT, list("-+.0123456789"))
_ProfileDumper.add_implicit_resolver(_INT, re.compile(r"^(?:0o[0-7]+|0x[0-9a-fA-F]+)$"), ["0"])


def dump_profile(profile: RoleProfile) -> str:
    """The profile as a YAML document that :func:`load_profile` reads back into an equal profile."""
    data = profile.model_dump(mode="python", exclude=_DERIVED, exclude_defaults=True)
    body = yaml.dump(
        data,
        Dumper=_ProfileDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=2,
        width=100,
    )
    return HEADER + body
