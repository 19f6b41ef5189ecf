"""Proficiency stated next to a skill, and total years of experience, read from resume text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rolecall.candidates.proficiency import (
    LEVEL_WORDS,
    Claim,
    claim_near,
    experience_years,
    proficiency_of,
    years_to_proficiency,
)
from rolecall.candidates.resumes import extract_skills, parse_resume
from rolecall.platform.clock import set_clock

TODAY = date(2025, 6, 15)


def levels(text: str) -> dict[str, int | None]:
    return {m.skill_id: m.proficiency for m in extract_skills(text)}


@pytest.mark.parametrize(
    ("text", "skill_id", "expected"),
    [
        # words in brackets, after a colon or a dash, or right before the skill
        ("Kubernetes (expert)", "kubernetes", 5),
        ("Skills: Go — advanced, Python", "go", 4),
        ("Python: proficient", "python", 4),
        ("Python - Expert, Docker - basic", "docker", 1),
        ("basic SQL", "sql", 1),
        ("Working knowledge of SQL", "sql", 2),
        ("Familiar with Docker", "docker", 2),
        ("Intermediate Java", "java", 3),
        ("Good understanding of Redis", "redis", 3),
        ("Highly proficient in Python", "python", 4),
        ("Strong PostgreSQL skills", "postgresql", 4),
        ("expert-level Kubernetes", "kubernetes", 5),
        ("Terraform (EKS modules, expert)", "terraform", 5),
        # years, on the years scale
        ("5 years of Go and Python", "go", 4),
        ("Go (3 yrs), Python", "go", 3),
        ("7+ years with PostgreSQL", "postgresql", 4),
        ("10 years of professional experience in Java", "java", 5),
        ("Python - 2 years", "python", 2),
        ("Rust (6 months), Python", "rust", 1),
        ("Kafka for four years", "kafka", 3),
        # the explicit word wins over years, next to one mention or across mentions
        ("Go (advanced, 9 years), Python", "go", 4),
        ("Docker (good)\n9 years with Docker", "docker", 3),
        # between words, the highest claim wins
        ("Python (expert)\nBasic Python scripts for reports", "python", 5),
    ],
)
def test_stated_proficiency(text: str, skill_id: str, expected: int) -> None:
    assert levels(text)[skill_id] == expected


@pytest.mark.parametrize(
    ("text", "skill_id"),
    [
        # "expert" in the same line but not touching the skill
        ("Recognised as an expert by my team; ran Kubernetes in production", "kubernetes"),
        ("Expert: Kubernetes, Docker", "docker"),
        ("Proficient in Python and Go", "go"),
        ("Kubernetes and Docker (expert)", "kubernetes"),
        # the phrase after a dash or in brackets must be nothing but the claim
        ("Kafka - advanced stream processing", "kafka"),
        ("Python (used by the expert team)", "python"),
        ("Python: Django, Flask, expert", "python"),
        # "working" and "familiar" only with their companions
        ("Working with Python daily", "python"),
        ("Working Python code for Docker", "python"),
        # a number that is not years, and implausible years
        ("Kubernetes for 200 customers", "kubernetes"),
        ("Python (60 years)", "python"),
        # a plain list
        ("Languages: Go, Python, Rust", "go"),
    ],
)
def test_no_claim_unless_adjacent(text: str, skill_id: str) -> None:
    found = levels(text)
    assert skill_id in found  # the skill itself is found, or the test proves nothing
    assert found[skill_id] is None


def test_go_to_market_is_neither_a_skill_nor_a_claim() -> None:
    # "Go" as an English word is not a mention, so nothing next to it can be a claim.
    assert levels("Expert go-to-market plans; Go to market in 5 years") == {}
    assert "go" not in levels("Led the go to market strategy (expert)")


def test_claim_near_reads_only_the_given_mention() -> None:
    line = "Python (expert), Go (3 yrs), basic SQL"
    assert claim_near(line, 0, 6) == Claim(word=5)
    assert claim_near(line, 17, 19) == Claim(years=3.0)
    assert claim_near(line, line.index("SQL"), len(line)) == Claim(word=1)


@pytest.mark.parametrize(
    ("years", "level"),
    [(0, 1), (0.5, 1), (1, 2), (2, 2), (2.5, 2), (3, 3), (4, 3), (5, 4), (7, 4), (8, 5), (30, 5)],
)
def test_years_scale(years: float, level: int) -> None:
    assert years_to_proficiency(years) == level


def test_proficiency_of_prefers_words_then_most_years() -> None:
    assert proficiency_of([]) is None
    assert proficiency_of([Claim()]) is None
    assert proficiency_of([Claim(years=9), Claim(word=2)]) == 2
    assert proficiency_of([Claim(years=1), Claim(years=6)]) == 4
    assert proficiency_of([Claim(word=3, years=9), Claim(word=4)]) == 4


def test_level_words_cover_the_documented_table() -> None:
    assert {level: sorted(w for w, n in LEVEL_WORDS.items() if n == level) for level in range(1, 6)} == {
        1: ["basic", "beginner", "elementary", "novice"],
        2: ["familiar", "working"],
        3: ["competent", "good", "intermediate"],
        4: ["advanced", "proficient", "strong"],
        5: ["expert"],
    }


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("10 years of experience building payment APIs.", 10.0),
        ("Over 8 years in software, mostly back ends.", 8.0),
        ("Experience: 6+ years", 6.0),
        ("8+ years\u2019 professional experience; 3 years of experience with Kafka", 8.0),
        ("Nine years of industry experience", 9.0),
        # stated figures win over dates
        ("12 years of experience\nAcme, 2023 - present", 12.0),
        # dated work history
        ("Acme, Jan 2019 - Dec 2022", 4.0),
        ("Acme, 03/2018 - 06/2021", 3.3),
        ("Acme, 2015 - 2019", 4.0),
        ("Acme, 2015 \u2013 present", 10.0),
        ("Acme, Jun 2023 to now", 2.0),
        # overlapping jobs are not counted twice: Jan 2018 to Dec 2022 is five years
        ("Acme, Jan 2018 - Dec 2020\nSide gig, Jan 2019 - Dec 2022", 5.0),
        # gaps are not counted either
        ("Acme, Jan 2010 - Dec 2011\nBeta, Jan 2020 - Dec 2020", 3.0),
        # education is not work, under its heading or on a line naming a degree
        ("Education\nTechnical University, 2010 - 2014\nExperience\nAcme, Jan 2015 - Dec 2016", 2.0),
        ("BSc Computer Science, Jan 2012 - Dec 2015\nAcme, Jan 2016 - Dec 2016", 1.0),
    ],
)
def test_experience_years(text: str, years: float) -> None:
    assert experience_years(text, TODAY) == years


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Python, Go and Kubernetes",
        "5 years of Go",  # years with one skill are not a career
        "Acme, 2024 - 2027",  # ends in the future
        "Acme, Jan 2026 - present",  # starts in the future
        "60 years of experience",  # implausible
        "Acme, 1960 - 2020",  # implausible range
        "Acme, 2019 - 2015",  # backwards
    ],
)
def test_experience_years_unknown(text: str) -> None:
    assert experience_years(text, TODAY) is None


def test_parse_resume_reads_years_with_the_platform_clock() -> None:
    text = b"Back-end engineer\nAcme, Jan 2020 - present\nPython (expert), Docker\n"
    set_clock(lambda: datetime(2024, 12, 31, 12, tzinfo=UTC))
    try:
        parsed = parse_resume(text)
    finally:
        set_clock(None)
    assert parsed.years_experience == 5.0
    assert {m.skill_id: m.proficiency for m in parsed.skills} == {"python": 5, "docker": None}
    assert parse_resume(text, today=date(2022, 12, 31)).years_experience == 3.0
