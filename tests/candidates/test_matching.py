"""Match score against the starter library's back-end engineer profile (lead and junior levels)."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from rolecall.candidates.matching import (
    CandidateEvidence,
    MatchScore,
    evidence_from_resume,
    resume_evidence,
    score,
)
from rolecall.candidates.resumes import extract_skills
from rolecall.roles.library.loader import load_library
from rolecall.roles.library.schema import Level, RoleProfile, SkillRequirement


@pytest.fixture(scope="module")
def profile() -> RoleProfile:
    return load_library().get("backend-engineer")


def asked(profile: RoleProfile, level: Level) -> list[SkillRequirement]:
    return [s for s in profile.skills if level in s.proficiency]


def skill_id(skill: SkillRequirement) -> str:
    assert skill.skill_id is not None
    return skill.skill_id


def perfect(profile: RoleProfile, level: Level, years: float) -> CandidateEvidence:
    return CandidateEvidence(
        skills={skill_id(s): s.proficiency[level] for s in asked(profile, level)}, years_experience=years
    )


def kinds(result: MatchScore, kind: str) -> list[str]:
    return [c.skill_id or "" for c in result.components if c.kind == kind]


def points_of(result: MatchScore, kind: str, sid: str | None = None) -> float:
    return sum(c.points for c in result.components if c.kind == kind and (sid is None or c.skill_id == sid))


def assert_sums(result: MatchScore) -> None:
    assert sum(c.points for c in result.components) == result.total
    assert sum(reversed([c.points for c in result.components])) == result.total


@pytest.mark.parametrize(("level", "years"), [("lead", 9), ("junior", 1)])
def test_perfect_candidate_scores_100(profile: RoleProfile, level: Level, years: float) -> None:
    result = score(profile, level, perfect(profile, level, years))
    assert result.total == 100
    assert_sums(result)
    assert sorted(kinds(result, "matching_skill")) == sorted(skill_id(s) for s in asked(profile, level))
    assert kinds(result, "missing_must_have") == []
    assert kinds(result, "proficiency_gap") == []
    assert points_of(result, "experience_fit") == 20


def test_proficiency_above_expectation_earns_no_bonus(profile: RoleProfile) -> None:
    evidence = CandidateEvidence(
        skills={skill_id(s): 5 for s in asked(profile, "junior")}, years_experience=1
    )
    assert score(profile, "junior", evidence).total == 100


@pytest.mark.parametrize("level", ["lead", "junior"])
def test_nothing_known_scores_low_with_every_must_have_missing(profile: RoleProfile, level: Level) -> None:
    result = score(profile, level, CandidateEvidence(skills={}, years_experience=None))
    must = sorted(skill_id(s) for s in asked(profile, level) if s.must_have)
    assert must  # the profile has must-haves at this level, or the test proves nothing
    assert sorted(kinds(result, "missing_must_have")) == must
    assert all(c.points == 0 for c in result.components if c.kind == "missing_must_have")
    assert kinds(result, "matching_skill") == []
    # Unknown experience is a neutral half of the experience points, and nothing else scores.
    assert result.total == 10
    assert points_of(result, "experience_fit") == 10
    assert_sums(result)


def test_missing_must_have_reason_names_skill_and_expectation(profile: RoleProfile) -> None:
    result = score(profile, "lead", CandidateEvidence(skills={}, years_experience=None))
    postgres = next(s for s in profile.skills if s.skill_id == "sql")
    reasons = [c.reason for c in result.components if c.skill_id == "sql"]
    assert reasons == [f"Missing must-have skill {postgres.name} (expected proficiency 4 of 5)."]


def test_missing_nice_to_have_is_not_a_component(profile: RoleProfile) -> None:
    evidence = perfect(profile, "lead", 9)
    nice = next(s for s in asked(profile, "lead") if not s.must_have)
    skills = dict(evidence.skills)
    del skills[skill_id(nice)]
    result = score(profile, "lead", CandidateEvidence(skills=skills, years_experience=9))
    assert skill_id(nice) not in [c.skill_id for c in result.components]
    assert result.total < 100


def test_must_haves_weigh_more_than_nice_to_haves(profile: RoleProfile) -> None:
    must = [s for s in asked(profile, "lead") if s.must_have]
    nice = [s for s in asked(profile, "lead") if not s.must_have]
    only_must = CandidateEvidence(skills={skill_id(s): 4 for s in must}, years_experience=9)
    only_nice = CandidateEvidence(skills={skill_id(s): 5 for s in nice}, years_experience=9)
    assert score(profile, "lead", only_must).total > score(profile, "lead", only_nice).total
    a_must = score(profile, "lead", CandidateEvidence(skills={skill_id(must[0]): 5}))
    a_nice = score(profile, "lead", CandidateEvidence(skills={skill_id(nice[0]): 5}))
    assert points_of(a_must, "matching_skill") > 2 * points_of(a_nice, "matching_skill")


def test_proficiency_gaps_reduce_score_and_appear(profile: RoleProfile) -> None:
    full = perfect(profile, "lead", 9)
    skills = dict(full.skills)
    skills["sql"] = 2  # lead expects 4
    skills["docker"] = 1  # lead expects 4
    result = score(profile, "lead", CandidateEvidence(skills=skills, years_experience=9))
    assert result.total < 100
    assert sorted(kinds(result, "proficiency_gap")) == ["docker", "sql"]
    assert points_of(result, "proficiency_gap", "sql") < 0
    # A bigger gap costs more.
    assert points_of(result, "proficiency_gap", "docker") < points_of(result, "proficiency_gap", "sql")
    # The skill still nets stated/expected of its weight: sql half, docker a quarter.
    sql_net = points_of(result, "matching_skill", "sql") + points_of(result, "proficiency_gap", "sql")
    assert sql_net == pytest.approx(points_of(result, "matching_skill", "sql") / 2, abs=0.5)
    gap = next(c for c in result.components if c.kind == "proficiency_gap" and c.skill_id == "sql")
    assert gap.skill == "SQL"
    assert gap.reason == "Proficiency gap in SQL: 2 of 5 stated, 4 of 5 expected."
    assert_sums(result)


def test_mention_without_proficiency_earns_partial_credit(profile: RoleProfile) -> None:
    stated = score(profile, "lead", CandidateEvidence(skills={"sql": 4}))
    mentioned = score(profile, "lead", CandidateEvidence(skills={"sql": None}))
    full = points_of(stated, "matching_skill", "sql")
    half = points_of(mentioned, "matching_skill", "sql")
    assert 0 < half < full
    assert half == pytest.approx(full / 2, abs=0.25)
    assert kinds(mentioned, "proficiency_gap") == []


def test_experience_below_range_scores_less_than_inside(profile: RoleProfile) -> None:
    base = perfect(profile, "lead", 9).skills  # lead range 7-12 years
    inside = score(profile, "lead", CandidateEvidence(skills=base, years_experience=7))
    below = score(profile, "lead", CandidateEvidence(skills=base, years_experience=3.5))
    none = score(profile, "lead", CandidateEvidence(skills=base, years_experience=0))
    assert points_of(inside, "experience_fit") == 20
    assert points_of(below, "experience_fit") == 10  # 3.5 of 7 years: proportionally half
    assert points_of(none, "experience_fit") == 0
    assert inside.total == 100 > below.total == 90 > none.total == 80
    [reason] = [c.reason for c in below.components if c.kind == "experience_fit"]
    assert "below the lead range of 7 to 12 years" in reason


def test_experience_above_range_is_not_deducted(profile: RoleProfile) -> None:
    base = perfect(profile, "junior", 1).skills  # junior range 0-2 years
    above = score(profile, "junior", CandidateEvidence(skills=base, years_experience=25))
    assert above.total == 100
    [reason] = [c.reason for c in above.components if c.kind == "experience_fit"]
    assert "above the junior range of 0 to 2 years" in reason


def test_skills_the_level_does_not_ask_for_are_ignored(profile: RoleProfile) -> None:
    not_junior = next(s for s in profile.skills if "junior" not in s.proficiency)
    plain = score(profile, "junior", CandidateEvidence(skills={}, years_experience=1))
    extra = score(
        profile, "junior", CandidateEvidence(skills={skill_id(not_junior): 5, "cobol": 5}, years_experience=1)
    )
    assert extra == plain
    assert skill_id(not_junior) not in [c.skill_id for c in extra.components]


def random_evidence(rng: random.Random, profile: RoleProfile) -> CandidateEvidence:
    pool = [skill_id(s) for s in profile.skills] + ["cobol", "fortran"]
    chosen = rng.sample(pool, rng.randint(0, len(pool)))
    skills = {sid: rng.choice([None, 1, 2, 3, 4, 5]) for sid in chosen}
    years = rng.choice([None, 0.0, round(rng.uniform(0, 30), rng.randint(0, 3))])
    return CandidateEvidence(skills=skills, years_experience=years)


def test_points_sum_to_total_for_random_evidence(profile: RoleProfile) -> None:
    rng = random.Random(20240605)
    totals = set()
    for _ in range(600):
        level = rng.choice(profile.level_names)
        result = score(profile, level, random_evidence(rng, profile))
        assert 0 <= result.total <= 100
        assert_sums(result)
        for c in result.components:
            assert c.points * 4 == int(c.points * 4)  # quarter steps
            if c.kind == "missing_must_have":
                assert c.points == 0
            elif c.kind == "proficiency_gap":
                assert c.points < 0
            elif c.kind == "matching_skill":
                # Only a total that rounds to 0 (under half a point in all) can zero a credit.
                assert c.points > 0 or result.total == 0
            else:
                assert c.points >= 0
        totals.add(result.total)
    assert len(totals) > 30  # the sample really spans the range


def test_credit_under_half_a_point_in_all_rounds_to_zero(profile: RoleProfile) -> None:
    # One nice-to-have mention at lead earns about 0.47 points: the total rounds to 0, and the
    # components follow it so they still add up.
    result = score(profile, "lead", CandidateEvidence(skills={"azure": None}, years_experience=0))
    assert result.total == 0
    assert_sums(result)
    assert kinds(result, "matching_skill") == ["azure"]
    # With a second mention the total is 1 and both credits stay visible.
    two = score(profile, "lead", CandidateEvidence(skills={"azure": None, "gcp": None}, years_experience=0))
    assert two.total == 1
    assert all(c.points > 0 for c in two.components if c.kind == "matching_skill")
    assert_sums(two)


def test_deterministic_and_ordered(profile: RoleProfile) -> None:
    rng = random.Random(7)
    order = ["matching_skill", "proficiency_gap", "missing_must_have", "experience_fit"]
    for _ in range(50):
        evidence = random_evidence(rng, profile)
        shuffled = list(evidence.skills.items())
        rng.shuffle(shuffled)
        again = CandidateEvidence(skills=dict(shuffled), years_experience=evidence.years_experience)
        first = score(profile, "lead", evidence)
        assert score(profile, "lead", again) == first
        keys = [(order.index(c.kind), -abs(c.points), c.skill_id or "") for c in first.components]
        assert keys == sorted(keys)
        assert [c.kind for c in first.components].count("experience_fit") == 1


def test_unknown_level_raises(profile: RoleProfile) -> None:
    with pytest.raises(ValueError, match="no level 'intern'"):
        score(profile, "intern", CandidateEvidence())
    # A real level name the profile does not have is refused too.
    trimmed = profile.model_copy(update={"levels": [lv for lv in profile.levels if lv.name != "principal"]})
    with pytest.raises(ValueError, match="no level 'principal'"):
        score(trimmed, "principal", CandidateEvidence())


def test_reasons_use_display_names(profile: RoleProfile) -> None:
    # "postgresql" is written "Postgres" in the profile: reasons show that, never the id.
    evidence = CandidateEvidence(skills={"postgresql": None, "docker": 2}, years_experience=None)
    result = score(profile, "lead", evidence)
    for component in result.components:
        if component.skill_id is None:
            continue
        requirement = next(s for s in profile.skills if s.skill_id == component.skill_id)
        assert component.skill == requirement.name
        assert requirement.name in component.reason
    esco = [c for c in result.components if (c.skill_id or "").startswith("esco:")]
    assert esco
    assert all("esco:" not in c.reason for c in esco)
    [postgres] = [c for c in result.components if c.skill_id == "postgresql"]
    assert postgres.reason.startswith("Mentions nice-to-have skill Postgres, proficiency not stated")


def test_evidence_from_resume(profile: RoleProfile) -> None:
    mentions = extract_skills("Built REST services with Docker and PostgreSQL; Docker daily.")
    evidence = evidence_from_resume(mentions, 8)
    assert evidence.skills == {"rest": None, "docker": None, "postgresql": None}
    assert evidence.years_experience == 8
    assert evidence.source == "resume"
    result = score(profile, "lead", evidence)
    assert sorted(kinds(result, "matching_skill")) == ["docker", "postgresql", "rest"]
    assert kinds(result, "proficiency_gap") == []
    assert "rest" not in kinds(result, "missing_must_have")


def test_evidence_from_resume_carries_stated_proficiency(profile: RoleProfile) -> None:
    mentions = extract_skills("REST (expert), Docker: basic, PostgreSQL")
    evidence = evidence_from_resume(mentions, None, resume_years=9)
    assert evidence.skills == {"rest": 5, "docker": 1, "postgresql": None}
    assert (evidence.years_experience, evidence.years_source) == (9, "resume")
    result = score(profile, "lead", evidence)
    assert kinds(result, "proficiency_gap") == ["docker"]
    [rest] = [c.reason for c in result.components if c.skill_id == "rest"]
    assert rest == "Has must-have skill REST at proficiency 5 of 5 (expected 4 of 5): full credit."


def test_evidence_is_validated_and_frozen() -> None:
    with pytest.raises(ValidationError):
        CandidateEvidence(skills={"sql": 6})
    with pytest.raises(ValidationError):
        CandidateEvidence(skills={"sql": 0})
    with pytest.raises(ValidationError):
        CandidateEvidence(years_experience=-1)
    evidence = CandidateEvidence(skills={"sql": 3})
    with pytest.raises(ValidationError):
        evidence.years_experience = 3  # type: ignore[misc]


def hard_perfect(profile: RoleProfile, level: Level) -> dict[str, int | None]:
    soft = {s.skill_id for s in profile.soft_skills}
    return {skill_id(s): s.proficiency[level] for s in asked(profile, level) if s.skill_id not in soft}


def test_resume_evidence_leaves_soft_skills_unassessed(profile: RoleProfile) -> None:
    soft = sorted(skill_id(s) for s in profile.soft_skills if "lead" in s.proficiency)
    assert soft  # the lead level asks for soft skills, or the test proves nothing
    # Every hard skill at the expected level: full marks from a resume, soft skills or not.
    evidence = resume_evidence(hard_perfect(profile, "lead"), stated_years=9, resume_years=None)
    result = score(profile, "lead", evidence)
    assert result.total == 100
    assert_sums(result)
    assert sorted(kinds(result, "not_assessed")) == soft
    assert kinds(result, "missing_must_have") == []
    leadership = next(c for c in result.components if c.skill_id == "leadership")
    assert (leadership.points, leadership.reason) == (0, "Leadership is not assessed from a resume.")
    # A soft skill the resume names or even rates changes nothing.
    rated = resume_evidence(
        {**hard_perfect(profile, "lead"), "leadership": 5, "teamwork": None},
        stated_years=9,
        resume_years=None,
    )
    assert score(profile, "lead", rated) == result
    # Stated evidence scores soft skills as before: missing must-haves, and a share of the points.
    stated = score(
        profile, "lead", CandidateEvidence(skills=hard_perfect(profile, "lead"), years_experience=9)
    )
    assert "leadership" in kinds(stated, "missing_must_have")
    assert kinds(stated, "not_assessed") == []
    assert stated.total < 100


def test_not_assessed_sorts_before_experience(profile: RoleProfile) -> None:
    result = score(profile, "lead", resume_evidence({"sql": None}, stated_years=None, resume_years=None))
    order = [c.kind for c in result.components]
    assert order.index("missing_must_have") < order.index("not_assessed") < order.index("experience_fit")
    assert order[-1] == "experience_fit"
    assert_sums(result)


def test_resume_years_count_when_none_are_stated(profile: RoleProfile) -> None:
    found = resume_evidence({}, stated_years=None, resume_years=3.5)
    assert (found.years_experience, found.years_source, found.source) == (3.5, "resume", "resume")
    [fit] = [c for c in score(profile, "lead", found).components if c.kind == "experience_fit"]
    assert fit.points == 10
    assert fit.reason.startswith("3.5 years of experience (found in the resume) is below the lead range")
    stated = resume_evidence({}, stated_years=8, resume_years=3.5)
    assert (stated.years_experience, stated.years_source) == (8, "stated")
    unknown = resume_evidence({}, stated_years=None, resume_years=None)
    assert (unknown.years_experience, unknown.years_source) == (None, "stated")


def test_points_sum_to_total_for_random_resume_evidence(profile: RoleProfile) -> None:
    rng = random.Random(20240606)
    for _ in range(300):
        level = rng.choice(profile.level_names)
        drawn = random_evidence(rng, profile)
        evidence = resume_evidence(drawn.skills, stated_years=drawn.years_experience, resume_years=None)
        result = score(profile, level, evidence)
        assert_sums(result)
        soft = {s.skill_id for s in profile.soft_skills if level in s.proficiency}
        assert {c.skill_id for c in result.components if c.kind == "not_assessed"} == soft
        assert all(c.points == 0 for c in result.components if c.kind == "not_assessed")
