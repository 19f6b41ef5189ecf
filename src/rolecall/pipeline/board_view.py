"""Words the board's cards use: how long someone has waited, what a match score means, where they
came from. Plain functions handed to the templates, computed once per card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from markupsafe import Markup

from rolecall.candidates.schemas import SOURCE_LABELS
from rolecall.platform.clock import utcnow
from rolecall.web import words

STATUS_TITLES = {"rejected": "Rejected", "withdrawn": "Withdrawn", "hired": "Hired"}


def match_words(score: int | None) -> str:
    """The score said in words, so the number never has to be read as a colour."""
    if score is None:
        return "not scored"
    if score >= 80:
        return "strong match"
    if score >= 60:
        return "good match"
    if score >= 40:
        return "partial match"
    return "weak match"


def match_class(score: int | None) -> str:
    if score is None:
        return "match-none"
    return {"strong match": "match-strong", "good match": "match-good"}.get(match_words(score), "match-low")


def _options(pairs: list[tuple[str, str]]) -> Markup:
    """``<option>`` elements, every value and label escaped: built once per board, not once per card."""
    option = Markup('<option value="{}">{}</option>')
    return Markup("").join(option.format(value, label) for value, label in pairs)


def move_options(stage_names: list[str]) -> dict[str, Markup]:
    """For each stage (case-folded), the options of the other stages a card in it may move to;
    under "" all of them (a card in a stage the job no longer has)."""
    found = {"": _options([(name, name) for name in stage_names])}
    for current in stage_names:
        others = [(name, name) for name in stage_names if name.casefold() != current.casefold()]
        found[current.casefold()] = _options(others)
    return found


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source) or source


def card_helpers(reject_reasons: list[dict[str, str]]) -> dict[str, Any]:
    now = utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    labels = {reason["key"]: reason["label"] for reason in reject_reasons}

    def reason_label(key: str | None) -> str:
        if key is None:
            return ""
        return labels.get(key) or key

    helpers: dict[str, Callable[..., str] | Any] = {
        "waited": lambda moment: words.since(moment, now),
        "match_words": match_words,
        "match_class": match_class,
        "source_label": source_label,
        "reason_label": reason_label,
        "reject_reasons": reject_reasons,
        "reason_options": _options([(reason["key"], reason["label"]) for reason in reject_reasons]),
        "status_titles": STATUS_TITLES,
    }
    return helpers
