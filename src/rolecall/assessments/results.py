"""What the hiring team sees of a session: scores per skill, percentile, each item, integrity signals.

The result never shows accommodations: extra time is between the candidate and the recruiter who
granted it, and the people who score must not know it. Percentile compares the total with everyone
who took the same blueprint version (a different version has different items, so comparing across
versions would compare different tests).

Integrity signals are facts with limits, spelled out next to them: a lost focus can be a second
monitor or a notification, a paste can be the candidate's own notes, an address change can be a
phone switching from Wi-Fi to mobile data. They are shown, never scored.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import grading, invitations, repository, statistics
from rolecall.assessments.models import AssessmentSession, AssessmentSignal
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation

SIGNAL_LIMITS = {
    "focus_lost": "The page lost focus. A second screen, a notification or a screen reader can do this too.",
    "paste": "Text was pasted. It may be the candidate's own notes or a snippet they typed elsewhere.",
    "address_changed": (
        "The network address changed. Phones moving between Wi-Fi and mobile data do this; it does not mean"
        " another person answered."
    ),
    "item_time": (
        "Time spent on a question, as the page measured it; a page left open in the background counts too."
    ),
}


def percentile_of(total: float, totals: Sequence[float]) -> float | None:
    """Percentile rank: share of takers below, plus half of those tied (so the middle of a tie is 50)."""
    if not totals:
        return None
    ordered = sorted(totals)
    below = bisect.bisect_left(ordered, total)
    tied = bisect.bisect_right(ordered, total) - below
    return round(100 * (below + tied / 2) / len(ordered), 1)


async def percentile(session: AsyncSession, record: AssessmentSession) -> float | None:
    if record.total is None or record.status not in ("scored", "marking"):
        return None
    totals = await repository.totals_of_blueprint(session, record.blueprint_id, record.blueprint_version)
    return percentile_of(record.total, totals)


def signal_summary(signals: Sequence[AssessmentSignal]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for signal in signals:
        if signal.kind in SIGNAL_LIMITS:
            counts[signal.kind] = counts.get(signal.kind, 0) + 1
    return [
        {"kind": kind, "count": count, "limits": SIGNAL_LIMITS[kind]}
        for kind, count in sorted(counts.items())
    ]


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 1) if start and end else None


async def result(session: AsyncSession, principal: Principal, session_id: uuid.UUID) -> dict[str, Any]:
    record = await invitations.get_session(session, session_id)
    versions = await grading.pinned_versions(session, record)
    marks = grading.latest_marks(await repository.marks(session, record.id))
    responses = await repository.responses(session, record.id)
    first_saved: dict[int, datetime] = {}
    for response in responses:
        first_saved.setdefault(response.position, response.recorded_at)
    items = []
    for pinned in record.items:
        position = pinned["position"]
        version = versions[position]
        content = grading.content_of(version)
        mark = marks.get(position)
        items.append(
            {
                "position": position,
                "item_id": uuid.UUID(pinned["item_id"]),
                "version": version.number,
                "skill_id": version.skill_id,
                "type": version.type,
                "prompt": content.prompt,
                "status": mark.status if mark else "unanswered",
                "credit": mark.credit if mark else None,
                "marked_by": mark.source if mark else None,
                "feedback": list((mark.detail or {}).get("feedback", [])) if mark else [],
                "seconds_to_first_answer": _seconds(record.started_at, first_saved.get(position)),
            }
        )
    return {
        "id": record.id,
        "job_id": record.job_id,
        "application_id": record.application_id,
        "candidate_id": record.candidate_id,
        "status": record.status,
        "blueprint_id": record.blueprint_id,
        "blueprint_version": record.blueprint_version,
        "submitted_at": record.submitted_at,
        "total": record.total,
        "percentile": await percentile(session, record),
        "pending_marking": record.pending_marking,
        "skills": record.skill_scores or [],
        "items": items,
        "signals": signal_summary(await repository.signals(session, record.id)),
        "seconds_taken": _seconds(record.started_at, record.submitted_at),
    }


def _records(
    rows: Sequence[tuple[uuid.UUID, float, float, list[dict[str, Any]]]], skill_of: dict[uuid.UUID, str]
) -> dict[uuid.UUID, list[tuple[float, float, float]]]:
    """(credit, total on 0-1, the item's share of the total) per version: what the point-biserial
    needs to correlate an item with the rest of the test."""
    out: dict[uuid.UUID, list[tuple[float, float, float]]] = {}
    for version_id, credit, total, skills in rows:
        share = statistics.item_share(skills, skill_of[version_id])
        out.setdefault(version_id, []).append((credit, total / 100.0, share))
    return out


async def item_statistics(session: AsyncSession, item_id: uuid.UUID) -> dict[str, Any]:
    """Difficulty and discrimination of each version of an item, from real scored answers."""
    versions = await repository.item_versions(session, item_id)
    skill_of = {v.id: v.skill_id for v in versions}
    records = _records(await repository.item_credits(session, list(skill_of)), skill_of)
    return {
        "item_id": item_id,
        "versions": [
            {"number": v.number, "status": v.status, **statistics.item_stats(records.get(v.id, [])).as_dict()}
            for v in versions
        ],
    }


async def refresh_flags(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Worker job: flag each organisation's items whose ready version misbehaves (and clear flags that
    no longer apply); returns how many items changed. Flags ask a person to review; they never take
    an item out of use."""
    changed = 0
    async with transaction(sessionmaker) as session:
        organisations = await repository.organisations_with_items(session)
    for organisation_id in organisations:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, organisation_id)
            ready = await repository.all_ready_versions(session)
            skill_of = {v.id: v.skill_id for v in ready}
            records = _records(await repository.item_credits(session, list(skill_of)), skill_of)
            flags = {v.item_id: statistics.item_stats(records.get(v.id, [])).flags for v in ready}
            for item_id, reasons in flags.items():
                item = await repository.get_item(session, item_id)
                if item is None:
                    continue
                reason = "; ".join(reasons)[:300] or None
                if item.flagged != bool(reasons) or item.flag_reason != reason:
                    item.flagged, item.flag_reason = bool(reasons), reason
                    item.version += 1
                    changed += 1
    return changed
