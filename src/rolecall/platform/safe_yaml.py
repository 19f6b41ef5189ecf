"""YAML that people edit by hand, read and written without surprises: one loader, one dumper.

Role profiles and assessment banks are both edited as YAML and imported from files that may come
from anywhere, so they share these rules rather than each inventing its own:

* **Plain scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 defaults.** Only
  ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off``, ``y``, ``n`` stay strings, so
  the country code ``NO`` is not ``False``). Only decimal digits make an integer (``010`` is ten,
  not eight; ``1:30`` is a string, not ninety; ``0x1F`` is a string). ``1e5`` is a float, as every
  YAML 1.2 tool reads it, so it fails a whole-number field loudly instead of slipping through as
  text. The one YAML 1.1 type kept is the unquoted date ``2026-11-01``, for schemas that need a
  real date and are strict. Quote a value to force a string.
* **No aliases, no duplicate keys, bounded nesting.** Aliases are rejected outright, which rules
  out "billion laughs" expansion; a repeated key is an error rather than a silent overwrite;
  nesting deeper than the loader's ``max_depth`` is an error rather than a ``RecursionError``.
* **Only safe constructors.** :class:`SafeLoader` subclasses PyYAML's ``SafeLoader``; it never
  builds Python objects from tags.
* **The dumper quotes more than it must.** Any string that a YAML 1.1 *or* 1.2 reader would take
  for something else (``"no"``, ``"1e5"``, ``"2026-11-01"``, ``"12:30"``) is quoted, so a file means
  the same thing to any other tool; multi-line text is written as a literal block.

Every problem surfaces as one :class:`YamlSyntaxError` with a 1-based line and column where the
text has one; callers wrap it in their own document error type.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date
from typing import Any, ClassVar, Self, TypedDict

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), minus octal and hex
# integers (never meaningful in a hand-edited document), plus unquoted ISO dates.
_CORE_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_CORE_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_CORE_INT = re.compile(r"^[-+]?[0-9]+$")
_CORE_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class YamlSyntaxError(ValueError):
    """The text is not YAML these rules accept. ``line`` and ``column`` are 1-based, or ``None``."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class SafeLoader(yaml.SafeLoader):
    """``SafeLoader`` with core-schema scalars, no aliases, no duplicate keys and a depth limit.

    Subclasses name their documents (``plural`` in the alias message, ``singular`` in the "more
    than one document" message) and may lower ``max_depth`` to what their format needs.
    """

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    max_depth: ClassVar[int] = 32
    plural: ClassVar[str] = "these documents"
    singular: ClassVar[str] = "a document"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(
                None,
                None,
                f"YAML aliases (*name) are not allowed in {self.plural}; write the value out",
                event.start_mark,
            )
        if self._depth >= self.max_depth:
            raise ComposerError(
                None,
                None,
                f"nesting deeper than {self.max_depth} levels",
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
    SafeLoader.add_implicit_resolver(_tag, _pattern, list(_first))
SafeLoader.add_constructor(_INT, SafeLoader.construct_decimal_int)
SafeLoader.add_constructor(_TIMESTAMP, SafeLoader.construct_iso_date)


def _syntax_error(exc: yaml.YAMLError, text: str) -> YamlSyntaxError:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{exc.context}: {message}"
        return YamlSyntaxError(message, line=mark.line + 1, column=mark.column + 1)
    if isinstance(exc, ReaderError):
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        return YamlSyntaxError(
            f"character U+{exc.character:04X} is not allowed in YAML"
            if isinstance(exc.character, int)
            else str(exc.reason),
            line=line,
            column=column,
        )
    return YamlSyntaxError(str(exc))


def _compose(text: str, loader_class: type[SafeLoader]) -> object:
    loader = loader_class(text)
    try:
        loader.get_event()  # type: ignore[no-untyped-call]  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        node = loader.compose_document()
        if not loader.check_event(yaml.StreamEndEvent):
            mark = loader.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise YamlSyntaxError(
                f"the text holds more than one YAML document; {loader.singular} is exactly one",
                line=mark.line + 1,
                column=mark.column + 1,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_one(text: str, loader_class: type[SafeLoader] = SafeLoader) -> object:
    """The one YAML document in ``text`` (``None`` when empty); :class:`YamlSyntaxError` otherwise."""
    try:
        return _compose(text, loader_class)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text) from None
    except RecursionError:  # defensive: max_depth should make this unreachable
        raise YamlSyntaxError("document is nested too deeply") from None


def too_large(text: str, max_bytes: int) -> bool:
    """Whether ``text`` exceeds ``max_bytes`` as UTF-8 (checked before any parsing)."""
    return len(text) > max_bytes or len(text.encode("utf-8")) > max_bytes  # the first test spares encoding


def header_version(text: str, pattern: re.Pattern[str]) -> str | None:
    """The format version a ``# ...`` header on the first line states, or ``None`` without one.

    ``pattern`` must match the whole first line and capture the version as group 1.
    """
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    match = pattern.match(first_line)
    return match.group(1) if match is not None else None


# --- writing -----------------------------------------------------------------------------------


class SafeDumper(yaml.SafeDumper):
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


SafeDumper.add_representer(str, _represent_str)
# The default resolvers already make the dumper quote every YAML 1.1 look-alike (yes/no/on/off,
# 0x1F, 010, 1:30, dates). These add what YAML 1.2 would read as a number but YAML 1.1 would not.
SafeDumper.add_implicit_resolver(_FLOAT, _CORE_FLOAT, list("-+.0123456789"))
SafeDumper.add_implicit_resolver(_INT, re.compile(r"^(?:0o[0-7]+|0x[0-9a-fA-F]+)$"), ["0"])


def dump(data: object) -> str:
    """``data`` as block-style YAML: keys in the given order, list items indented, 100 columns."""
    return yaml.dump(
        data,
        Dumper=SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=2,
        width=100,
    )


class ErrorEntry(TypedDict):
    """One problem in a document. ``field`` is a dotted path (``levels.1.scope``, ``items.3.options``);
    it is empty for problems that belong to the document as a whole (syntax errors, cross-field
    checks)."""

    field: str
    message: str


class DocumentError(ValueError):
    """A YAML document could not be read or is not valid; ``errors`` lists every problem found.

    ``line`` and ``column`` (1-based) locate syntax-level problems in the text; they are ``None`` for
    validation errors, which ``field`` locates instead. Subclasses name what kind of document it is.
    """

    what: ClassVar[str] = "YAML document"

    def __init__(
        self, errors: list[ErrorEntry], *, line: int | None = None, column: int | None = None
    ) -> None:
        self.errors = errors
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        summary = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        super().__init__(f"invalid {self.what}{where}: {summary}")

    @classmethod
    def whole(cls, message: str, *, line: int | None = None, column: int | None = None) -> Self:
        return cls([{"field": "", "message": message}], line=line, column=column)
