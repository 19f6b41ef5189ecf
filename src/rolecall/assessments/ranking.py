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
SHOWN = 3  # interview skills named per direction; the rest are in the overall mean
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


def _parts(candidate: Candidate) -> dict[str, float | None]:
    return {
        "assessment": candidate.assessment_total,
        "match": candidate.match_score,
        "scorecards": _scorecard_score(candidate),
    }


def _score(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    return round(sum(weights[k] * (NEUTRAL if v is None else v) for k, v in parts.items()), 2)


def explain(
    candidate: Candidate, weights: Mapping[str, float]
) -> tuple[float, dict[str, float | None], list[str], list[str], list[str]]:
    parts = _parts(candidate)
    return (_score(parts, weights), parts, *_reasons(candidate, parts))


def _reasons(
    candidate: Candidate, parts: Mapping[str, float | None]
) -> tuple[list[str], list[str], list[str]]:
    """What lifted the score, what lowered it, and what evidence is missing."""
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
    # Interviewers rate every skill of the profile (dozens): name the overall mean, then only the
    # few strongest and weakest skills, so the reasons stay readable.
    rated = sorted(candidate.scorecard_skills.values(), key=lambda named: (-named[1], named[0]))
    if rated:
        mean = sum(m for _, m in rated) / len(rated)
        overall = f"Interviews: {mean:.1f} of 4 on average over {len(rated)} skills"
        if mean >= 3:
            lifted.append(overall)
        elif mean < 2.5:
            lowered.append(overall)
        lifted += [f"{name}: rated {m:.1f} of 4 in interviews" for name, m in rated if m >= 3][:SHOWN]
        weakest = [f"{name}: rated {m:.1f} of 4 in interviews" for name, m in reversed(rated) if m < 2.5]
        lowered += weakest[:SHOWN]
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
    return lifted, lowered, missing


def order(
    candidates: Sequence[Candidate], weights: Mapping[str, float]
) -> list[tuple[int, float, Candidate]]:
    """(rank, score, candidate) for everyone, best first, without the explanations.

    The order needs only the scores, so a page of a long list is ranked with :func:`order` and then
    only the candidates on it are put through :func:`explained`: writing the explanations of ten
    thousand applications to show fifty cost three times as much as ordering them. Equal scores
    share a rank (1, 2, 2, 4) but keep a stable order: higher assessment total, earlier
    application, id.
    """
    weights = normalised(weights)
    scored = [(_score(_parts(candidate), weights), candidate) for candidate in candidates]
    scored.sort(
        key=lambda row: (
            -row[0],
            -(row[1].assessment_total if row[1].assessment_total is not None else -1.0),
            row[1].applied_at,
            row[1].application_id,
        )
    )
    out: list[tuple[int, float, Candidate]] = []
    previous: float | None = None
    current_rank = 0
    for i, (score, candidate) in enumerate(scored, start=1):
        if score != previous:
            current_rank, previous = i, score
        out.append((current_rank, score, candidate))
    return out


def explained(place: int, score: float, candidate: Candidate) -> Ranked:
    """One entry of :func:`order` with the reasons for its place."""
    parts = _parts(candidate)
    return Ranked(place, candidate, score, parts, *_reasons(candidate, parts))


def rank(candidates: Sequence[Candidate], weights: Mapping[str, float]) -> list[Ranked]:
    """Every candidate with a rank and an explanation, in the order of :func:`order`."""
    return [explained(*entry) for entry in order(candidates, weights)]
