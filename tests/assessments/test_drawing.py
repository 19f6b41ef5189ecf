"""The seeded draw: reproducible, distinct, near the blueprint's level, and clear when the bank is short."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from rolecall.assessments.blueprints import Blueprint
from rolecall.assessments.drawing import ItemRef, NotEnoughItems, draw, eligible, new_seed


def ref(
    skill: str, n: int, *, level: str = "senior", difficulty: int = 3, kind: str = "single_choice"
) -> ItemRef:
    return ItemRef(
        item_id=f"{skill}-{n}",
        version_id=f"{skill}-{n}-v1",
        skill_id=skill,
        level=level,
        difficulty=difficulty,
        type=kind,
    )


def plan(*skills: tuple[str, int], level: str = "senior", **extra: Any) -> Blueprint:
    return Blueprint.model_validate(
        {
            "title": "Back end",
            "profile_slug": "backend-engineer",
            "level": level,
            "time_limit_minutes": 30,
            "skills": [
                {"skill_id": s, "name": s.upper(), "weight": 1.0, "items": n, "proficiency": 3}
                for s, n in skills
            ],
            **extra,
        }
    )


LEVELS = ["junior", "mid", "senior", "lead", "principal"]
POOL = {
    "sql": [ref("sql", i, level=LEVELS[i % 5], difficulty=1 + i % 5) for i in range(12)],
    "rest": [ref("rest", i, level=LEVELS[(i + 2) % 5], difficulty=1 + (i * 2) % 5) for i in range(8)],
    "redis": [ref("redis", i, kind="sql" if i % 2 else "numeric") for i in range(6)],
}
PLAN = plan(("sql", 4), ("rest", 3), ("redis", 2))


def test_the_same_seed_and_pool_give_the_same_items_in_the_same_order() -> None:
    first = draw(PLAN, POOL, 1234)
    assert draw(PLAN, POOL, 1234) == first
    rng = random.Random(0)
    shuffled = {skill: rng.sample(refs, len(refs)) for skill, refs in reversed(POOL.items())}
    assert draw(PLAN, shuffled, 1234) == first  # the database's row order does not matter


def test_different_seeds_give_different_selections() -> None:
    selections = {tuple(r.item_id for r in draw(PLAN, POOL, seed)) for seed in range(40)}
    assert len(selections) > 20


def test_items_come_per_skill_in_blueprint_order_each_once() -> None:
    drawn = draw(PLAN, POOL, 99)
    assert [r.skill_id for r in drawn] == ["sql"] * 4 + ["rest"] * 3 + ["redis"] * 2
    assert len({r.item_id for r in drawn}) == len(drawn)


def test_within_a_skill_easier_items_come_first() -> None:
    for seed in range(20):
        sql = [r.difficulty for r in draw(PLAN, POOL, seed) if r.skill_id == "sql"]
        assert sql == sorted(sql)


def test_one_skills_pool_growing_does_not_change_another_skills_draw() -> None:
    grown = {**POOL, "rest": [*POOL["rest"], ref("rest", 50), ref("rest", 51)]}
    for seed in range(10):
        before = [r for r in draw(PLAN, POOL, seed) if r.skill_id == "sql"]
        after = [r for r in draw(PLAN, grown, seed) if r.skill_id == "sql"]
        assert before == after


def test_items_near_the_level_and_proficiency_are_preferred_but_not_certain() -> None:
    near = [ref("sql", i, level="senior", difficulty=3) for i in range(3)]
    far = [ref("sql", 10 + i, level="junior", difficulty=1) for i in range(3)]
    counts: Counter[str] = Counter()
    for seed in range(600):
        counts.update(
            "near" if r in near else "far" for r in draw(plan(("sql", 2)), {"sql": near + far}, seed)
        )
    assert counts["near"] > 5 * counts["far"]
    assert counts["far"] > 0


def test_item_types_restrict_the_draw() -> None:
    drawn = draw(plan(("redis", 3), item_types=["sql"]), POOL, 5)
    assert {r.type for r in drawn} == {"sql"}
    with pytest.raises(NotEnoughItems):
        draw(plan(("redis", 4), item_types=["sql"]), POOL, 5)


def test_a_short_bank_is_refused_naming_every_short_skill() -> None:
    with pytest.raises(NotEnoughItems) as info:
        draw(plan(("sql", 13), ("rest", 2), ("kafka", 1)), POOL, 1)
    assert info.value.shortages == [("SQL", 13, 12), ("KAFKA", 1, 0)]
    assert (
        str(info.value)
        == "SQL needs 13 item(s), the bank has 12 ready; KAFKA needs 1 item(s), the bank has 0 ready"
    )


def test_eligible_keeps_one_version_per_item_in_a_canonical_order() -> None:
    second = ItemRef("sql-1", "sql-1-v2", "sql", "mid", 2, "numeric")
    refs = [POOL["sql"][2], second, POOL["sql"][1]]
    chosen = eligible(refs)
    assert [r.item_id for r in chosen] == ["sql-1", "sql-2"]
    assert chosen[0].version_id == "sql-1-v1"
    assert eligible(refs, ["numeric"]) == [second]


def test_new_seeds_are_fresh_and_json_safe() -> None:
    seeds = {new_seed() for _ in range(50)}
    assert len(seeds) == 50
    assert all(0 <= s < 2**53 for s in seeds)
