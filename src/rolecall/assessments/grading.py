"""Scoring a submitted session: every answer against its pinned item version, then per skill and total.

The answer that counts for a position is its newest response (responses are append-only). Each
scoring writes marks (append-only too): the scorer's at submission, a person's for short texts, and
a person's correction later. The summary always reads the newest mark per position.

Skill score: the mean credit of the skill's items, 0-100. Total: the skills' scores weighted by the
blueprint's weights. Items waiting for a person are left out of both until they are marked, and the
session says how many are pending, so a provisional total is never mistaken for the final one.

The per-item scoring is pure CPU (and SQL items run a sandbox), so it runs in a worker thread: one
submission never holds up the event loop for everyone else.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import items as documents
from rolecall.assessments import planning, repository, scoring
from rolecall.assessments.models import (
    AssessmentItemVersion,
    AssessmentMark,
    AssessmentResponse,
    AssessmentSession,
)
from rolecall.platform.pii import KeyRing


def response_context(response_id: uuid.UUID) -> str:
    return f"assessment_response:{response_id}:answer"


def latest_responses(responses: Sequence[AssessmentResponse]) -> dict[int, AssessmentResponse]:
    latest: dict[int, AssessmentResponse] = {}
    for response in responses:  # oldest first, so the newest per position wins
        latest[response.position] = response
    return latest


def latest_marks(marks: Sequence[AssessmentMark]) -> dict[int, AssessmentMark]:
    latest: dict[int, AssessmentMark] = {}
    for mark in marks:
        latest[mark.position] = mark
    return latest


_CONTENTS: dict[uuid.UUID, documents.ItemContent] = {}
_CONTENT_LIMIT = 4096


def content_of(version: AssessmentItemVersion) -> documents.ItemContent:
    """A version's parsed document, remembered by version id: versions never change, and parsing
    (an SQL item's check runs its solution) is worth doing once per process, not per request."""
    content = _CONTENTS.get(version.id)
    if content is None:
        if len(_CONTENTS) >= _CONTENT_LIMIT:
            _CONTENTS.clear()
        content = _CONTENTS[version.id] = documents.parse_item(version.content, check_sql=False)
    return content


def answer_of(keyring: KeyRing, response: AssessmentResponse) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        keyring.decrypt(response.answer, context=response_context(response.id))
    )
    return value


async def pinned_versions(
    session: AsyncSession, record: AssessmentSession
) -> dict[int, AssessmentItemVersion]:
    by_id = await repository.versions_by_id(session, [uuid.UUID(i["version_id"]) for i in record.items])
    return {i["position"]: by_id[uuid.UUID(i["version_id"])] for i in record.items}


@dataclass(frozen=True)
class Summary:
    skill_scores: list[dict[str, Any]]
    total: float | None
    pending: int


def summarise(
    plan_skills: Sequence[dict[str, Any]], items: Sequence[dict[str, Any]], marks: dict[int, AssessmentMark]
) -> Summary:
    weights = {s["skill_id"]: float(s["weight"]) for s in plan_skills}
    names = {s["skill_id"]: s["name"] for s in plan_skills}
    credits: dict[str, list[float]] = {}
    pending = 0
    counts: dict[str, int] = {}
    for item in items:
        skill_id = item["skill_id"]
        counts[skill_id] = counts.get(skill_id, 0) + 1
        mark = marks.get(item["position"])
        if mark is None or mark.status == "pending_marking" or mark.credit is None:
            pending += 1 if mark is not None and mark.status == "pending_marking" else 0
            if mark is None or mark.status != "pending_marking":
                credits.setdefault(skill_id, []).append(0.0)  # unanswered counts as nothing
            continue
        credits.setdefault(skill_id, []).append(float(mark.credit))
    skill_scores = []
    weighted = weight_sum = 0.0
    for skill_id, weight in weights.items():
        got = credits.get(skill_id)
        score = round(100 * sum(got) / len(got), 1) if got else None
        skill_scores.append(
            {
                "skill_id": skill_id,
                "name": names[skill_id],
                "weight": weight,
                "items": counts.get(skill_id, 0),
                "scored_items": len(got or []),
                "score": score,
            }
        )
        if score is not None:
            weighted += weight * score
            weight_sum += weight
    total = round(weighted / weight_sum, 1) if weight_sum else None
    return Summary(skill_scores, total, pending)


def _score_all(
    contents: dict[int, documents.ItemContent], answers: Mapping[int, dict[str, Any] | None]
) -> dict[int, scoring.ItemScore]:
    return {
        position: scoring.score_answer(content, answers.get(position))
        for position, content in contents.items()
    }


async def grade(session: AsyncSession, record: AssessmentSession, keyring: KeyRing) -> Summary:
    """Score every position of a just-submitted session and write the summary onto it."""
    versions = await pinned_versions(session, record)
    latest = latest_responses(await repository.responses(session, record.id))
    contents = {position: content_of(v) for position, v in versions.items()}
    answers = {position: answer_of(keyring, r) for position, r in latest.items()}
    results = await asyncio.to_thread(_score_all, contents, answers)
    for position, result in results.items():
        response = latest.get(position)
        session.add(
            AssessmentMark(
                organisation_id=record.organisation_id,
                session_id=record.id,
                position=position,
                item_version_id=versions[position].id,
                response_id=response.id if response else None,
                credit=result.credit,
                status=result.status,
                source="auto",
                detail={"feedback": list(result.feedback), "errors": list(result.errors)},
            )
        )
    await session.flush()
    return await refresh_summary(session, record)


async def refresh_summary(session: AsyncSession, record: AssessmentSession) -> Summary:
    """Recompute the session's skill scores and total from its newest marks, against the blueprint
    version it was taken under (the blueprint's current version only if that one is gone)."""
    stored = await repository.blueprint_version(session, record.blueprint_id, record.blueprint_version)
    if stored is None:
        _, stored = await planning.blueprint_by_id(session, record.blueprint_id)
    plan = stored.document
    summary = summarise(
        plan["skills"], record.items, latest_marks(await repository.marks(session, record.id))
    )
    record.skill_scores, record.total, record.pending_marking = (
        summary.skill_scores,
        summary.total,
        summary.pending,
    )
    return summary
