"""The demo's assessment: the Lead Back-End Engineer job gets a blueprint, and its candidates take it.

The blueprint is generated before the demo candidates arrive, so moving them into the "Skills
assessment" stage invites them the way it would in production (the automatic invitation). Those
still active afterwards then take the test through the same functions the candidate pages call:
a link is issued, the clock starts, answers are saved one by one, the attempt is submitted and
scored at once, and the hiring manager marks the short texts. Each person answers a different
share of the questions correctly, so the ranking has something to explain.
"""

from __future__ import annotations

import uuid
import zlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import grading, marking, planning, repository, taking
from rolecall.assessments import items as documents
from rolecall.assessments.invitations import reissue_link
from rolecall.config import Settings
from rolecall.identity.permissions import Role, scopes_for_roles
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.errors import ProblemError
from rolecall.platform.pagination import PageParams
from rolecall.platform.tenancy import bind_organisation

# How often each demo candidate answers right, by the stage they are in after the pipeline demo.
ACCURACY = {"Skills assessment": 0.9, "Technical interview": 0.8, "Team interview": 0.55, "Offer": 0.7}


def _staff(user_id: uuid.UUID, organisation_id: uuid.UUID, role: Role) -> Principal:
    return Principal("user", user_id, organisation_id, scopes_for_roles([role]), frozenset({role}))


async def add_blueprint(session: AsyncSession, admin: Principal, job_id: uuid.UUID) -> None:
    """Generate the demo job's blueprint once (before candidates arrive)."""
    if await repository.blueprint_of_job(session, job_id) is None:
        await planning.generate_blueprint(session, admin, job_id)


def _answer(content: documents.ItemContent, right: bool) -> dict[str, Any]:
    data = content.model_dump(by_alias=True)
    kind = data["type"]
    if kind == "single_choice":
        return {"choice": data["answer"] if right else (data["answer"] + 1) % len(data["options"])}
    if kind == "multiple_choice":
        wrong = [i for i in range(len(data["options"])) if i not in data["answers"]][:1]
        return {"choices": data["answers"] if right else wrong}
    if kind == "numeric":
        return {"value": data["answer"] if right else data["answer"] * 3 + 7}
    if kind == "ordering":
        order = list(range(len(data["options"])))
        return {"order": order if right else order[::-1]}
    if kind == "sql":
        return {"query": data["solution"] if right else "SELECT 1 AS answer"}
    text = data.get("model_answer") or "I would measure first, then change one thing at a time."
    return {"text": text if right else "I am not sure; I would look it up."}


def _is_right(application_id: uuid.UUID, position: int, accuracy: float) -> bool:
    """Deterministic per person and question, so every demo run tells the same story."""
    return zlib.crc32(f"{application_id}:{position}".encode()) % 100 < accuracy * 100


async def take_assessments(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    organisation_id: uuid.UUID,
    admin_id: uuid.UUID,
    manager_id: uuid.UUID,
    job_id: uuid.UUID,
) -> int:
    """Let the invited demo candidates take the test; returns how many did."""
    index, keyring = settings.blind_index(), settings.pii_keyring()
    admin = _staff(admin_id, organisation_id, Role.ADMIN)
    manager = _staff(manager_id, organisation_id, Role.HIRING_MANAGER)
    taken = 0
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        sessions, _ = await planning_sessions(session, job_id)
        for record in sessions:
            if record.status != "invited" or record.application_id is None:
                continue
            facts = await pipeline.application_facts(session, record.application_id)
            accuracy = ACCURACY.get(facts.stage)
            if accuracy is None:
                continue
            _, token = await reissue_link(session, admin, record.id, index)
            await taking.start(session, token, index, address="198.51.100.20")
            versions = await grading.pinned_versions(session, record)
            for position, version in sorted(versions.items()):
                right = _is_right(record.application_id, position, accuracy)
                answer = _answer(grading.content_of(version), right)
                await taking.save_answer(session, token, index, keyring, position, answer)
            await taking.submit(session, token, index, keyring)
            taken += 1
        for entry in await marking.queue(session, manager, keyring, job_id=job_id):
            criteria = entry["rubric"]
            awarded = {c["criterion"]: max(0, c["points"] - (i % 2)) for i, c in enumerate(criteria)}
            try:
                await marking.mark(session, manager, entry["session_id"], entry["position"], awarded, None)
            except ProblemError:
                continue
    return taken


async def planning_sessions(session: AsyncSession, job_id: uuid.UUID) -> tuple[list[Any], str | None]:
    rows = await repository.list_sessions(session, PageParams(limit=200, after=None), job_id=job_id)
    return list(rows), None
