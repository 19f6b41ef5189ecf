"""Question banks as YAML: import with every problem located, export that reads back identically.

A bank file is one mapping with an ``items`` list, each entry an item document
(:mod:`rolecall.assessments.items`), preceded by the comment ``# rolecall assessment items,
format 1``. The YAML rules are the platform's (:mod:`rolecall.platform.safe_yaml`), the same as
for role profiles: YAML 1.2 core scalars, no aliases, no duplicate keys, bounded size and nesting,
only safe constructors.

Import is all or nothing, so :func:`load_bank` reports every problem of every item at once in one
:class:`BankYamlError`: ``field`` is a path from the top of the file (``items.3.answer``) and the
message names the item's key, which is what a person searches the file for.

Export leaves out what validation derives (``skill_id``) and every field still at its default, so
``load_bank(dump_bank(items)) == items`` and an edited file cannot carry a stale ``skill_id``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib import resources
from typing import Final

from pydantic import ValidationError

from rolecall.assessments.items import ItemContent, parse_item
from rolecall.platform import safe_yaml

FORMAT_VERSION: Final = 1
HEADER: Final = f"# rolecall assessment items, format {FORMAT_VERSION}\n"
MAX_BYTES: Final = 2_000_000  # SQL datasets make items large; a few hundred of them fit easily
MAX_ITEMS: Final = 2000
MAX_DEPTH: Final = 16  # the deepest item (datasets, rubric) needs 5

_HEADER_RE = re.compile(r"#\s*rolecall assessment items, format (\S+)\s*$")
_BANK_PACKAGE = "rolecall.assessments"
_BANK_DIR = "bank"


class BankYamlError(safe_yaml.DocumentError):
    """A bank file could not be read or holds invalid items; ``errors`` lists every problem.

    ``line`` and ``column`` (1-based) locate syntax-level problems; ``field`` locates the rest.
    """

    what = "assessment bank YAML"


class _BankLoader(safe_yaml.SafeLoader):
    max_depth = MAX_DEPTH
    plural = "assessment banks"
    singular = "a bank file"


def _item_errors(index: int, document: object, exc: ValidationError) -> list[safe_yaml.ErrorEntry]:
    key = document.get("key") if isinstance(document, dict) else None
    named = f"item {key!r}: " if isinstance(key, str) else ""
    return [
        {
            "field": ".".join(["items", str(index), *(str(part) for part in err["loc"])]),
            "message": named + err["msg"].removeprefix("Value error, "),
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]


def load_bank(text: str, *, max_bytes: int = MAX_BYTES) -> list[ItemContent]:
    """Parse and validate a bank file; :class:`BankYamlError` listing every problem otherwise."""
    if safe_yaml.too_large(text, max_bytes):
        raise BankYamlError.whole(f"the file is larger than {max_bytes} bytes")
    version = safe_yaml.header_version(text, _HEADER_RE)
    if version is not None and version != str(FORMAT_VERSION):
        raise BankYamlError.whole(
            f"unsupported bank format {version!r}; this version reads format {FORMAT_VERSION}",
            line=1,
            column=1,
        )
    try:
        data = safe_yaml.parse_one(text, _BankLoader)
    except safe_yaml.YamlSyntaxError as exc:
        raise BankYamlError.whole(exc.message, line=exc.line, column=exc.column) from None
    if not isinstance(data, dict):
        kind = "an empty document" if data is None else f"a {type(data).__name__}"
        raise BankYamlError.whole(f"the top level must be a mapping with an items list, not {kind}")
    extra = [str(k) for k in data if k != "items"]
    if extra:
        raise BankYamlError(
            [{"field": k, "message": "unknown field; a bank file has only items"} for k in extra]
        )
    documents = data.get("items")
    if not isinstance(documents, list) or not documents:
        raise BankYamlError([{"field": "items", "message": "must be a list of at least one item"}])
    if len(documents) > MAX_ITEMS:
        raise BankYamlError([{"field": "items", "message": f"at most {MAX_ITEMS} items in one file"}])
    items: list[ItemContent] = []
    errors: list[safe_yaml.ErrorEntry] = []
    first_seen: dict[str, int] = {}
    for index, document in enumerate(documents):
        try:
            item = parse_item(document)
        except ValidationError as exc:
            errors.extend(_item_errors(index, document, exc))
            continue
        if item.key in first_seen:
            errors.append(
                {
                    "field": f"items.{index}.key",
                    "message": f"item {item.key!r}: the key is already used by items.{first_seen[item.key]}",
                }
            )
        first_seen.setdefault(item.key, index)
        items.append(item)
    if errors:
        raise BankYamlError(errors)
    return items


def dump_bank(items: Sequence[ItemContent]) -> str:
    """The items as a bank file that :func:`load_bank` reads back into equal items."""
    data = {
        "items": [
            item.model_dump(mode="python", by_alias=True, exclude={"skill_id"}, exclude_defaults=True)
            for item in items
        ]
    }
    return HEADER + safe_yaml.dump(data)


@functools.cache
def _starter_bank() -> tuple[ItemContent, ...]:
    folder = resources.files(_BANK_PACKAGE).joinpath(_BANK_DIR)
    items: list[ItemContent] = []
    owner: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            loaded = load_bank(entry.read_text(encoding="utf-8"))
        except BankYamlError as exc:
            raise BankYamlError(
                [{"field": f"{entry.name}:{e['field']}", "message": e["message"]} for e in exc.errors],
                line=exc.line,
                column=exc.column,
            ) from None
        for item in loaded:
            if item.key in owner:
                raise BankYamlError.whole(f"key {item.key!r} is in both {owner[item.key]} and {entry.name}")
            owner[item.key] = entry.name
        items.extend(loaded)
    return tuple(items)


def starter_bank() -> list[ItemContent]:
    """Every item of the packaged bank files, in file then item order (read once per process)."""
    return list(_starter_bank())
