"""Which items a candidate gets: a seeded draw from the bank, reproducible from the seed alone.

Each candidate gets their own selection, so answers passed around from earlier candidates help
less, yet the draw is a pure function of (blueprint, pool, seed): storing the seed explains, and
reproduces, exactly what someone was asked. Each skill draws from its own random stream (seeded
with the seed and the skill id), so adding items to one skill's pool never changes another skill's
draw, and the pool is put in a canonical order first, so the order the database returns rows in
does not matter either.

Within a skill the draw prefers items near the blueprint: weighted sampling without replacement
(Efraimidis and Spirakis), where an item's weight falls with its distance from the blueprint's
level and the skill's expected proficiency (read as the target difficulty). Near items come up
often, far ones occasionally, and no item is ever certain, which keeps exposure spread out.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rolecall.roles.library.schema import LEVEL_ORDER

if TYPE_CHECKING:
    from rolecall.assessments.blueprints import Blueprint

_SEED_LIMIT = 2**53  # stays exact in JSON numbers and JavaScript


@dataclass(frozen=True)
class ItemRef:
    """A ready item version as the draw sees it: identity and the facts that steer the choice."""

    item_id: str
    version_id: str
    skill_id: str
    level: str
    difficulty: int
    type: str


class NotEnoughItems(ValueError):
    """The bank has fewer ready items for some skill than the blueprint asks for."""

    def __init__(self, shortages: list[tuple[str, int, int]]) -> None:
        self.shortages = shortages  # (skill name, asked, available)
        super().__init__(
            "; ".join(
                f"{name} needs {asked} item(s), the bank has {have} ready" for name, asked, have in shortages
            )
        )


def new_seed() -> int:
    """A fresh, unpredictable seed for one candidate's draw (store it with the session)."""
    return secrets.randbelow(_SEED_LIMIT)


def eligible(refs: Iterable[ItemRef], item_types: Sequence[str] | None = None) -> list[ItemRef]:
    """The refs the draw may use: of an allowed type, one per item, in a canonical order."""
    chosen: dict[str, ItemRef] = {}
    for ref in sorted(refs, key=lambda r: (r.item_id, r.version_id)):
        if item_types is not None and ref.type not in item_types:
            continue
        chosen.setdefault(ref.item_id, ref)
    return list(chosen.values())


def _distance(ref: ItemRef, level: str, difficulty: int) -> int:
    try:
        gap = abs(LEVEL_ORDER.index(ref.level) - LEVEL_ORDER.index(level))
    except ValueError:
        gap = len(LEVEL_ORDER)
    return gap + abs(ref.difficulty - difficulty)


def _pick(refs: list[ItemRef], count: int, level: str, difficulty: int, rng: random.Random) -> list[ItemRef]:
    """``count`` refs by weighted sampling without replacement; easier items first in the result."""
    keyed = []
    for rank, ref in enumerate(refs):
        weight = 1.0 / (1 + _distance(ref, level, difficulty)) ** 2
        keyed.append((rng.random() ** (1.0 / weight), rank, ref))
    keyed.sort(key=lambda k: (-k[0], k[1]))
    chosen = keyed[:count]
    chosen.sort(key=lambda k: (k[2].difficulty, -k[0], k[1]))
    return [ref for _, _, ref in chosen]


def draw(blueprint: Blueprint, pool: Mapping[str, Sequence[ItemRef]], seed: int) -> list[ItemRef]:
    """The items for one candidate, skill by skill in the blueprint's order, each item at most once.

    Raises :class:`NotEnoughItems` naming every skill the pool cannot fill.
    """
    used: set[str] = set()
    drawn: list[ItemRef] = []
    shortages: list[tuple[str, int, int]] = []
    for skill in blueprint.skills:
        refs = [
            r for r in eligible(pool.get(skill.skill_id, ()), blueprint.item_types) if r.item_id not in used
        ]
        if len(refs) < skill.items:
            shortages.append((skill.name, skill.items, len(refs)))
            continue
        rng = random.Random(f"{seed}:{skill.skill_id}")
        chosen = _pick(refs, skill.items, blueprint.level, skill.proficiency, rng)
        used.update(r.item_id for r in chosen)
        drawn.extend(chosen)
    if shortages:
        raise NotEnoughItems(shortages)
    return drawn
