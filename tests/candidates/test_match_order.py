"""Crafted resumes rank in the order a recruiter would expect for a back-end lead, end to end.

Each resume is plain text, parsed and scored the way the apply path does it (skills, stated
proficiencies and years read from the text, resume evidence, the match score), against the
starter library's ``backend-engineer`` profile at ``lead``. The test asserts the ranking order,
not only the shape of the scores, and then applies with the same resumes through the public
endpoint to show the stored scores agree.
"""

from __future__ import annotations

import calendar
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from rolecall.candidates.matching import MatchScore, evidence_from_resume, score
from rolecall.candidates.resumes import ParsedResume, parse_resume
from rolecall.platform.clock import utcnow
from rolecall.roles.library.schema import RoleProfile
from rolecall.roles.service import library_profile
from tests.conftest import FrozenClock
from tests.factories import Tenant, apply, open_job

TODAY = date(2025, 6, 15)
LEVEL = "lead"
#: Best first: what the test asserts.
RANKING = ["expert", "strong", "stuffer", "junior", "unrelated", "soft"]


def crafted(today: date) -> dict[str, str]:
    """The six resumes; only the junior's work history depends on the date (two years to today)."""
    two_years_ago = f"{calendar.month_abbr[today.month]} {today.year - 2}"
    return {
        # Every must-have at or above what a lead needs, most nice-to-haves, 10 years.
        "expert": (
            "Ada Lovelace - Lead back-end engineer\n"
            "10 years of experience building and running payment platforms.\n"
            "Skills\n"
            "REST (expert), microservices (expert), system design (expert), SQL (expert)\n"
            "PostgreSQL (expert), design database scheme (expert), OAuth2 (expert), JWT (advanced)\n"
            "Docker (expert), Kubernetes (expert), CI/CD (expert), cloud technologies (expert)\n"
            "AWS (expert), "
            "performance optimisation (expert), unit testing (expert), code review (expert)\n"
            "Technical documentation (advanced), Kafka (advanced), Redis (advanced)\n"
            "Python (expert), Go (expert), incident management (advanced)\n"
            "Leadership, mentoring, communication\n"
            "Experience\n"
            "Principal engineer, Paylane, 2019 - present\n"
            "Senior engineer, Shopwise, 2015 - 2019\n"
        ),
        # Strong, but no OAuth2 anywhere: one must-have missing.
        "strong": (
            "Ben Okafor - Senior back-end engineer\n"
            "Over 8 years in software, most of it on high-traffic APIs.\n"
            "Skills: REST (advanced), microservices (advanced), system design (advanced), SQL (expert)\n"
            "Design database scheme (advanced), Docker (advanced), CI/CD (advanced)\n"
            "Cloud technologies (advanced), performance optimisation (advanced), unit testing (expert)\n"
            "Code review (advanced), technical documentation (advanced)\n"
            "Java (expert), Spring Boot (advanced), PostgreSQL (advanced), Redis (good), Kafka (good)\n"
            "Teamwork, ownership\n"
        ),
        # Every skill of the profile, hard and soft, as bare keywords; no years.
        "stuffer": (
            "Skills: REST, event-driven architecture, microservices, system design, SQL, PostgreSQL, "
            "design database scheme, Redis, Kafka, RabbitMQ, OAuth2, JWT, cryptography, Docker, "
            "Kubernetes, CI/CD, Prometheus, Grafana, cloud technologies, AWS, Azure, GCP, DDD, "
            "performance optimisation, unit testing, code review, technical documentation, "
            "incident management, Java, Python, Go, C#, Node.js, Spring Boot\n"
            "Leadership, mentoring, communication, problem solving, ownership, teamwork, adaptability, "
            "time management, stakeholder management, product thinking\n"
        ),
        # A few relevant skills, mentioned only, and two years of dated work history.
        "junior": (
            "Cleo Junior - Back-end developer\n"
            "Experience\n"
            f"Junior developer, Tinyapps, {two_years_ago} - present\n"
            "Built REST endpoints in Python backed by SQL, shipped with Docker; wrote unit tests.\n"
            "Education\n"
            "BSc Computer Science, Northbridge University, 2019 - 2022\n"
        ),
        # "Expert" everywhere, but in skills a back-end lead is not asked for.
        "unrelated": (
            "Dan Moreau - Front-end and mobile developer\n"
            "React (expert), Swift (expert), Kotlin (expert), CSS (expert), TypeScript (expert)\n"
            "Expert in interface polish; used Docker occasionally.\n"
        ),
        # Soft-skill words only, some of them with "expert".
        "soft": (
            "Eve Adams\n"
            "Leadership (expert), mentoring (expert), communication (expert)\n"
            "Teamwork, ownership, problem solving, stakeholder management, time management, adaptability\n"
        ),
    }


@pytest.fixture(scope="module")
def profile() -> RoleProfile:
    return library_profile("backend-engineer")


def scored(profile: RoleProfile, parsed: ParsedResume) -> MatchScore:
    """As the apply path scores an application with a resume and no years stated in the form."""
    return score(
        profile, LEVEL, evidence_from_resume(parsed.skills, None, resume_years=parsed.years_experience)
    )


def soft_ids(profile: RoleProfile) -> set[str]:
    return {s.skill_id for s in profile.soft_skills if LEVEL in s.proficiency and s.skill_id}


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedResume]:
    return {name: parse_resume(text.encode(), today=TODAY) for name, text in crafted(TODAY).items()}


def test_crafted_resumes_rank_in_order(profile: RoleProfile, parsed: dict[str, ParsedResume]) -> None:
    totals = {name: scored(profile, resume).total for name, resume in parsed.items()}
    assert sorted(totals, key=lambda name: -totals[name]) == RANKING
    # Strictly ordered: no two candidates tie, so the order is the score's, not the sort's.
    assert [totals[name] for name in RANKING] == sorted(set(totals.values()), reverse=True)


def test_what_each_resume_was_read_as(profile: RoleProfile, parsed: dict[str, ParsedResume]) -> None:
    years = {name: resume.years_experience for name, resume in parsed.items()}
    # Stated phrases, dated work history (education left out), or nothing.
    assert years == {
        "expert": 10.0,
        "strong": 8.0,
        "stuffer": None,
        "junior": 2.0,
        "unrelated": None,
        "soft": None,
    }
    levels = {name: {m.skill_id: m.proficiency for m in resume.skills} for name, resume in parsed.items()}
    assert levels["expert"]["kubernetes"] == 5
    assert levels["strong"]["redis"] == 3
    assert set(levels["stuffer"].values()) == {None}
    assert set(levels["junior"].values()) == {None}
    assert levels["unrelated"] == {
        "react": 5,
        "swift": 5,
        "kotlin": 5,
        "css": 5,
        "typescript": 5,
        "docker": None,  # "Expert in interface polish" does not touch Docker
    }


def test_soft_skills_are_not_assessed_and_share_no_points(
    profile: RoleProfile, parsed: dict[str, ParsedResume]
) -> None:
    soft = soft_ids(profile)
    assert soft  # the lead level asks for soft skills, or the test proves nothing
    names = {s.skill_id: s.name for s in profile.soft_skills}
    for name, resume in parsed.items():
        result = scored(profile, resume)
        assert sum(c.points for c in result.components) == result.total, name
        not_assessed = {c.skill_id: c for c in result.components if c.kind == "not_assessed"}
        assert set(not_assessed) == soft, name
        for skill_id, component in not_assessed.items():
            assert component.points == 0
            assert component.reason == f"{names[skill_id]} is not assessed from a resume."
        graded = {c.skill_id for c in result.components if c.kind != "not_assessed"}
        assert not graded & soft, name
    # The soft-skills-only resume earns nothing from them: its points are all experience.
    soft_only = scored(profile, parsed["soft"])
    assert [c.kind for c in soft_only.components if c.points] == ["experience_fit"]


def test_the_ranking_reflects_the_rules(profile: RoleProfile, parsed: dict[str, ParsedResume]) -> None:
    results = {name: scored(profile, resume) for name, resume in parsed.items()}
    must_missing = {
        name: sorted(c.skill_id or "" for c in result.components if c.kind == "missing_must_have")
        for name, result in results.items()
    }
    assert must_missing["expert"] == []
    assert must_missing["strong"] == ["oauth2"]
    assert must_missing["stuffer"] == []
    # Listing every keyword without a level earns half of each skill and the unknown-years half:
    # at most 40 + 10, below anyone who states levels for most must-haves.
    assert results["stuffer"].total <= 50 < results["strong"].total
    # Expert claims in skills the level does not ask for earn nothing: one Docker mention and the
    # neutral half for unknown years is all.
    unrelated = {c.skill_id for c in results["unrelated"].components if c.kind == "matching_skill"}
    assert unrelated == {"docker"}
    experience = {
        name: next(c for c in result.components if c.kind == "experience_fit")
        for name, result in results.items()
    }
    assert experience["junior"].reason == (
        "2 years of experience (found in the resume) is below the lead range of 7 to 12 years: "
        "proportionally less credit."
    )
    assert experience["expert"].points == 20


def test_stated_years_win_over_the_resume(profile: RoleProfile, parsed: dict[str, ParsedResume]) -> None:
    junior = parsed["junior"]
    stated = evidence_from_resume(junior.skills, 9, resume_years=junior.years_experience)
    assert (stated.years_experience, stated.years_source, stated.source) == (9, "stated", "resume")
    result = score(profile, LEVEL, stated)
    assert result.total > scored(profile, junior).total
    [fit] = [c for c in result.components if c.kind == "experience_fit"]
    assert "found in the resume" not in fit.reason


async def test_the_apply_path_ranks_them_the_same(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock, profile: RoleProfile
) -> None:
    today = utcnow().date()
    resumes = crafted(today)
    expected = {
        name: scored(profile, parse_resume(text.encode(), today=today)).total
        for name, text in resumes.items()
    }
    job = await open_job(client, app, tenant)  # the back-end engineer profile at lead
    totals: dict[str, int] = {}
    for name, text in resumes.items():
        applied = await apply(client, job["id"], email=f"{name}@example.com", resume=text.encode())
        body = (
            await client.get(f"/v1/applications/{applied['application_id']}", headers=tenant.headers)
        ).json()
        totals[name] = body["match_score"]
        evidence = body["match"]["evidence"]
        assert evidence["source"] == "resume"
        assert evidence["years_experience"] is None  # nothing stated in the form
        assert any(c["kind"] == "not_assessed" for c in body["match"]["components"])
    assert totals == expected
    assert sorted(totals, key=lambda name: -totals[name]) == RANKING
