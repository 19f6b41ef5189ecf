"""The ranking's order and explanations for crafted candidates (the pure function)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from rolecall.assessments.ranking import Candidate, normalised, rank

T0 = datetime(2026, 11, 1, tzinfo=UTC)
WEIGHTS = {"assessment": 0.5, "match": 0.2, "scorecards": 0.3}


def _candidate(n: int, **evidence: object) -> Candidate:
    return Candidate(
        application_id=uuid.UUID(int=n),
        candidate_id=uuid.UUID(int=1000 + n),
        stage="Skills assessment",
        applied_at=T0 + timedelta(hours=n),
        **evidence,  # type: ignore[arg-type]
    )


SQL = {"skill_id": "sql", "name": "SQL"}
REDIS = {"skill_id": "redis", "name": "Redis"}


def test_order_follows_the_weighted_evidence() -> None:
    strong = _candidate(
        1,
        match_score=80.0,
        assessment_total=90.0,
        assessment_skills=[{**SQL, "score": 95.0}, {**REDIS, "score": 85.0}],
        scorecard_skills={"system-design": ("System design", 3.5)},
        scorecards=2,
    )
    good_test_weak_resume = _candidate(2, match_score=40.0, assessment_total=85.0)
    resume_only = _candidate(3, match_score=95.0)
    weak = _candidate(4, match_score=60.0, assessment_total=30.0, assessment_skills=[{**SQL, "score": 20.0}])
    ranked = rank([weak, resume_only, good_test_weak_resume, strong], WEIGHTS)
    assert [r.candidate.application_id.int for r in ranked] == [1, 2, 3, 4]
    assert [r.rank for r in ranked] == [1, 2, 3, 4]
    first = ranked[0]
    assert first.score == round(0.5 * 90 + 0.2 * 80 + 0.3 * (100 * 2.5 / 3), 2)
    assert any("SQL" in text for text in first.lifted)
    assert not first.missing
    last = ranked[-1]
    assert any("SQL: 20/100" in text for text in last.lowered)
    assert any("scorecards" in text for text in last.missing)


def test_missing_evidence_is_neutral_and_named() -> None:
    nothing = _candidate(1)
    (entry,) = rank([nothing], WEIGHTS)
    assert entry.score == 50.0
    assert len(entry.missing) == 3
    assert entry.parts == {"assessment": None, "match": None, "scorecards": None}


def test_pending_marking_is_named_as_missing() -> None:
    pending = _candidate(1, assessment_total=70.0, assessment_pending=2)
    (entry,) = rank([pending], WEIGHTS)
    assert any(text == "2 assessment answer(s) still to be marked" for text in entry.missing)


def test_ties_share_a_rank_and_keep_a_stable_order() -> None:
    later_higher_test = _candidate(2, match_score=60.0, assessment_total=80.0)
    earlier_same = _candidate(1, match_score=60.0, assessment_total=80.0)
    lower_test_same_score = _candidate(3, match_score=85.0, assessment_total=70.0)  # 35+17 = 52 + 15
    ranked = rank([lower_test_same_score, later_higher_test, earlier_same], WEIGHTS)
    assert [r.candidate.application_id.int for r in ranked] == [1, 2, 3]
    assert [r.rank for r in ranked] == [1, 1, 1]
    assert rank(list(reversed([lower_test_same_score, later_higher_test, earlier_same])), WEIGHTS) == ranked


def test_weights_change_the_order() -> None:
    tested = _candidate(1, match_score=40.0, assessment_total=90.0)
    matched = _candidate(2, match_score=95.0, assessment_total=50.0)
    assert rank([tested, matched], WEIGHTS)[0].candidate is tested
    assert rank([tested, matched], {"assessment": 0.1, "match": 0.9, "scorecards": 0})[0].candidate is matched


def test_weights_are_normalised() -> None:
    assert normalised({"assessment": 2, "match": 1, "scorecards": 1}) == {
        "assessment": 0.5,
        "match": 0.25,
        "scorecards": 0.25,
    }
    assert sum(normalised({}).values()) == 1.0


def test_interview_reasons_name_the_mean_and_only_the_extremes() -> None:
    ratings = {f"skill-{i}": (f"Skill {i}", 4.0 if i < 6 else 1.5) for i in range(10)}
    (entry,) = rank([_candidate(1, scorecard_skills=ratings, scorecards=2)], WEIGHTS)
    interview_lines = [line for line in entry.lifted + entry.lowered if "interview" in line.lower()]
    assert "Interviews: 3.0 of 4 on average over 10 skills" in entry.lifted
    assert len([line for line in entry.lifted if "rated 4.0" in line]) == 3
    assert len([line for line in entry.lowered if "rated 1.5" in line]) == 3
    assert len(interview_lines) == 7
