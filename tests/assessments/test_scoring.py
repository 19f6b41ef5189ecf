"""Scoring one answer: shapes refused at autosave, partial credit, pending marks, rubric credit."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from rolecall.assessments.items import ITEM_TYPES, parse_item
from rolecall.assessments.scoring import ItemScore, check_answer, rubric_credit, score_answer
from tests.assessments.test_items import document


def item(kind: str, /, **changes: Any) -> Any:
    return parse_item(document(kind, **changes))


def credit(kind: str, given: dict[str, Any] | None, /, **changes: Any) -> float | None:
    return score_answer(item(kind, **changes), given).credit


# --- shapes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "answer", "clean"),
    [
        ("single_choice", {"choice": 2}, {"choice": 2}),
        ("multiple_choice", {"choices": [3, 0]}, {"choices": [0, 3]}),
        ("multiple_choice", {"choices": []}, {"choices": []}),
        ("numeric", {"value": 100}, {"value": 100.0}),
        ("numeric", {"value": -0.25}, {"value": -0.25}),
        ("ordering", {"order": [3, 1, 0, 2]}, {"order": [3, 1, 0, 2]}),
        ("short_text", {"text": "Use Redis."}, {"text": "Use Redis."}),
        ("sql", {"query": "SELECT 1"}, {"query": "SELECT 1"}),
    ],
)
def test_well_shaped_answers_are_normalised(kind: str, answer: dict[str, Any], clean: dict[str, Any]) -> None:
    assert check_answer(item(kind), answer) == clean


@pytest.mark.parametrize(
    ("kind", "answer", "words"),
    [
        ("single_choice", {"choice": 3}, "Choose one of the options"),
        ("single_choice", {"choice": -1}, "Choose one of the options"),
        ("single_choice", {"choice": True}, "Choose one of the options"),
        ("single_choice", {"choice": "1"}, "Choose one of the options"),
        ("single_choice", {"choices": [1]}, 'must look like {"choice": 2}'),
        ("single_choice", {"choice": 1, "extra": 1}, "must look like"),
        ("single_choice", [1], "must look like"),
        ("multiple_choice", {"choices": 1}, "list of option numbers"),
        ("multiple_choice", {"choices": [0, 0]}, "only once"),
        ("multiple_choice", {"choices": [4]}, "not an option"),
        ("numeric", {"value": "100"}, "must be a number"),
        ("numeric", {"value": float("nan")}, "must be a number"),
        ("numeric", {"value": False}, "must be a number"),
        ("ordering", {"order": [0, 1, 2]}, "each exactly once"),
        ("ordering", {"order": [0, 1, 2, 2]}, "only once"),
        ("ordering", {"order": [0, 1, 2, 7]}, "not an option"),
        ("short_text", {"text": 5}, "must be text"),
        ("short_text", {"text": "x" * 1501}, "longer than 1500 characters"),
        ("sql", {"query": "SELECT 1 -- " + "x" * 5000}, "longer than 5000 characters"),
        ("sql", {"text": "SELECT 1"}, 'must look like {"query": "SELECT ..."}'),
    ],
)
def test_wrong_shapes_are_refused_with_a_sentence_for_the_candidate(
    kind: str, answer: object, words: str
) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace("{", r"\{")):
        check_answer(item(kind), answer)


# --- automatic scoring --------------------------------------------------------------------------------


def test_single_choice_is_right_or_wrong() -> None:
    assert score_answer(item("single_choice"), {"choice": 1}) == ItemScore(1.0, "scored", ["right option"])
    wrong = score_answer(item("single_choice"), {"choice": 0})
    assert (wrong.credit, wrong.status) == (0.0, "scored")
    assert wrong.feedback == ["chose option 1; the right one is 2"]


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ([0, 1, 3], 1.0),  # all three right
        ([0, 1], 0.6667),  # two of three
        ([0], 0.3333),
        ([0, 1, 3, 2], 0.6667),  # every option: the wrong tick costs one right one
        ([0, 2], 0.0),  # one right, one wrong
        ([2], 0.0),  # floored at zero, never negative
    ],
)
def test_multiple_choice_partial_credit(choices: list[int], expected: float) -> None:
    score = score_answer(item("multiple_choice"), {"choices": choices})
    assert score.status == "scored"
    assert score.credit == expected


def test_no_ticked_option_counts_as_unanswered() -> None:
    assert score_answer(item("multiple_choice"), {"choices": []}) == ItemScore(
        0.0, "unanswered", ["no option chosen"]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(100, 1.0), (100.5, 1.0), (99.5, 1.0), (100.51, 0.0), (99.4, 0.0), (-100, 0.0)],
)
def test_numeric_answers_count_inside_the_tolerance_only(value: float, expected: float) -> None:
    assert credit("numeric", {"value": value}) == expected


def test_a_zero_tolerance_still_forgives_float_noise() -> None:
    assert credit("numeric", {"value": 0.1 + 0.2}, answer=0.3, tolerance=0) == 1.0
    assert credit("numeric", {"value": 0.3001}, answer=0.3, tolerance=0) == 0.0


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ([0, 1, 2, 3], 1.0),
        ([1, 0, 2, 3], 0.8333),  # one swapped pair out of six
        ([0, 1, 3, 2], 0.8333),
        ([3, 2, 1, 0], 0.0),
        ([1, 0, 3, 2], 0.6667),
        ([3, 0, 1, 2], 0.5),
    ],
)
def test_ordering_credit_is_the_share_of_pairs_in_order(order: list[int], expected: float) -> None:
    assert credit("ordering", {"order": order}) == expected


def test_only_the_exact_order_earns_full_credit() -> None:
    for order in itertools.permutations(range(4)):
        score = credit("ordering", {"order": list(order)})
        assert (score == 1.0) == (list(order) == [0, 1, 2, 3])


def test_short_texts_wait_for_a_person() -> None:
    score = score_answer(item("short_text"), {"text": "A token bucket in Redis."})
    assert (score.credit, score.status) == (None, "pending_marking")


@pytest.mark.parametrize("kind", ["short_text", "sql"])
def test_a_blank_text_answer_is_unanswered(kind: str) -> None:
    name = "text" if kind == "short_text" else "query"
    score = score_answer(item(kind), {name: "   \n"})
    assert (score.credit, score.status) == (0.0, "unanswered")


@pytest.mark.parametrize("kind", ITEM_TYPES)
def test_no_answer_is_unanswered_with_no_credit(kind: str) -> None:
    assert score_answer(item(kind), None) == ItemScore(0.0, "unanswered", ["no answer"])


def test_a_stored_answer_of_the_wrong_shape_scores_zero_instead_of_failing() -> None:
    score = score_answer(item("single_choice"), {"choice": 9})
    assert (score.credit, score.status) == (0.0, "scored")
    assert score.errors == ["Choose one of the options of this question."]


# --- SQL through the sandbox -------------------------------------------------------------------------


def test_the_solution_itself_earns_full_credit() -> None:
    sql = item("sql")
    score = score_answer(sql, {"query": sql.solution})
    assert (score.credit, score.status, score.errors) == (1.0, "scored", [])


def test_an_equivalent_query_earns_full_credit() -> None:
    query = "SELECT o.customer, SUM(o.total) AS total FROM orders o GROUP BY 1 ORDER BY 2 DESC"
    assert credit("sql", {"query": query}) == 1.0


def test_a_wrong_query_earns_little_and_a_broken_one_nothing() -> None:
    wrong = score_answer(
        item("sql"), {"query": "SELECT customer, MAX(total) AS total FROM orders GROUP BY customer"}
    )
    assert wrong.credit is not None
    assert wrong.credit < 1.0
    broken = score_answer(item("sql"), {"query": "SELECT nonsense FROM nowhere"})
    assert (broken.credit, broken.status) == (0.0, "scored")
    assert broken.errors


def test_a_writing_query_is_refused_by_the_sandbox() -> None:
    score = score_answer(item("sql"), {"query": "DELETE FROM orders"})
    assert score.credit == 0.0
    assert score.errors


# --- rubric marking ---------------------------------------------------------------------------------


def test_rubric_credit_is_awarded_over_total_points() -> None:
    short = item("short_text")
    awarded = {"Shared counter store": 3, "Algorithm named and justified": 1}
    assert rubric_credit(short, awarded) == 0.8
    assert rubric_credit(short, dict.fromkeys(awarded, 0)) == 0.0
    assert rubric_credit(short, {"Shared counter store": 3, "Algorithm named and justified": 2}) == 1.0


@pytest.mark.parametrize(
    ("awarded", "words"),
    [
        ({"Shared counter store": 4, "Algorithm named and justified": 1}, "from 0 to 3"),
        ({"Shared counter store": -1, "Algorithm named and justified": 1}, "from 0 to 3"),
        ({"Shared counter store": 1.5, "Algorithm named and justified": 1}, "whole number"),
        ({"Shared counter store": 1}, "'Algorithm named and justified' has none"),
        ({"Shared counter store": 1, "Algorithm named and justified": 1, "Style": 1}, "no criterion 'Style'"),
    ],
)
def test_rubric_points_are_checked(awarded: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        rubric_credit(item("short_text"), awarded)


def test_only_short_texts_have_a_rubric() -> None:
    with pytest.raises(ValueError, match="Only short-text"):
        rubric_credit(item("single_choice"), {})
