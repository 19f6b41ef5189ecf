"""A job's test plan (blueprint): which skills, how many items each, how they weigh, how long.

:func:`generate` proposes a plan from the job's role profile level and the items the bank has
ready; people then edit it. The proposal follows the profile rather than the bank: it tests the
hard skills the level expects, heaviest first (expected proficiency, must-haves counting half as
much again), leaves out skills the bank cannot test yet, and asks more items where more is
expected (2 items for proficiency 1-2, 3 for 3, 4 for 4-5), since a single item says little about
a skill that matters.

The time limit is the sum of about how long each item takes (2 minutes for a choice, 3 for a
number or an ordering, 6 for SQL, 8 for a short text), estimated from the types each skill's pool
holds, rounded up to 5 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rolecall.assessments.drawing import ItemRef, eligible
from rolecall.assessments.items import ItemType
from rolecall.roles.library.schema import Level, RoleProfile
from rolecall.roles.taxonomy import default_taxonomy

MUST_HAVE_FACTOR = 1.5
MINUTES_PER_ITEM: dict[str, int] = {"numeric": 3, "ordering": 3, "sql": 6, "short_text": 8}
DEFAULT_MINUTES = 2  # single and multiple choice
MIN_MINUTES, MAX_MINUTES = 5, 240

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class BlueprintSkill(_Document):
    skill_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    weight: float = Field(gt=0, le=100, allow_inf_nan=False)
    items: int = Field(ge=1, le=20)
    proficiency: int = Field(ge=1, le=5)

    @field_validator("skill_id")
    @classmethod
    def _known(cls, value: str) -> str:
        if default_taxonomy().get(value) is None:
            raise ValueError(f"{value!r} is not a skill id of the skills taxonomy")
        return value


class Blueprint(_Document):
    title: Title
    profile_slug: Slug
    level: Level
    time_limit_minutes: int = Field(ge=MIN_MINUTES, le=MAX_MINUTES)
    skills: list[BlueprintSkill] = Field(min_length=1, max_length=20)
    item_types: list[ItemType] | None = None
    show_result_to_candidate: bool = False
    grace_seconds: int = Field(default=30, ge=0, le=600)

    @field_validator("skills")
    @classmethod
    def _distinct_skills(cls, value: list[BlueprintSkill]) -> list[BlueprintSkill]:
        ids = [s.skill_id for s in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"each skill may appear once: {', '.join(repr(d) for d in dupes)} repeats")
        return value

    @field_validator("item_types")
    @classmethod
    def _distinct_types(cls, value: list[ItemType] | None) -> list[ItemType] | None:
        if value is not None and (not value or len(set(value)) != len(value)):
            raise ValueError("list each item type once, or leave item_types out to allow every type")
        return value

    @property
    def item_count(self) -> int:
        return sum(s.items for s in self.skills)


def items_for(proficiency: int) -> int:
    """Items to ask for a skill expected at this proficiency (1-5)."""
    return 2 if proficiency <= 2 else 3 if proficiency == 3 else 4


def minutes_for(kind: str) -> int:
    """About how long a candidate needs for one item of this type."""
    return MINUTES_PER_ITEM.get(kind, DEFAULT_MINUTES)


def time_limit(minutes: float) -> int:
    """Minutes rounded up to the next 5, within the limits a blueprint allows."""
    return max(MIN_MINUTES, min(MAX_MINUTES, 5 * math.ceil(minutes / 5 - 1e-9)))


def generate(
    profile: RoleProfile,
    level: str,
    bank: Mapping[str, Sequence[ItemRef]],
    *,
    title: str | None = None,
    max_skills: int = 6,
    items_per_skill: int | None = None,
    item_types: Sequence[ItemType] | None = None,
) -> Blueprint:
    """A proposed blueprint for ``level`` of ``profile`` from ``bank`` (ready items per skill id).

    ``items_per_skill`` overrides the count derived from proficiency. A skill whose pool holds
    fewer items than wanted gets what the pool has. ``ValueError`` when the profile lacks the
    level or the bank can test none of its hard skills.
    """
    spec = profile.level(level)
    if spec is None:
        raise ValueError(
            f"profile {profile.id!r} has no level {level!r} (levels: {', '.join(profile.level_names)})"
        )
    allowed = list(item_types) if item_types is not None else None
    candidates = []
    for order, requirement in enumerate(profile.hard_skills):
        proficiency = requirement.proficiency.get(spec.name)
        if proficiency is None or not requirement.skill_id:
            continue
        pool = eligible(bank.get(requirement.skill_id, ()), allowed)
        if not pool:
            continue
        weight = proficiency * (MUST_HAVE_FACTOR if requirement.must_have else 1.0)
        candidates.append((weight, order, requirement.skill_id, requirement.name, proficiency, pool))
    if not candidates:
        raise ValueError(
            f"the bank has no ready items for any hard skill of {profile.id!r} at level {spec.name!r}"
        )
    chosen = sorted(candidates, key=lambda c: (-c[0], c[1]))[:max_skills]
    chosen.sort(key=lambda c: c[1])  # the profile's own order reads best
    skills = []
    minutes = 0.0
    for weight, _, skill_id, name, proficiency, pool in chosen:
        count = min(items_per_skill or items_for(proficiency), len(pool), 20)
        minutes += count * sum(minutes_for(r.type) for r in pool) / len(pool)
        skills.append(
            BlueprintSkill(skill_id=skill_id, name=name, weight=weight, items=count, proficiency=proficiency)
        )
    return Blueprint(
        title=title or f"{profile.title} ({spec.name}) assessment",
        profile_slug=profile.id,
        level=spec.name,
        time_limit_minutes=time_limit(minutes),
        skills=skills,
        item_types=allowed,
    )
