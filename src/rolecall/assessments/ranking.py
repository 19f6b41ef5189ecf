"""Ranking a job's candidates from three kinds of evidence, with the reason for every place.

Evidence, each on a 0-100 scale:

* **assessment**: the total of the candidate's scored assessment for the job (the newest one);
* **match**: the application's match score against the job's profile level;
* **scorecards**: the mean of submitted interview ratings (1-4 mapped onto 0-100), over all skills.

The rank score is the weighted sum with the job's weights (normalised to add up to 1). Evidence that
does not exist yet counts as a neutral 50 and is named as missing in the explanation: counting it as
0 would bury people who have not been interviewed yet, and leaving it out would lift people about
whom less is known above people measured on everything.

The explanation lists what lifted the score (skills at or above 75 in the assessment, interview
averages of 3 or more, the match score's best parts) and what lowered it (skills under 50, interview
averages under 2.5, missing must-have skills), then what is missing. Ties keep a stable order:
higher assessment total first, then earlier application, then id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

NEUTRAL = 50.0
LIFT, LOWER = 75.0, 50.0
RATING_MIN, RATING_MAX = 1.0, 4.0
EVIDENCE = ("assessment", "match", "scorecards")


@dataclass(frozen=True)
class Candidate:
    """One application's evidence; ``None`` where that kind does not exist yet."""

    application_id: uuid.UUID
    candidate_id: uuid.UUID
    stage: str
    applied_at: datetime
    match_score: float | None = None
    assessment_total: float | None = None
    assessment_skills: Sequence[Mapping[str, Any]] = ()
    assessment_pending: int = 0
    scorecard_skills: Mapping[str, tuple[str, float]] = field(default_factory=dict)  # id -> (name, mean 1-4)
    scorecards: int = 0


@dataclass(frozen=True)
class Ranked:
    rank: int
    candidate: Candidate
    score: float
    parts: dict[str, float | None]
    lifted: list[str]
    lowered: list[str]
    missing: list[str]


def normalised(weights: Mapping[str, float]) -> dict[str, float]:
    clean = {k: max(0.0, float(weights.get(k, 0.0))) for k in EVIDENCE}
    total = sum(clean.values())
    if total <= 0:
        return {k: 1 / len(EVIDENCE) for k in EVIDENCE}
    return {k: v / total for k, v in clean.items()}


def rating_to_100(mean: float) -> float:
    return 100 * (mean - RATING_MIN) / (RATING_MAX - RATING_MIN)


def _scorecard_score(candidate: Candidate) -> float | None:
    if not candidate.scorecard_skills:
        return None
    means = [mean for _, mean in candidate.scorecard_skills.values()]
    return rating_to_100(sum(means) / len(means))


def explain(
    candidate: Candidate, weights: Mapping[str, float]
) -> tuple[float, dict[str, float | None], list[str], list[str], list[str]]:
    parts: dict[str, float | None] = {
        "assessment": candidate.assessment_total,
        "match": candidate.match_score,
        "scorecards": _scorecard_score(candidate),
    }
    score = sum(weights[k] * (NEUTRAL if v is None else v) for k, v in parts.items())
    lifted: list[str] = []
    lowered: list[str] = []
    missing: list[str] = []
    for skill in sorted(candidate.assessment_skills, key=lambda s: (-(s.get("score") or 0), s["name"])):
        value = skill.get("score")
        if value is None:
            continue
        if value >= LIFT:
            lifted.append(f"{skill['name']}: {value:g}/100 in the assessment")
        elif value < LOWER:
            lowered.append(f"{skill['name']}: {value:g}/100 in the assessment")
    for _skill_id, (name, mean) in sorted(candidate.scorecard_skills.items(), key=lambda kv: -kv[1][1]):
        if mean >= 3:
            lifted.append(f"{name}: rated {mean:.1f} of 4 in interviews")
        elif mean < 2.5:
            lowered.append(f"{name}: rated {mean:.1f} of 4 in interviews")
    if candidate.match_score is not None:
        if candidate.match_score >= LIFT:
            lifted.append(f"Match score {candidate.match_score:g}/100 against the role profile")
        elif candidate.match_score < LOWER:
            lowered.append(f"Match score {candidate.match_score:g}/100 against the role profile")
    if candidate.assessment_total is None:
        missing.append("No scored assessment yet (counted as a neutral 50)")
    elif candidate.assessment_pending:
        missing.append(f"{candidate.assessment_pending} assessment answer(s) still to be marked")
    if candidate.match_score is None:
        missing.append("No match score (no resume or profile evidence; counted as a neutral 50)")
    if parts["scorecards"] is None:
        missing.append("No submitted interview scorecards yet (counted as a neutral 50)")
    return round(score, 2), parts, lifted, lowered, missing


def rank(candidates: Sequence[Candidate], weights: Mapping[str, float]) -> list[Ranked]:
    """Every candidate with a rank; equal scores share a rank (1, 2, 2, 4) but keep a stable order."""
    weights = normalised(weights)
    scored = []
    for candidate in candidates:
        score, parts, lifted, lowered, missing = explain(candidate, weights)
        scored.append((score, candidate, parts, lifted, lowered, missing))
    scored.sort(
        key=lambda row: (
            -row[0],
            -(row[1].assessment_total if row[1].assessment_total is not None else -1.0),
            row[1].applied_at,
            row[1].application_id,
        )
    )
    out: list[Ranked] = []
    previous: float | None = None
    current_rank = 0
    for i, (score, candidate, parts, lifted, lowered, missing) in enumerate(scored, start=1):
        if score != previous:
            current_rank, previous = i, score
        out.append(Ranked(current_rank, candidate, score, parts, lifted, lowered, missing))
    return out
