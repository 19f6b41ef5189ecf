"""Scoring one answer against one item version: pure, deterministic, with reasons for the staff.

Two steps with different audiences. :func:`check_answer` runs at autosave and refuses an answer of
the wrong shape with a sentence the candidate understands, so nothing unscorable is ever stored.
:func:`score_answer` runs at submission and turns a stored answer into an :class:`ItemScore`: a
credit between 0 and 1, short feedback for the people reviewing the result, and the errors the
candidate may see (SQL errors, limits hit).

Partial credit rewards what is right without rewarding guessing: a multiple-choice answer loses
for each wrong tick what it gains for each right one, and an ordering earns the share of pairs it
puts in the right order. Short texts wait for a person (:func:`rubric_credit`).

SQL answers run in the sandbox (:mod:`rolecall.assessments.sandbox`); when its child process cannot
start at all, ``SandboxUnavailable`` propagates, because scoring nothing beats scoring zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rolecall.assessments import sandbox
from rolecall.assessments.items import (
    ItemContent,
    MultipleChoice,
    Numeric,
    Ordering,
    ShortText,
    SingleChoice,
    Sql,
)

# The sandbox refuses longer queries too; refusing at autosave tells the candidate while they can fix it.
MAX_QUERY_CHARS = sandbox.DEFAULT_LIMITS.max_query_chars
# Numbers typed by people and floats computed by machines differ in the last bits (0.1 + 0.2); a
# relative slack this small never turns a wrong answer into a right one.
_FLOAT_SLACK = 1e-9

Status = Literal["scored", "pending_marking", "unanswered"]


@dataclass(frozen=True)
class ItemScore:
    credit: float | None  # 0.0-1.0; None while pending human marking
    status: Status
    feedback: list[str] = field(default_factory=list)  # plain sentences for staff
    errors: list[str] = field(default_factory=list)  # messages safe for the candidate


_SHAPES: dict[str, tuple[str, str]] = {
    "single_choice": ("choice", '{"choice": 2}'),
    "multiple_choice": ("choices", '{"choices": [0, 2]}'),
    "numeric": ("value", '{"value": 42}'),
    "ordering": ("order", '{"order": [2, 0, 1]}'),
    "short_text": ("text", '{"text": "..."}'),
    "sql": ("query", '{"query": "SELECT ..."}'),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _index_list(value: object, count: int, what: str) -> list[int]:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise ValueError(f"The {what} must be a list of option numbers.")
    if any(not 0 <= v < count for v in value):
        raise ValueError(f"One of the {what} is not an option of this question.")
    if len(set(value)) != len(value):
        raise ValueError(f"Each option may appear only once in the {what}.")
    return list(value)


def check_answer(content: ItemContent, answer: object) -> dict[str, Any]:
    """The answer in its stored shape, or ``ValueError`` with a sentence for the candidate.

    Indexes refer to the options as stored (the page maps its shuffled display back).
    """
    name, example = _SHAPES[content.type]
    if not isinstance(answer, dict) or set(answer) != {name}:
        raise ValueError(f"The answer for this question must look like {example}.")
    value = answer[name]
    if isinstance(content, SingleChoice):
        if not _is_int(value) or not 0 <= value < len(content.options):
            raise ValueError("Choose one of the options of this question.")
        return {name: value}
    if isinstance(content, MultipleChoice):
        return {name: sorted(_index_list(value, len(content.options), "choices"))}
    if isinstance(content, Numeric):
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError("The answer must be a number.")
        return {name: float(value)}
    if isinstance(content, Ordering):
        order = _index_list(value, len(content.options), "order")
        if len(order) != len(content.options):
            raise ValueError("Put every option of this question in order, each exactly once.")
        return {name: order}
    if not isinstance(value, str):
        raise ValueError("The answer must be text.")
    limit = content.max_length if isinstance(content, ShortText) else MAX_QUERY_CHARS
    if len(value) > limit:
        raise ValueError(f"The answer is longer than {limit} characters.")
    return {name: value}


def _credit(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


def _ordering_credit(order: list[int]) -> float:
    """Share of pairs in the right relative order (Kendall's concordance): 1.0 only when exact."""
    count = len(order)
    pairs = count * (count - 1) // 2
    concordant = sum(1 for i in range(count) for j in range(i + 1, count) if order[i] < order[j])
    return concordant / pairs


def score_answer(content: ItemContent, answer: dict[str, Any] | None) -> ItemScore:
    """Score one answer (``None``: the candidate left the question). SQL items run the sandbox."""
    if answer is None:
        return ItemScore(0.0, "unanswered", ["no answer"])
    try:
        clean = check_answer(content, answer)
    except ValueError as exc:  # stored before a format change, or written around the API
        return ItemScore(0.0, "scored", ["the answer is not in the shape this item takes"], [str(exc)])
    value = next(iter(clean.values()))
    if isinstance(content, SingleChoice):
        if value == content.answer:
            return ItemScore(1.0, "scored", ["right option"])
        return ItemScore(0.0, "scored", [f"chose option {value + 1}; the right one is {content.answer + 1}"])
    if isinstance(content, MultipleChoice):
        if not value:
            return ItemScore(0.0, "unanswered", ["no option chosen"])
        right = set(content.answers)
        hits, misses = len(right & set(value)), len(set(value) - right)
        credit = _credit((hits - misses) / len(right))
        return ItemScore(credit, "scored", [f"{hits} of {len(right)} right options, {misses} wrong"])
    if isinstance(content, Numeric):
        slack = content.tolerance + _FLOAT_SLACK * max(1.0, abs(content.answer))
        if abs(value - content.answer) <= slack:
            return ItemScore(1.0, "scored", ["within the tolerance"])
        return ItemScore(0.0, "scored", [f"{value:g} is outside {content.answer:g} ± {content.tolerance:g}"])
    if isinstance(content, Ordering):
        credit = _credit(_ordering_credit(value))
        return ItemScore(
            credit, "scored", ["exact order" if credit == 1.0 else "pairs in order: " + f"{credit:.0%}"]
        )
    if not value.strip():
        return ItemScore(0.0, "unanswered", ["empty answer"])
    if isinstance(content, ShortText):
        return ItemScore(None, "pending_marking", ["waiting for a person to mark it"])
    assert isinstance(content, Sql)
    credit, feedback, errors = sandbox.score_sql(
        content.schema_, content.dataset_pairs, content.solution, value, ordered=content.ordered
    )
    return ItemScore(_credit(credit), "scored", list(feedback), list(errors))


def rubric_credit(content: ItemContent, awarded: Mapping[str, int]) -> float:
    """Credit from a person's points per rubric criterion: awarded / the rubric's total.

    Every criterion needs points (0 up to its maximum), so a mark is always a deliberate decision
    on each; an unknown criterion is refused rather than ignored.
    """
    if not isinstance(content, ShortText):
        raise ValueError("Only short-text answers are marked against a rubric.")
    maxima = {c.criterion: c.points for c in content.rubric}
    unknown = [name for name in awarded if name not in maxima]
    if unknown:
        raise ValueError(f"The rubric has no criterion {unknown[0]!r}.")
    missing = [name for name in maxima if name not in awarded]
    if missing:
        raise ValueError(f"Give points for every criterion; {missing[0]!r} has none.")
    for name, points in awarded.items():
        if not _is_int(points) or not 0 <= points <= maxima[name]:
            raise ValueError(f"Points for {name!r} must be a whole number from 0 to {maxima[name]}.")
    return _credit(sum(awarded.values()) / content.total_points)
