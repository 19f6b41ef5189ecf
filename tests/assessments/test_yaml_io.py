"""Bank files as YAML: exact round trips, every problem located by item and field, hostile input."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from rolecall.assessments.items import ITEM_TYPES, parse_item
from rolecall.assessments.yaml_io import (
    HEADER,
    BankYamlError,
    dump_bank,
    load_bank,
    starter_bank,
)
from tests.assessments.test_items import document

# A small bank written the way a person would write it. Tests change one line at a time.
BANK = """\
# rolecall assessment items, format 1
items:
  - key: rest-idempotent-method
    skill: REST
    level: mid
    difficulty: 2
    type: single_choice
    prompt: |
      Which HTTP method is idempotent?
    options: [POST, PUT, PATCH]
    answer: 1
  - key: perf-latency-budget
    skill: Performance optimisation
    level: senior
    difficulty: 3
    type: numeric
    prompt: How long do three calls of 40, 25 and 35 ms take in sequence?
    answer: 100
    tolerance: 0.5
    unit: ms
  - key: redis-eviction-policies
    skill: Redis
    level: senior
    difficulty: 3
    type: multiple_choice
    prompt: Which of these are Redis eviction policies?
    options:
      - allkeys-lru
      - volatile-ttl
      - oldest-first
      - noeviction
    answers: [0, 1, 3]
"""


def _edit(old: str, new: str, text: str = BANK) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once in the bank"
    return text.replace(old, new)


def _error(text: str, **kwargs: Any) -> BankYamlError:
    with pytest.raises(BankYamlError) as info:
        load_bank(text, **kwargs)
    return info.value


def _fields(error: BankYamlError) -> list[str]:
    return [e["field"] for e in error.errors]


# --- reading and round trips -------------------------------------------------------------------


def test_a_hand_written_bank_loads() -> None:
    loaded = load_bank(BANK)
    assert [i.key for i in loaded] == [
        "rest-idempotent-method",
        "perf-latency-budget",
        "redis-eviction-policies",
    ]
    assert [i.skill_id for i in loaded] == ["rest", "performance-optimisation", "redis"]
    assert loaded[0].prompt == "Which HTTP method is idempotent?"


def test_every_type_round_trips_exactly() -> None:
    bank = [parse_item(document(kind)) for kind in ITEM_TYPES]
    text = dump_bank(bank)
    assert text.startswith(HEADER)
    assert load_bank(text) == bank
    assert dump_bank(load_bank(text)) == text


def test_the_export_leaves_out_derived_and_default_values_and_writes_blocks() -> None:
    sql = parse_item(document("sql", ordered=False))
    numeric = parse_item(document("numeric", tolerance=0.0, unit=None))
    text = dump_bank([sql, numeric])
    assert "skill_id" not in text
    assert "ordered" not in text
    assert "tolerance" not in text
    assert "null" not in text
    assert "schema: |\n" in text
    assert "schema_" not in text
    assert "{" not in text
    assert "[" not in text


def test_the_export_keeps_the_document_field_order() -> None:
    text = dump_bank([parse_item(document("single_choice"))])
    keys = list(yaml.safe_load(text)["items"][0])
    assert keys == [
        "key",
        "skill",
        "level",
        "difficulty",
        "type",
        "prompt",
        "explanation",
        "options",
        "answer",
    ]


def test_awkward_text_survives_the_round_trip() -> None:
    tricky = [
        ["no", "1e5", "2026-11-01", "12:30", "~"],
        ["yes: no", "#hash", "- dash", "line\u2028break", "é開"],
    ]
    bank = [
        parse_item(
            document(
                "single_choice",
                key=f"tricky-{i}",
                prompt="First: line\n\n  indented 'quoted' \"double\"\nlast",
                options=options,
                answer=3,
                explanation="no",
            )
        )
        for i, options in enumerate(tricky)
    ]
    text = dump_bank(bank)
    assert load_bank(text) == bank
    assert [i["options"] for i in yaml.safe_load(text)["items"]] == tricky  # any YAML 1.1 reader agrees


def test_a_missing_header_is_fine_and_an_unknown_version_is_refused() -> None:
    assert load_bank(BANK.split("\n", 1)[1]) == load_bank(BANK)
    error = _error(_edit("format 1", "format 2"))
    assert "unsupported bank format '2'" in str(error)
    assert (error.line, error.column) == (1, 1)


# --- validation errors, located by item and field --------------------------------------------------


def test_item_errors_name_the_item_index_key_and_field() -> None:
    text = _edit("    answer: 1\n", "    answer: 7\n")
    text = _edit("    unit: ms\n", "    unit: ms\n    colour: blue\n", text)
    error = _error(text)
    assert error.line is None
    assert _fields(error) == ["items.0.answer", "items.1.colour"]
    assert error.errors[0]["message"] == "item 'rest-idempotent-method': must be an index of options (0 to 2)"
    assert error.errors[1]["message"] == "item 'perf-latency-budget': Extra inputs are not permitted"
    for entry in error.errors:
        assert set(entry) == {"field", "message"}


def test_an_unknown_skill_names_the_field() -> None:
    error = _error(_edit("skill: Redis", "skill: Definitely not a skill zz"))
    assert _fields(error) == ["items.2.skill"]
    assert "not in the skills taxonomy" in error.errors[0]["message"]


def test_yes_and_no_are_text_and_floats_fail_whole_numbers() -> None:
    loaded = load_bank(_edit("    options: [POST, PUT, PATCH]\n", "    options: [no, yes, off]\n"))
    assert loaded[0].options == ["no", "yes", "off"]  # type: ignore[union-attr]
    error = _error(_edit("difficulty: 2", "difficulty: 2.0"))
    assert _fields(error) == ["items.0.difficulty"]
    error = _error(_edit("    answer: 1\n", "    answer: yes\n"))
    assert _fields(error) == ["items.0.answer"]


def test_an_item_without_a_key_is_still_located() -> None:
    error = _error(_edit("  - key: rest-idempotent-method\n", "  - \n"))
    assert error.errors[0]["field"].startswith("items.0")


def test_duplicate_item_keys_are_refused() -> None:
    error = _error(_edit("key: perf-latency-budget", "key: rest-idempotent-method"))
    assert error.errors == [
        {
            "field": "items.1.key",
            "message": "item 'rest-idempotent-method': the key is already used by items.0",
        }
    ]


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("items: []\n", "items", "at least one item"),
        ("items: {}\n", "items", "at least one item"),
        ("questions: []\n", "questions", "unknown field"),
    ],
)
def test_the_top_level_holds_one_items_list(text: str, field: str, words: str) -> None:
    error = _error(text)
    assert _fields(error)[0] == field
    assert words in error.errors[0]["message"]


@pytest.mark.parametrize(
    ("text", "kind"), [("", "an empty document"), ("- a\n", "a list"), ("words\n", "a str")]
)
def test_the_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    assert f"not {kind}" in str(_error(text))


# --- the same safe YAML rules as role profiles ---------------------------------------------------


def test_duplicate_mapping_keys_are_an_error_with_a_line() -> None:
    error = _error(_edit("    difficulty: 2\n", "    difficulty: 2\n    difficulty: 3\n"))
    assert "duplicate key 'difficulty'" in str(error)
    assert error.line == 7


def test_aliases_are_refused() -> None:
    error = _error(
        _edit("    options: [POST, PUT, PATCH]\n", "    options: &o [POST, PUT, PATCH]\n    x: *o\n")
    )
    assert "aliases" in str(error)
    assert "assessment banks" in str(error)


def test_python_tags_are_never_constructed() -> None:
    error = _error(_edit("skill: REST", "skill: !!python/object/apply:os.system ['true']"))
    assert "could not determine a constructor" in str(error)


def test_oversize_files_are_refused_before_parsing() -> None:
    limit = len(BANK.encode()) - 1
    assert f"larger than {limit} bytes" in str(_error(BANK, max_bytes=limit))
    assert load_bank(BANK, max_bytes=limit + 1)


def test_deep_nesting_is_refused() -> None:
    assert "nesting deeper" in str(_error("items: " + "[" * 40 + "]" * 40 + "\n"))


def test_syntax_errors_carry_a_line_and_column() -> None:
    error = _error(_edit("    options: [POST, PUT, PATCH]\n", "    options: [POST, PUT, PATCH\n"))
    assert error.line is not None
    assert error.column is not None
    assert _fields(error) == [""]


def test_more_than_one_document_is_refused() -> None:
    assert "more than one YAML document; a bank file is exactly one" in str(_error(BANK + "---\n" + BANK))


# --- the packaged starter bank ------------------------------------------------------------------


def test_the_starter_bank_loads_and_is_read_once() -> None:
    bank = starter_bank()
    assert bank
    assert len({i.key for i in bank}) == len(bank)
    assert starter_bank() == bank
    assert starter_bank() is not bank  # callers get their own list
    assert any(i.type == "sql" for i in bank)


def test_the_starter_bank_round_trips() -> None:
    bank = starter_bank()
    assert load_bank(dump_bank(bank)) == bank
