"""Item statistics from real answers: difficulty, discrimination and the reasons to review an item.

For each item version, from one record per scored answer (the item's credit and the session's
total):

* **difficulty** is the classical p-value, the mean credit (1.0: everyone got it right);
* **discrimination** is the Pearson correlation between the item's credit and the *rest score*,
  the session's total without this item's own contribution. For right/wrong items this is the
  point-biserial correlation. Correlating with the full total would flatter every item, because
  the item is part of what it is compared with.

A good item has a middling p-value and a clearly positive discrimination: people who do well
overall tend to get it right. Negative discrimination usually means a wrong answer key or a
misleading prompt. Below :data:`MIN_RESPONSES` answers the numbers are noise, so no item is flagged
on them; the result says there is not enough data instead.

Everything runs in one pass with running sums (Welford's updates, stable for near-constant data),
so a few hundred thousand records take a fraction of a second and no data-frame library is needed.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

MIN_RESPONSES = 20
TOO_EASY = 0.95
TOO_HARD = 0.10
LOW_DISCRIMINATION = 0.15
_EPSILON = 1e-12

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class ItemStats:
    responses: int
    p_value: float | None  # mean credit; None without responses
    discrimination: float | None  # None when undefined (fewer than 2 responses or no spread)
    flags: tuple[str, ...]  # reasons to review the item, only with enough responses
    note: str | None  # why there are no flags yet, when that is the case

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def as_dict(self) -> dict[str, Any]:
        return {
            "responses": self.responses,
            "p_value": None if self.p_value is None else round(self.p_value, 3),
            "discrimination": None if self.discrimination is None else round(self.discrimination, 3),
            "flagged": self.flagged,
            "flags": list(self.flags),
            "note": self.note,
        }


class _Moments:
    """Running means, variances and covariance of (credit, rest score) pairs."""

    __slots__ = ("cov", "m2_credit", "m2_rest", "mean_credit", "mean_rest", "n")

    def __init__(self) -> None:
        self.n = 0
        self.mean_credit = self.mean_rest = 0.0
        self.m2_credit = self.m2_rest = self.cov = 0.0

    def add(self, credit: float, rest: float) -> None:
        self.n += 1
        d_credit = credit - self.mean_credit
        d_rest = rest - self.mean_rest
        self.mean_credit += d_credit / self.n
        self.mean_rest += d_rest / self.n
        self.m2_credit += d_credit * (credit - self.mean_credit)
        self.m2_rest += d_rest * (rest - self.mean_rest)
        self.cov += d_credit * (rest - self.mean_rest)

    def stats(self) -> ItemStats:
        if self.n == 0:
            return ItemStats(0, None, None, (), f"not enough responses (0 of {MIN_RESPONSES})")
        p_value = self.mean_credit
        spread = self.m2_credit > _EPSILON and self.m2_rest > _EPSILON
        discrimination = (
            max(-1.0, min(1.0, self.cov / math.sqrt(self.m2_credit * self.m2_rest))) if spread else None
        )
        if self.n < MIN_RESPONSES:
            note = f"not enough responses ({self.n} of {MIN_RESPONSES})"
            return ItemStats(self.n, p_value, discrimination, (), note)
        return ItemStats(
            self.n, p_value, discrimination, _flags(p_value, discrimination, self.m2_credit), None
        )


def _flags(p_value: float, discrimination: float | None, m2_credit: float) -> tuple[str, ...]:
    flags = []
    if p_value > TOO_EASY:
        flags.append(f"too easy: mean credit {p_value:.2f} is above {TOO_EASY:.2f}")
    elif p_value < TOO_HARD:
        flags.append(f"too hard: mean credit {p_value:.2f} is below {TOO_HARD:.2f}")
    if discrimination is None:
        if m2_credit <= _EPSILON:
            flags.append("no discrimination: every answer earned the same credit")
    elif discrimination < 0:
        flags.append(
            f"negative discrimination ({discrimination:.2f}): stronger candidates do worse on it; "
            "check the answer key"
        )
    elif discrimination < LOW_DISCRIMINATION:
        flags.append(f"low discrimination: {discrimination:.2f} is below {LOW_DISCRIMINATION:.2f}")
    return tuple(flags)


def _rest(record: Sequence[float]) -> tuple[float, float]:
    credit, total = float(record[0]), float(record[1])
    share = float(record[2]) if len(record) > 2 else 1.0
    return credit, total - share * credit


def item_stats(records: Iterable[Sequence[float]]) -> ItemStats:
    """Statistics of one item from ``(credit, total)`` or ``(credit, total, share)`` records.

    ``credit`` is the item's 0-1 credit in one session and ``total`` that session's total. ``share``
    is how much one unit of this item's credit adds to the total: 1 (the default) when the total is
    the sum of item credits; for a total that is a weighted mean of skill means on a 0-1 scale, the
    skill's weight share divided by its item count (see :func:`item_share`).
    """
    moments = _Moments()
    for record in records:
        moments.add(*_rest(record))
    return moments.stats()


def stats_by_item(rows: Iterable[tuple[K, Sequence[float]]]) -> dict[K, ItemStats]:
    """:func:`item_stats` for many items in one pass over ``(item, record)`` rows."""
    moments: dict[K, _Moments] = {}
    for key, record in rows:
        target = moments.get(key)
        if target is None:
            target = moments[key] = _Moments()
        target.add(*_rest(record))
    return {key: m.stats() for key, m in moments.items()}


def item_share(skills: Sequence[Mapping[str, Any]], skill_id: str) -> float:
    """One item's share of a 0-1 total computed as the weighted mean of skill means.

    ``skills`` are a blueprint's skills (``skill_id``, ``weight``, ``items``): an item of a skill with
    weight ``w`` out of ``W`` and ``n`` items moves the total by ``w / W / n`` per unit of credit.
    """
    total_weight = sum(float(s["weight"]) for s in skills)
    skill = next((s for s in skills if s["skill_id"] == skill_id), None)
    if skill is None or total_weight <= 0 or int(skill["items"]) <= 0:
        return 0.0
    return float(skill["weight"]) / total_weight / int(skill["items"])
