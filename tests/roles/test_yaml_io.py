"""Role profiles to and from YAML: exact round trips, YAML 1.1 traps, hostile input, located errors."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
import yaml

from rolecall.roles.library import RoleProfile, load_library
from rolecall.roles.yaml_io import HEADER, MAX_DEPTH, ProfileYamlError, dump_profile, load_profile

# A small valid profile, written the way a person would write it. Tests change one line at a time.
MINIMAL = """\
id: test-engineer
title: Test Engineer
job_family:
  - Engineering
soc_code: 15-1252.00
summary: A profile used by the tests.
responsibilities:
  primary:
    - Write software
hard_skills:
  - name: Postgres
    must_have: true
    proficiency:
      mid: 3
      senior: 4
education:
  minimum: None required
experience_years:
  min: 2
  max: 10
typical_team_size:
  min: 3
  max: 6
levels:
  - name: mid
    experience_years: {min: 2, max: 5}
    scope: A feature
  - name: senior
    experience_years: {min: 5, max: 10}
    scope: A service
salary_bands:
  - level: senior
    location: Berlin
    currency: EUR
    min: 70000
    max: 95000
    source: test
    as_of: 2026-11-01
"""


def _edit(old: str, new: str, text: str = MINIMAL) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once in the document"
    return text.replace(old, new)


def _errors(text: str, **kwargs: Any) -> ProfileYamlError:
    with pytest.raises(ProfileYamlError) as info:
        load_profile(text, **kwargs)
    return info.value


def _fields(error: ProfileYamlError) -> list[str]:
    return [e["field"] for e in error.errors]


def _profile(**overrides: Any) -> RoleProfile:
    data = load_profile(MINIMAL).model_dump()
    data.update(overrides)
    return RoleProfile.model_validate(data)


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", list(load_library()), ids=lambda p: p.id)
def test_every_starter_profile_round_trips_exactly(profile: RoleProfile) -> None:
    text = dump_profile(profile)
    assert load_profile(text) == profile
    assert dump_profile(load_profile(text)) == text


def test_the_minimal_document_loads_with_derived_and_default_values_filled_in() -> None:
    profile = load_profile(MINIMAL)
    assert profile.hard_skills[0].skill_id == "postgresql"
    assert profile.salary_bands[0].as_of == date(2026, 11, 1)
    assert profile.responsibilities.secondary == []
    assert profile.levels[1].direct_reports is None


def test_export_starts_with_the_format_comment_and_keeps_the_model_field_order() -> None:
    profile = load_library().get("backend-engineer")
    text = dump_profile(profile)
    assert text.startswith("# rolecall role profile, format 1\n")
    assert text.startswith(HEADER)
    top_level = [line.split(":", 1)[0] for line in text.splitlines()[1:] if line[:1].isalpha()]
    assert top_level == [name for name in RoleProfile.model_fields if name in top_level]
    assert top_level[:3] == ["id", "title", "job_family"]
    assert "salary_bands" in top_level


def test_export_is_block_style_with_indented_lists() -> None:
    text = dump_profile(load_profile(MINIMAL))
    assert "{" not in text
    assert "[" not in text
    assert "job_family:\n  - Engineering\n" in text
    assert "as_of: 2026-11-01\n" in text  # a real date, not a quoted string


def test_export_leaves_out_derived_skill_ids_and_default_values() -> None:
    profile = load_library().get("backend-engineer")
    assert all(s.skill_id for s in profile.skills)
    text = dump_profile(profile)
    assert "skill_id" not in text
    assert "null" not in text
    minimal = dump_profile(load_profile(MINIMAL))
    assert "secondary" not in minimal
    assert "career_paths" not in minimal


def test_a_stated_skill_id_that_contradicts_the_name_is_still_rejected() -> None:
    text = _edit("  - name: Postgres\n", "  - name: Postgres\n    skill_id: mysql\n")
    error = _errors(text)
    assert _fields(error) == ["hard_skills.0"]
    assert "resolves to 'postgresql'" in error.errors[0]["message"]


def test_non_ascii_text_is_written_as_is() -> None:
    profile = _profile(title="Développeuse · 開発者")
    text = dump_profile(profile)
    assert "title: Développeuse · 開発者\n" in text
    assert load_profile(text) == profile


def test_strings_that_look_like_other_types_are_quoted_and_survive() -> None:
    tricky = [
        "no",
        "NO",
        "Yes",
        "off",
        "y",
        "~",
        "null",
        "true",
        "1e5",
        "1.5e3",
        "010",
        "0x1F",
        "0o17",
        "12:30",
    ]
    profile = _profile(
        title="no",
        job_family=tricky,
        tools={"misc": tricky},
        salary_bands=[
            {**load_profile(MINIMAL).salary_bands[0].model_dump(), "location": "NO", "source": "2026-01-01"}
        ],
    )
    text = dump_profile(profile)
    assert "title: 'no'\n" in text
    assert "location: 'NO'\n" in text
    assert "  - '1e5'\n" in text
    assert "source: '2026-01-01'\n" in text
    assert load_profile(text) == profile
    # Any YAML 1.1 reader (PyYAML's defaults) reads the export the same way.
    assert yaml.safe_load(text)["job_family"] == tricky


def test_multi_line_text_is_written_as_a_literal_block_and_survives() -> None:
    profile = _profile(summary="First paragraph.\n\nSecond: with a colon, and 'quotes'.")
    text = dump_profile(profile)
    assert "summary: |-\n" in text
    assert load_profile(text) == profile


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
def test_unicode_line_separators_inside_text_survive(char: str) -> None:
    # YAML treats NEL, LS and PS as line breaks; written raw they would come back as spaces.
    profile = _profile(title=f"Back{char}End", summary=f"One{char}two\nthree")
    assert load_profile(dump_profile(profile)) == profile


def test_random_awkward_text_round_trips() -> None:
    pieces = [
        *"\x85\u2028\ufeff\x07\t\n\r ab:#-'\"\\?&*!|>%@`{}[],.é開\u00a0",
        "yes",
        "1e5",
        "~",
        ": ",
        " #",
        "---",
    ]
    rng = random.Random(4287)
    base = load_profile(MINIMAL).model_dump()
    checked = 0
    for _ in range(150):
        texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 60))).strip() for _ in range(3)]
        if not all(texts):
            continue
        profile = RoleProfile.model_validate({**base, "title": texts[0], "job_family": texts[1:]})
        assert load_profile(dump_profile(profile)) == profile, repr(texts)
        checked += 1
    assert checked > 120


# --- YAML 1.1 traps -----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO"])
def test_yes_no_on_off_are_not_booleans(word: str) -> None:
    error = _errors(_edit("must_have: true", f"must_have: {word}"))
    assert _fields(error) == ["hard_skills.0.must_have"]
    assert "valid boolean" in error.errors[0]["message"]


@pytest.mark.parametrize("word", ["true", "True", "TRUE", "false", "False", "FALSE"])
def test_true_and_false_in_any_core_spelling_are_booleans(word: str) -> None:
    profile = load_profile(_edit("must_have: true", f"must_have: {word}"))
    assert profile.hard_skills[0].must_have is (word.lower() == "true")


@pytest.mark.parametrize("word", ["NO", "No", "no", "on", "Off", "Y"])
def test_norway_and_other_yes_no_words_stay_strings_in_text_fields(word: str) -> None:
    profile = load_profile(_edit("location: Berlin", f"location: {word}"))
    assert profile.salary_bands[0].location == word
    assert load_profile(_edit("title: Test Engineer", f"title: {word}")).title == word


def test_a_leading_zero_integer_is_decimal_not_octal() -> None:
    profile = load_profile(_edit("  max: 10\n", "  max: 010\n"))
    assert profile.experience_years.max == 10


@pytest.mark.parametrize("value", ["1:30", "0x1F", "0o17", "0b101", "1_000"])
def test_non_decimal_integer_spellings_are_strings_and_fail_integer_fields(value: str) -> None:
    error = _errors(_edit("  max: 10\n", f"  max: {value}\n"))
    assert _fields(error) == ["experience_years.max"]
    assert "valid integer" in error.errors[0]["message"]


def test_sexagesimal_looking_text_stays_text() -> None:
    assert load_profile(_edit("title: Test Engineer", "title: 12:30")).title == "12:30"


@pytest.mark.parametrize("value", ["1e5", "1.0e+5", "95000.0", ".inf", ".nan"])
def test_floats_fail_whole_number_fields_loudly(value: str) -> None:
    error = _errors(_edit("max: 95000", f"max: {value}"))
    assert _fields(error) == ["salary_bands.0.max"]
    assert "valid integer" in error.errors[0]["message"]


def test_a_float_looking_title_must_be_quoted() -> None:
    error = _errors(_edit("title: Test Engineer", "title: 1e5"))
    assert _fields(error) == ["title"]
    assert load_profile(_edit("title: Test Engineer", "title: '1e5'")).title == "1e5"


def test_a_quoted_date_is_rejected_because_the_schema_is_strict() -> None:
    error = _errors(_edit("as_of: 2026-11-01", "as_of: '2026-11-01'"))
    assert _fields(error) == ["salary_bands.0.as_of"]
    assert "valid date" in error.errors[0]["message"]


def test_a_timestamp_is_not_a_date() -> None:
    error = _errors(_edit("as_of: 2026-11-01", "as_of: 2026-11-01T10:00:00Z"))
    assert _fields(error) == ["salary_bands.0.as_of"]


def test_an_impossible_date_is_a_located_error() -> None:
    error = _errors(_edit("as_of: 2026-11-01", "as_of: 2026-13-01"))
    assert "not a valid date" in str(error)
    assert error.line == MINIMAL.splitlines().index("    as_of: 2026-11-01") + 1
    assert error.column == len("    as_of: ") + 1


def test_tilde_and_null_are_null() -> None:
    for spelling in ("~", "null", ""):
        text = _edit("  minimum: None required\n", f"  minimum: None required\n  preferred: {spelling}\n")
        assert load_profile(text).education.preferred is None


# --- hostile and malformed input ----------------------------------------------------------------


def test_oversize_input_is_rejected_before_parsing() -> None:
    error = _errors(MINIMAL + "#" * 300_000)
    assert "larger than 256000 bytes" in str(error)
    assert load_profile(MINIMAL, max_bytes=len(MINIMAL)) == load_profile(MINIMAL)
    _errors(MINIMAL, max_bytes=len(MINIMAL) - 1)


def test_the_size_limit_counts_utf8_bytes_not_characters() -> None:
    text = _edit("title: Test Engineer", "title: " + "é" * 100)
    limit = len(text) + 50  # enough characters, not enough bytes
    assert len(text) <= limit < len(text.encode("utf-8"))
    error = _errors(text, max_bytes=limit)
    assert "larger than" in str(error)


def test_billion_laughs_is_refused_at_the_first_alias() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    error = _errors("\n".join(lines) + "\n")
    assert "aliases" in str(error)
    assert error.line == 2


def test_a_single_harmless_alias_is_refused_too() -> None:
    text = _edit("  - Engineering\n", "  - &family Engineering\n  - *family\n")
    error = _errors(text)
    assert "aliases" in str(error)


def test_a_merge_key_is_not_interpreted() -> None:
    text = _edit("education:\n", "education:\n  <<: {preferred: A degree}\n")
    error = _errors(text)
    assert _fields(error) == ["education.<<"]


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    error = _errors(deep)
    assert "nesting deeper" in str(error)
    very_deep = "[" * 100_000 + "]" * 100_000
    assert "nesting deeper" in str(_errors(very_deep))


def test_duplicate_keys_are_an_error_not_a_silent_overwrite() -> None:
    text = _edit("title: Test Engineer\n", "title: Test Engineer\ntitle: Other\n")
    error = _errors(text)
    assert "duplicate key 'title'" in str(error)
    assert error.line == 3


def test_duplicate_keys_in_nested_mappings_are_caught() -> None:
    error = _errors(_edit("      senior: 4\n", "      senior: 4\n      mid: 2\n"))
    assert "duplicate key 'mid'" in str(error)


def test_python_tags_are_never_constructed() -> None:
    text = _edit("title: Test Engineer", "title: !!python/object/apply:os.system ['true']")
    error = _errors(text)
    assert "could not determine a constructor" in str(error)
    assert error.line == 2


def test_more_than_one_document_is_rejected() -> None:
    error = _errors(MINIMAL + "---\n" + MINIMAL)
    assert "more than one YAML document" in str(error)
    assert error.line == MINIMAL.count("\n") + 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [("", "an empty document"), ("# only a comment\n", "an empty document"), ("- a\n- b\n", "a list")],
)
def test_the_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    error = _errors(text)
    assert f"must be a mapping of profile fields, not {kind}" in str(error)


def test_a_scalar_document_is_not_a_profile() -> None:
    assert "not a str" in str(_errors("just words\n"))


def test_syntax_errors_carry_line_and_column() -> None:
    text = _edit("  - Engineering\n", "  - [Engineering\n")
    error = _errors(text)
    assert error.line == 5
    assert error.column is not None
    assert error.errors[0]["field"] == ""
    assert "flow sequence" in error.errors[0]["message"]


def test_control_characters_are_a_located_error() -> None:
    error = _errors(_edit("title: Test Engineer", "title: Test\x07Engineer"))
    assert "U+0007" in str(error)
    assert (error.line, error.column) == (2, len("title: Test") + 1)


def test_an_unknown_format_version_is_rejected_and_a_missing_header_is_fine() -> None:
    assert load_profile(HEADER + MINIMAL) == load_profile(MINIMAL)
    error = _errors("# rolecall role profile, format 2\n" + MINIMAL)
    assert "unsupported profile format '2'" in str(error)


# --- validation errors --------------------------------------------------------------------------


def test_validation_errors_are_listed_with_dotted_field_paths() -> None:
    text = _edit("    scope: A service\n", "    scope: A service\n    colour: blue\n")
    text = _edit("experience_years: {min: 2, max: 5}", "experience_years: {min: -1, max: 5}", text)
    text = _edit("soc_code: 15-1252.00", "soc_code: 15-1252", text)
    error = _errors(text)
    assert isinstance(error, ValueError)
    assert error.line is None
    assert sorted(_fields(error)) == ["levels.0.experience_years.min", "levels.1.colour", "soc_code"]
    for entry in error.errors:
        assert set(entry) == {"field", "message"}
        assert entry["message"]
    assert "levels.1.colour: Extra inputs are not permitted" in str(error)


def test_document_level_checks_have_an_empty_field_and_a_readable_message() -> None:
    text = _edit("      mid: 3\n", "      mid: 3\n      junior: 1\n")
    error = _errors(text)
    assert _fields(error) == [""]
    message = error.errors[0]["message"]
    assert message.startswith("skill 'Postgres' gives a proficiency for level(s) junior")
    assert not message.startswith("Value error")


def test_a_wrong_type_names_the_field() -> None:
    error = _errors(_edit("min: 70000", "min: '70000'"))
    assert _fields(error) == ["salary_bands.0.min"]
