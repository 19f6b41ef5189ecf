"""Item documents: every type validates, every refusal names its field, candidates see no answers.

``DOCUMENTS`` and :func:`document` are the valid item of each type that the other pure assessment
tests change one field at a time.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from rolecall.assessments import items
from rolecall.assessments.items import ITEM_TYPES, candidate_view, display_order, parse_item, skill_id_of

SCHEMA = "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total NUMERIC NOT NULL);\n"

DOCUMENTS: dict[str, dict[str, Any]] = {
    "single_choice": {
        "key": "rest-idempotent-method",
        "skill": "REST",
        "level": "mid",
        "difficulty": 2,
        "type": "single_choice",
        "prompt": "Which HTTP method is idempotent?",
        "explanation": "Repeating a PUT leaves the resource in the same state.",
        "options": ["POST", "PUT", "PATCH"],
        "answer": 1,
    },
    "multiple_choice": {
        "key": "redis-eviction-policies",
        "skill": "Redis",
        "level": "senior",
        "difficulty": 3,
        "type": "multiple_choice",
        "prompt": "Which of these are Redis eviction policies?",
        "options": ["allkeys-lru", "volatile-ttl", "oldest-first", "noeviction"],
        "answers": [0, 1, 3],
    },
    "numeric": {
        "key": "perf-latency-budget",
        "skill": "Performance optimisation",
        "level": "senior",
        "difficulty": 3,
        "type": "numeric",
        "prompt": "Three sequential calls take 40 ms, 25 ms and 35 ms. How long does the request take?",
        "answer": 100.0,
        "tolerance": 0.5,
        "unit": "ms",
    },
    "ordering": {
        "key": "oauth2-code-flow-steps",
        "skill": "OAuth2",
        "level": "mid",
        "difficulty": 2,
        "type": "ordering",
        "prompt": "Put the steps of the authorization code flow in order.",
        "options": [
            "The client redirects the user to the authorization server",
            "The user signs in and consents",
            "The authorization server redirects back with a code",
            "The client exchanges the code for tokens",
        ],
    },
    "short_text": {
        "key": "design-rate-limiter",
        "skill": "System design",
        "level": "lead",
        "difficulty": 4,
        "type": "short_text",
        "prompt": "Describe how you would rate-limit an API served by many instances.",
        "rubric": [
            {"criterion": "Shared counter store", "points": 3},
            {"criterion": "Algorithm named and justified", "points": 2},
        ],
        "model_answer": "A token bucket per client kept in Redis, updated atomically.",
        "max_length": 1500,
    },
    "sql": {
        "key": "sql-total-per-customer",
        "skill": "SQL",
        "level": "mid",
        "difficulty": 2,
        "type": "sql",
        "prompt": "Return each customer with the sum of their order totals as total.",
        "schema": SCHEMA,
        "datasets": [
            {
                "name": "two-customers",
                "sql": "INSERT INTO orders VALUES (1, 'ada', 10), (2, 'ada', 5), (3, 'bo', 7);\n",
            },
            {"name": "one-order", "sql": "INSERT INTO orders VALUES (1, 'cy', 3);\n"},
        ],
        "solution": "SELECT customer, SUM(total) AS total FROM orders GROUP BY customer",
        "example_rows": "customer | total\n---------+------\nada      | 15",
    },
}

HIDDEN = {
    "answer",
    "answers",
    "explanation",
    "rubric",
    "model_answer",
    "datasets",
    "solution",
    "key",
    "tolerance",
}


def document(kind: str, **changes: Any) -> dict[str, Any]:
    """A deep copy of the valid ``kind`` document with ``changes`` applied (``None`` removes a field)."""
    doc = copy.deepcopy(DOCUMENTS[kind])
    for name, value in changes.items():
        if value is None:
            doc.pop(name, None)
        else:
            doc[name] = value
    return doc


def errors(doc: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        parse_item(doc)
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in info.value.errors()]


def fields(doc: object) -> list[str]:
    return [field for field, _ in errors(doc)]


# --- valid documents ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ITEM_TYPES)
def test_every_type_parses_and_resolves_its_skill(kind: str) -> None:
    item = parse_item(document(kind))
    assert item.type == kind
    assert item.skill_id == skill_id_of(DOCUMENTS[kind]["skill"])
    assert item.skill_id


@pytest.mark.parametrize("kind", ITEM_TYPES)
def test_the_stored_json_parses_back_to_the_same_item(kind: str) -> None:
    item = parse_item(document(kind))
    stored = item.model_dump(mode="json", exclude_none=True)
    assert stored["skill_id"] == item.skill_id
    assert parse_item(stored) == item


def test_sql_items_store_their_schema_under_the_document_name() -> None:
    stored = parse_item(document("sql")).model_dump(mode="json")
    assert stored["schema"] == SCHEMA
    assert "schema_" not in stored


def test_defaults_fill_in() -> None:
    numeric = parse_item(document("numeric", tolerance=None, unit=None))
    assert isinstance(numeric, items.Numeric)
    assert (numeric.tolerance, numeric.unit) == (0.0, None)
    short = parse_item(document("short_text", max_length=None, model_answer=None))
    assert isinstance(short, items.ShortText)
    assert short.max_length == 2000
    assert short.total_points == 5
    sql = parse_item(document("sql"))
    assert isinstance(sql, items.Sql)
    assert sql.ordered is False


def test_text_is_trimmed_but_inner_newlines_are_kept() -> None:
    item = parse_item(document("single_choice", prompt="  First line.\n\nSecond line.\n"))
    assert item.prompt == "First line.\n\nSecond line."


def test_skill_names_and_ids_resolve() -> None:
    assert skill_id_of("Postgres") == "postgresql"
    assert skill_id_of("postgresql") == "postgresql"
    assert skill_id_of("certainly not a skill zzz") is None


# --- refusals, each naming its field ---------------------------------------------------------------


def test_an_unknown_skill_is_refused_naming_the_field() -> None:
    found = errors(document("single_choice", skill="Underwater basket weaving zzz"))
    assert found == [
        ("skill", "Value error, skill 'Underwater basket weaving zzz' is not in the skills taxonomy")
    ]


def test_a_stated_skill_id_must_agree_with_the_taxonomy() -> None:
    assert (
        parse_item(document("single_choice", skill="Postgres", skill_id="postgresql")).skill_id
        == "postgresql"
    )
    found = errors(document("single_choice", skill="Postgres", skill_id="mysql"))
    assert found[0][0] == "skill_id"
    assert "resolves to 'postgresql'" in found[0][1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key": "Not A Slug"}, "key"),
        ({"key": "a" * 81}, "key"),
        ({"level": "expert"}, "level"),
        ({"difficulty": 6}, "difficulty"),
        ({"difficulty": 0}, "difficulty"),
        ({"difficulty": "2"}, "difficulty"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"explanation": "x" * 2001}, "explanation"),
        ({"colour": "blue"}, "colour"),
        ({"options": ["only one"]}, "options"),
        ({"options": [str(i) for i in range(9)]}, "options"),
        ({"options": ["POST", "", "PATCH"]}, "options.1"),
        ({"answer": True}, "answer"),
    ],
)
def test_single_choice_field_errors(change: dict[str, Any], field: str) -> None:
    assert fields(document("single_choice", **change)) == [field]


def test_the_answer_must_be_an_index_of_the_options() -> None:
    assert errors(document("single_choice", answer=3)) == [("answer", "must be an index of options (0 to 2)")]
    assert fields(document("single_choice", answer=-1)) == ["answer"]


def test_options_must_differ_even_in_case_and_every_problem_is_listed() -> None:
    found = errors(document("single_choice", options=["PUT", "put", "POST"], answer=5))
    assert found == [
        ("options", "options must differ: 'put' appears twice"),
        ("answer", "must be an index of options (0 to 2)"),
    ]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([0, 0], "each answer index may appear once"),
        ([0, 4], "4 is not an index of options (0 to 3)"),
        ([0, 1, 2, 3], "must leave at least one option wrong"),
    ],
)
def test_multiple_choice_answers(answers: list[int], message: str) -> None:
    assert errors(document("multiple_choice", answers=answers)) == [("answers", message)]


def test_multiple_choice_needs_three_options_and_an_answer() -> None:
    assert fields(document("multiple_choice", options=["a", "b"], answers=[0])) == ["options"]
    assert fields(document("multiple_choice", answers=[])) == ["answers"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answer": float("nan")}, "answer"),
        ({"answer": float("inf")}, "answer"),
        ({"answer": "100"}, "answer"),
        ({"tolerance": -0.1}, "tolerance"),
        ({"unit": ""}, "unit"),
    ],
)
def test_numeric_field_errors(change: dict[str, Any], field: str) -> None:
    assert fields(document("numeric", **change)) == [field]


def test_numeric_answers_may_be_written_as_whole_numbers() -> None:
    item = parse_item(document("numeric", answer=100))
    assert isinstance(item, items.Numeric)
    assert item.answer == 100.0


@pytest.mark.parametrize(
    "options",
    [["a", "b"], [str(i) for i in range(9)], ["first", "second", "First"]],
)
def test_ordering_needs_three_to_eight_distinct_options(options: list[str]) -> None:
    assert fields(document("ordering", options=options)) == ["options"]


def test_ordering_has_no_separate_answer_field() -> None:
    assert fields(document("ordering", answer=[0, 1, 2, 3])) == ["answer"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rubric": []}, "rubric"),
        ({"rubric": [{"criterion": "c", "points": 11}]}, "rubric.0.points"),
        ({"rubric": [{"criterion": "c", "points": 0}]}, "rubric.0.points"),
        ({"rubric": [{"criterion": "c", "points": 1, "note": "x"}]}, "rubric.0.note"),
        ({"rubric": [{"criterion": "Same", "points": 1}, {"criterion": "same", "points": 2}]}, "rubric"),
        ({"rubric": [{"criterion": f"c{i}", "points": 1} for i in range(9)]}, "rubric"),
        ({"max_length": 0}, "max_length"),
        ({"answer": "anything"}, "answer"),
    ],
)
def test_short_text_field_errors(change: dict[str, Any], field: str) -> None:
    assert fields(document("short_text", **change)) == [field]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"datasets": [DOCUMENTS["sql"]["datasets"][0]]}, "datasets"),
        ({"datasets": [DOCUMENTS["sql"]["datasets"][0]] * 2}, "datasets"),
        ({"datasets": [{"name": "a", "sql": "SELECT 1", "hidden": True}] * 2}, "datasets.0.hidden"),
        ({"solution": ""}, "solution"),
        ({"ordered": "yes"}, "ordered"),
        ({"schema_": SCHEMA}, "schema_"),
    ],
)
def test_sql_field_errors(change: dict[str, Any], field: str) -> None:
    assert field in fields(document("sql", **change))


def test_a_sql_solution_that_does_not_run_is_refused_at_the_solution() -> None:
    found = errors(document("sql", solution="SELECT customer, SUM(total) FROM no_such_table"))
    assert [f for f, _ in found] == ["solution"] * len(found)
    assert found
    assert any("no_such_table" in message for _, message in found)


def test_stored_content_may_skip_the_sandbox_check() -> None:
    broken = document("sql", solution="SELECT customer FROM no_such_table")
    assert set(fields(broken)) == {"solution"}  # one problem per dataset
    item = parse_item(broken, check_sql=False)
    assert item.model_dump(mode="json", exclude_none=True)["solution"] == broken["solution"]
    assert fields(document("sql", datasets=[])) == ["datasets"]  # every other rule still holds
    with pytest.raises(ValidationError):
        parse_item(document("sql", datasets=[]), check_sql=False)


def test_a_dataset_that_does_not_load_is_refused() -> None:
    broken = [DOCUMENTS["sql"]["datasets"][0], {"name": "broken", "sql": "INSERT INTO nowhere VALUES (1);"}]
    assert fields(document("sql", datasets=broken))


@pytest.mark.parametrize("doc", [None, [], "text", {"type": "essay"}, {}])
def test_anything_but_an_item_document_is_refused_at_the_type(doc: object) -> None:
    found = fields(doc)
    assert found in (["type"], [""])


# --- what candidates see --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ITEM_TYPES)
def test_candidates_never_see_answers_or_staff_notes(kind: str) -> None:
    view = candidate_view(parse_item(document(kind)), seed=7)
    assert not HIDDEN & set(view)
    assert view["type"] == kind
    assert view["prompt"] == DOCUMENTS[kind]["prompt"]
    text = repr(view)
    if kind == "sql":
        assert "INSERT" not in text
        assert "GROUP BY" not in text
    if kind == "short_text":
        assert "token bucket" not in text
        assert "Shared counter" not in text


@pytest.mark.parametrize("kind", ["single_choice", "multiple_choice", "ordering"])
def test_options_are_shuffled_with_the_seed_and_map_back_to_stored_indexes(kind: str) -> None:
    item = parse_item(document(kind))
    stored = DOCUMENTS[kind]["options"]
    views = [candidate_view(item, seed) for seed in range(30)]
    for view in views:
        assert sorted(view["option_indexes"]) == list(range(len(stored)))
        assert view["options"] == [stored[i] for i in view["option_indexes"]]
    assert candidate_view(item, 11) == candidate_view(item, 11)
    assert len({tuple(v["option_indexes"]) for v in views}) > 1


def test_an_ordering_item_is_never_shown_in_its_right_order() -> None:
    item = parse_item(document("ordering", options=["one", "two", "three"]))
    identity_seeds = [s for s in range(200) if display_order(3, s) == [0, 1, 2]]
    assert identity_seeds  # the plain shuffle does produce the right order sometimes
    for seed in range(200):
        assert candidate_view(item, seed)["option_indexes"] != [0, 1, 2]


def test_type_specific_view_fields() -> None:
    assert candidate_view(parse_item(document("numeric")), 1)["unit"] == "ms"
    assert candidate_view(parse_item(document("short_text")), 1)["max_length"] == 1500
    sql = candidate_view(parse_item(document("sql")), 1)
    assert sql["schema"] == SCHEMA
    assert sql["example_rows"].startswith("customer | total")
    assert sql["ordered"] is False


def test_display_order_is_a_stable_permutation() -> None:
    assert display_order(5, 42) == display_order(5, 42)
    assert sorted(display_order(8, 3)) == list(range(8))
