"""Role profile documents and the packaged starter library (no database)."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from rolecall.roles.library import Library, LibraryError, PathRef, RoleProfile, load_library
from rolecall.roles.library.loader import read_profiles

STARTER_IDS = {
    "backend-engineer",
    "frontend-engineer",
    "fullstack-engineer",
    "mobile-engineer",
    "platform-engineer",
    "site-reliability-engineer",
    "data-engineer",
    "ml-engineer",
    "qa-engineer",
    "security-engineer",
    "engineering-manager",
    "software-architect",
}


def _doc(**overrides: Any) -> dict[str, Any]:
    """A small valid profile document; tests break one thing at a time."""
    doc: dict[str, Any] = {
        "id": "test-engineer",
        "title": "Test Engineer",
        "job_family": ["Engineering"],
        "soc_code": "15-1252.00",
        "summary": "A profile used by the tests.",
        "responsibilities": {"primary": ["Write software"], "secondary": []},
        "hard_skills": [{"name": "Postgres", "must_have": True, "proficiency": {"mid": 3, "senior": 4}}],
        "soft_skills": [{"name": "Mentoring", "must_have": False, "proficiency": {"senior": 3}}],
        "education": {"minimum": "None required", "fields_of_study": []},
        "experience_years": {"min": 2, "max": 10},
        "tools": {"version_control": ["Git"]},
        "typical_team_size": {"min": 3, "max": 6},
        "levels": [
            {"name": "mid", "experience_years": {"min": 2, "max": 5}, "scope": "A feature"},
            {
                "name": "senior",
                "experience_years": {"min": 5, "max": 10},
                "scope": "A service",
                "direct_reports": {"min": 0, "max": 2},
            },
        ],
        "career_paths": {"mid": {"advancement_to": [{"profile_id": "test-engineer", "level": "senior"}]}},
        "salary_bands": [
            {
                "level": "senior",
                "location": "Berlin",
                "currency": "EUR",
                "min": 70000,
                "max": 95000,
                "source": "test",
                "as_of": "2026-11-01",
            }
        ],
    }
    doc.update(overrides)
    return doc


def _parse(doc: dict[str, Any]) -> RoleProfile:
    return RoleProfile.model_validate_json(json.dumps(doc))


def _rejects(doc: dict[str, Any], *fragments: str) -> str:
    with pytest.raises(ValidationError) as info:
        _parse(doc)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# -- the starter library ----------------------------------------------------------------------


def test_all_starter_profiles_load() -> None:
    library = load_library()
    assert set(library.ids) == STARTER_IDS
    assert len(library) == 12
    for profile in library:
        assert profile.levels, profile.id
        assert all(skill.skill_id for skill in profile.skills), profile.id


def test_load_library_is_cached() -> None:
    assert load_library() is load_library()


def test_lead_backend_carries_the_seed_facts() -> None:
    profile = load_library().get("backend-engineer")
    lead = profile.level("lead")
    assert lead is not None
    assert (lead.experience_years.min, lead.experience_years.max) == (7, 12)
    assert lead.lead_experience_years is not None
    assert (lead.lead_experience_years.min, lead.lead_experience_years.max) == (3, 5)
    assert lead.direct_reports is not None
    assert (lead.direct_reports.min, lead.direct_reports.max) == (4, 6)
    (band,) = [b for b in profile.salary_bands if b.level == "lead"]
    assert (band.min, band.max, band.currency) == (100_000, 160_000, "USD")
    assert band.as_of == date(2026, 11, 1)
    assert "seed" in band.source.lower()
    skill_ids = {s.skill_id for s in profile.skills}
    expected = {
        "rest", "event-driven", "microservices", "sql", "postgresql", "redis", "kafka", "oauth2",
        "jwt", "docker", "kubernetes", "ci-cd", "prometheus", "grafana", "aws", "azure", "gcp",
        "mentoring", "code-review", "technical-writing", "domain-driven-design",
    }  # fmt: skip
    assert expected <= skill_ids, expected - skill_ids
    assert {"version_control", "ci_cd", "monitoring"} <= set(profile.tools)
    assert profile.level_names == ["junior", "mid", "senior", "lead", "principal"]


def test_lead_backend_career_paths_follow_the_seed() -> None:
    paths = load_library().paths("backend-engineer", "lead")
    assert PathRef(profile_id="backend-engineer", level="senior") in paths.entry_from
    assert PathRef(profile_id="engineering-manager", level="senior") in paths.advancement_to
    lateral = {ref.profile_id for ref in paths.lateral_moves}
    assert {"fullstack-engineer", "software-architect", "platform-engineer"} <= lateral


def test_paths_include_reverse_edges() -> None:
    library = load_library()
    # Only the back-end profile states "lead -> engineering manager"; the manager side sees it.
    manager = library.paths("engineering-manager", "senior")
    assert PathRef(profile_id="backend-engineer", level="lead") in manager.entry_from
    # Only SRE states "entered from back-end senior"; the back-end side sees it as a way up/out.
    senior = library.paths("backend-engineer", "senior")
    assert PathRef(profile_id="site-reliability-engineer", level="senior") in senior.advancement_to
    # Lateral moves are symmetric: platform never names back-end, yet back-end lead is listed.
    platform = library.paths("platform-engineer", "lead")
    assert PathRef(profile_id="backend-engineer", level="lead") in platform.lateral_moves


def test_paths_for_unknown_profile_or_level() -> None:
    library = load_library()
    with pytest.raises(KeyError, match="no role profile"):
        library.paths("astronaut", "lead")
    with pytest.raises(KeyError, match="no level"):
        library.paths("software-architect", "junior")


def test_skill_names_normalise_to_canonical_ids() -> None:
    profile = _parse(_doc())
    assert profile.hard_skills[0].name == "Postgres"
    assert profile.hard_skills[0].skill_id == "postgresql"
    backend = {s.name: s.skill_id for s in load_library().get("backend-engineer").skills}
    assert backend["Postgres"] == "postgresql"
    assert backend["Technical documentation"] == "technical-writing"


def test_round_trip_keeps_canonical_ids() -> None:
    profile = _parse(_doc())
    again = RoleProfile.model_validate_json(profile.model_dump_json())
    assert again == profile


# -- rejected documents -----------------------------------------------------------------------


def test_unknown_skills_are_listed() -> None:
    skills = [
        {"name": "Postgres", "must_have": True, "proficiency": {"mid": 3}},
        {"name": "Basket weaving for APIs", "must_have": True, "proficiency": {"mid": 3}},
        {"name": "Quantum yodelling", "must_have": False, "proficiency": {"mid": 1}},
    ]
    _rejects(
        _doc(hard_skills=skills), "unknown skill names", "'Basket weaving for APIs'", "'Quantum yodelling'"
    )


def test_stated_skill_id_must_match_the_taxonomy() -> None:
    skills = [{"name": "Postgres", "must_have": True, "proficiency": {"mid": 3}, "skill_id": "mysql"}]
    _rejects(_doc(hard_skills=skills), "resolves to 'postgresql'", "'mysql'")


def test_duplicate_skills_after_normalisation() -> None:
    skills = [
        {"name": "Postgres", "must_have": True, "proficiency": {"mid": 3}},
        {"name": "PostgreSQL", "must_have": False, "proficiency": {"mid": 3}},
    ]
    _rejects(_doc(hard_skills=skills), "duplicate skills", "postgresql")


def test_proficiency_for_a_missing_level() -> None:
    skills = [{"name": "Postgres", "must_have": True, "proficiency": {"lead": 4}}]
    _rejects(_doc(hard_skills=skills), "'Postgres'", "level(s) lead", "does not have")


@pytest.mark.parametrize("value", [0, 6])
def test_proficiency_out_of_range(value: int) -> None:
    skills = [{"name": "Postgres", "must_have": True, "proficiency": {"mid": value}}]
    _rejects(_doc(hard_skills=skills), "hard_skills.0.proficiency.mid")


def test_salary_min_above_max() -> None:
    doc = _doc()
    doc["salary_bands"][0].update(min=120_000, max=90_000)
    _rejects(doc, "salary min (120000) must not exceed max (90000)")


def test_salary_must_be_positive() -> None:
    doc = _doc()
    doc["salary_bands"][0].update(min=0)
    _rejects(doc, "salary_bands.0.min", "greater than 0")


def test_salary_currency_must_be_iso_code() -> None:
    doc = _doc()
    doc["salary_bands"][0].update(currency="euro")
    _rejects(doc, "salary_bands.0.currency")


def test_salary_for_a_missing_level() -> None:
    doc = _doc()
    doc["salary_bands"][0].update(level="principal")
    _rejects(doc, "salary_bands mention level(s) principal")


def test_unknown_level_name() -> None:
    doc = _doc()
    doc["levels"][1]["name"] = "wizard"
    _rejects(doc, "levels.1.name", "'junior', 'mid', 'senior', 'lead' or 'principal'")


def test_duplicate_levels() -> None:
    doc = _doc()
    doc["levels"][1]["name"] = "mid"
    _rejects(doc, "duplicate levels: 'mid'")


def test_levels_out_of_order() -> None:
    doc = _doc()
    doc["levels"].reverse()
    _rejects(doc, "ladder order", "got senior, mid")


def test_range_min_above_max() -> None:
    _rejects(
        _doc(experience_years={"min": 9, "max": 3}), "experience_years", "min (9) must not exceed max (3)"
    )


def test_extra_fields_are_forbidden() -> None:
    _rejects(_doc(salary="lots"), "salary", "Extra inputs are not permitted")


def test_strict_types() -> None:
    doc = _doc()
    doc["hard_skills"][0]["must_have"] = "yes"
    _rejects(doc, "hard_skills.0.must_have", "valid boolean")


def test_bad_soc_code_and_slug() -> None:
    _rejects(_doc(soc_code="151252"), "soc_code")
    _rejects(_doc(id="Back End!"), "id")


def test_career_paths_for_a_missing_level() -> None:
    doc = _doc(career_paths={"lead": {"entry_from": [{"profile_id": "test-engineer", "level": "mid"}]}})
    _rejects(doc, "career_paths mention level(s) lead")


# -- library-level checks ---------------------------------------------------------------------


def test_broken_career_references_are_listed() -> None:
    doc = _doc(
        career_paths={
            "mid": {
                "advancement_to": [{"profile_id": "nowhere-engineer", "level": "senior"}],
                "lateral_moves": [{"profile_id": "backend-engineer", "level": "senior"}],
            },
            "senior": {"entry_from": [{"profile_id": "software-architect", "level": "junior"}]},
        }
    )
    profiles = [*read_profiles(), _parse(doc)]
    with pytest.raises(LibraryError) as info:
        Library(profiles)
    message = str(info.value)
    assert "test-engineer/mid -> nowhere-engineer (no such profile)" in message
    assert "test-engineer/senior -> software-architect/junior" in message
    assert "backend-engineer/senior" not in message


def test_duplicate_profile_ids() -> None:
    profile = _parse(_doc())
    with pytest.raises(LibraryError, match="duplicate profile ids: test-engineer"):
        Library([profile, copy.deepcopy(profile)])


def test_self_reference_is_rejected() -> None:
    doc = _doc(career_paths={"mid": {"lateral_moves": [{"profile_id": "test-engineer", "level": "mid"}]}})
    with pytest.raises(LibraryError, match="itself"):
        Library([_parse(doc)])
