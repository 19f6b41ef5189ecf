"""Blueprints: generated from a profile level and the bank, validated strictly when people edit them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from rolecall.assessments.blueprints import Blueprint, generate, items_for, time_limit
from rolecall.assessments.drawing import ItemRef, draw
from rolecall.assessments.yaml_io import starter_bank
from rolecall.roles.service import library_profile

BANK_SKILLS = [
    "rest",
    "sql",
    "postgresql",
    "redis",
    "rabbitmq",
    "kafka",
    "event-driven",
    "oauth2",
    "jwt",
    "cryptography",
    "system-design",
    "unit-testing",
    "python",
    "performance-optimisation",
    "microservices",
]


def pool(
    skills: list[str] = BANK_SKILLS, count: int = 6, kind: str = "single_choice"
) -> dict[str, list[ItemRef]]:
    return {
        s: [ItemRef(f"{s}-{i}", f"{s}-{i}-v1", s, "lead", 1 + i % 5, kind) for i in range(count)]
        for s in skills
    }


PROFILE = library_profile("backend-engineer")


def test_the_backend_lead_blueprint_tests_the_heaviest_skills_the_bank_covers() -> None:
    plan = generate(PROFILE, "lead", pool(), title="Back-end lead assessment")
    assert plan.title == "Back-end lead assessment"
    assert (plan.profile_slug, plan.level) == ("backend-engineer", "lead")
    # Must-haves at proficiency 4 weigh 6; the first six of them in the profile's order win.
    assert [s.skill_id for s in plan.skills] == [
        "rest",
        "microservices",
        "system-design",
        "sql",
        "oauth2",
        "performance-optimisation",
    ]
    assert {(s.weight, s.items, s.proficiency) for s in plan.skills} == {(6.0, 4, 4)}
    assert plan.skills[0].name == "REST"
    assert plan.item_count == 24
    assert plan.time_limit_minutes == 50  # 24 choice items at 2 minutes, rounded up to 5
    assert plan.show_result_to_candidate is False
    assert plan.grace_seconds == 30


def test_skills_the_bank_cannot_test_are_left_out() -> None:
    plan = generate(PROFILE, "lead", pool([s for s in BANK_SKILLS if s != "rest"]))
    ids = [s.skill_id for s in plan.skills]
    assert "rest" not in ids
    assert "unit-testing" in ids  # the next must-have moves up


def test_lighter_skills_fill_in_when_must_haves_run_out() -> None:
    plan = generate(PROFILE, "lead", pool(["sql", "redis", "rabbitmq"]))
    assert [(s.skill_id, s.weight, s.items) for s in plan.skills] == [
        ("sql", 6.0, 4),
        ("redis", 4.0, 4),
        ("rabbitmq", 3.0, 3),
    ]


def test_lower_levels_ask_fewer_items_and_skip_skills_not_expected_there() -> None:
    plan = generate(PROFILE, "junior", pool(["sql", "cryptography", "unit-testing"]))
    assert [(s.skill_id, s.proficiency, s.items) for s in plan.skills] == [
        ("sql", 1, 2),
        ("unit-testing", 2, 2),
    ]
    assert plan.title == "Back-End Engineer (junior) assessment"


def test_a_small_pool_gives_what_it_has() -> None:
    plan = generate(PROFILE, "lead", pool(["sql"], count=2))
    assert plan.skills[0].items == 2


def test_the_time_limit_follows_the_item_types() -> None:
    plan = generate(PROFILE, "lead", pool(["sql"], kind="sql"))
    assert plan.time_limit_minutes == 25  # 4 SQL items at 6 minutes
    texts = [ItemRef(f"text-{i}", f"text-{i}-v1", "sql", "lead", 3, "short_text") for i in range(2)]
    mixed = {"sql": pool(["sql"], count=2, kind="sql")["sql"] + texts}
    assert generate(PROFILE, "lead", mixed).time_limit_minutes == 30  # 4 x (6 + 8) / 2 = 28


def test_overrides() -> None:
    plan = generate(PROFILE, "lead", pool(), max_skills=2, items_per_skill=3, item_types=["single_choice"])
    assert [(s.skill_id, s.items) for s in plan.skills] == [("rest", 3), ("microservices", 3)]
    assert plan.item_types == ["single_choice"]
    with pytest.raises(ValueError, match="no ready items"):
        generate(PROFILE, "lead", pool(), item_types=["sql"])


def test_an_unknown_level_or_an_empty_bank_is_refused() -> None:
    with pytest.raises(ValueError, match="has no level 'intern'"):
        generate(PROFILE, "intern", pool())
    with pytest.raises(ValueError, match="no ready items for any hard skill"):
        generate(PROFILE, "lead", {})


def test_a_generated_blueprint_survives_json_and_can_be_drawn() -> None:
    bank = pool()
    plan = generate(PROFILE, "lead", bank)
    assert Blueprint.model_validate(plan.model_dump(mode="json")) == plan
    assert len(draw(plan, bank, 7)) == plan.item_count


def test_the_starter_bank_can_fill_a_generated_backend_lead_blueprint() -> None:
    bank: dict[str, list[ItemRef]] = {}
    for item in starter_bank():
        bank.setdefault(item.skill_id, []).append(
            ItemRef(item.key, item.key, item.skill_id, item.level, item.difficulty, item.type)
        )
    plan = generate(PROFILE, "lead", bank)
    assert "sql" in [s.skill_id for s in plan.skills]
    assert len(draw(plan, bank, 42)) == plan.item_count


def test_items_per_proficiency_and_time_rounding() -> None:
    assert [items_for(p) for p in range(1, 6)] == [2, 2, 3, 4, 4]
    assert [time_limit(m) for m in (0, 4, 5, 5.5, 48, 50, 1000)] == [5, 5, 5, 10, 50, 50, 240]


# --- editing: strict validation --------------------------------------------------------------------


def _document(**changes: Any) -> dict[str, Any]:
    document = generate(PROFILE, "lead", pool()).model_dump(mode="json")
    document.update(changes)
    return document


def _fields(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        Blueprint.model_validate(document)
    return [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_limit_minutes": 4}, "time_limit_minutes"),
        ({"time_limit_minutes": 241}, "time_limit_minutes"),
        ({"level": "expert"}, "level"),
        ({"skills": []}, "skills"),
        ({"item_types": []}, "item_types"),
        ({"item_types": ["sql", "sql"]}, "item_types"),
        ({"item_types": ["essay"]}, "item_types.0"),
        ({"grace_seconds": -1}, "grace_seconds"),
        ({"colour": "blue"}, "colour"),
        ({"profile_slug": "Not a slug"}, "profile_slug"),
    ],
)
def test_blueprint_field_errors(change: dict[str, Any], field: str) -> None:
    assert _fields(_document(**change)) == [field]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": 0}, "skills.0.weight"),
        ({"items": 21}, "skills.0.items"),
        ({"items": 0}, "skills.0.items"),
        ({"proficiency": 6}, "skills.0.proficiency"),
        ({"skill_id": "not-a-skill-zz"}, "skills.0.skill_id"),
    ],
)
def test_blueprint_skill_field_errors(change: dict[str, Any], field: str) -> None:
    document = _document()
    document["skills"][0].update(change)
    assert _fields(document) == [field]


def test_a_skill_may_appear_once() -> None:
    document = _document()
    document["skills"][1]["skill_id"] = document["skills"][0]["skill_id"]
    assert _fields(document) == ["skills"]
