"""Helpers for the privacy tests: people, applications, and a search of everything stored."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import rolecall.models  # noqa: F401 - every table in Base.metadata
from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, transaction
from rolecall.platform.pii import KeyRing, PiiDecryptionError
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, create_user, open_job
from tests.interviews.support import took_place
from tests.mail import send_mail, status_token

TOKEN = re.compile(r"v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16,}")


async def new_candidate(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"full_name": "Grace Hopper", "email": f"grace-{id(fields)}@example.com", **fields}
    response = await client.post("/v1/candidates", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def apply(client: httpx.AsyncClient, tenant: Tenant, candidate_id: str, job_id: str) -> dict[str, Any]:
    body = {"candidate_id": candidate_id, "job_id": job_id}
    response = await client.post("/v1/applications", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def reject(client: httpx.AsyncClient, tenant: Tenant, application_id: str) -> dict[str, Any]:
    path = f"/v1/applications/{application_id}/reject"
    response = await client.post(path, headers=tenant.headers, json={"reason": "skills_gap"})
    assert response.status_code == 200, response.text
    rejected: dict[str, Any] = response.json()
    return rejected


async def withdraw(client: httpx.AsyncClient, tenant: Tenant, application_id: str) -> dict[str, Any]:
    response = await client.post(f"/v1/applications/{application_id}/withdraw", headers=tenant.headers)
    assert response.status_code == 200, response.text
    withdrawn: dict[str, Any] = response.json()
    return withdrawn


async def erase(
    client: httpx.AsyncClient, tenant: Tenant, candidate_id: str, **headers: str
) -> httpx.Response:
    return await client.post(
        f"/v1/candidates/{candidate_id}/erase",
        headers={**tenant.headers, **headers},
        json={"reason": "data_subject_request"},
    )


async def candidate_row(sessionmaker: async_sessionmaker[AsyncSession], candidate_id: str) -> dict[str, Any]:
    """The candidate's stored row as it is in the database (tokens, indexes, erased_at)."""
    table = Base.metadata.tables["candidates"]
    async with transaction(sessionmaker) as session:
        stmt = select(table).where(table.c.id == uuid.UUID(candidate_id)).execution_options(**all_tenants())
        row = (await session.execute(stmt)).mappings().one()
    return dict(row)


async def dump_tables(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, list[str]]:
    """Every row of every table, stringified, with the table's name: what a database dump would show."""
    dump: dict[str, list[str]] = {}
    async with transaction(sessionmaker) as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table).execution_options(**all_tenants()))).all()
            dump[table.name] = [repr(tuple(row)) for row in rows]
    return dump


def dump_files(root: Path) -> dict[str, bytes]:
    """Every file under the store's root (temporary files included), by relative path."""
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


def canaries_in(text: str, canaries: list[str]) -> list[str]:
    lowered = text.lower()
    return [canary for canary in canaries if canary.lower() in lowered]


def tokens_in(text: str) -> set[str]:
    return set(TOKEN.findall(text))


def opened(keyring: KeyRing, tokens: set[str], contexts: list[str]) -> list[tuple[str, str]]:
    """The (context, plaintext) of every token that opens under one of ``contexts``."""
    found = []
    for token in sorted(tokens):
        for context in contexts:
            try:
                found.append((context, keyring.decrypt(token, context=context)))
            except PiiDecryptionError:
                continue
    return found


# -- one person with data in every context ---------------------------------------------------------

QUESTION = {"key": "motivation", "label": "Why do you want to join?", "type": "long_text"}


@dataclass
class Person:
    """A candidate who applied on the board and was interviewed, with ``marker`` in every free field."""

    candidate_id: str
    application_id: str
    job_id: str
    interview_id: str
    scorecard_id: str
    email: str
    canaries: list[str]


async def public_apply(
    client: httpx.AsyncClient, job_id: str, application: dict[str, Any], resume: bytes | None = None
) -> httpx.Response:
    form = (await client.get(f"/v1/board/postings/{job_id}/application-form")).json()
    application = {"consent": {"given": True, "text_version": form["consent_version"]}, **application}
    files = {"application": (None, json.dumps(application), "application/json")}
    if resume is not None:
        files["resume"] = ("cv.txt", resume, "text/plain")  # type: ignore[assignment]
    return await client.post(f"/v1/board/postings/{job_id}/applications", files=files)


async def person_everywhere(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    marker: str,
    job: dict[str, Any] | None = None,
    phone: str = "+44 20 7946 0958",
) -> Person:
    """Apply on the public form (answers, resume, tracking), then a note, an interview and a scorecard."""
    if job is None:
        job = await open_job(client, app, tenant, application_form=[QUESTION])
    email = f"{marker}.person@{marker}-mail.example.org"
    canaries = [
        f"{marker} Fullname",
        email,
        f"https://{marker}-links.example/profile",
        f"{marker}ville",
        f"{marker} motivation answer",
        f"{marker} resume line",
        f"{marker}-campaign",
        f"{marker} staff note",
        f"{marker} interview title",
        f"{marker} scorecard opinion",
    ]
    applied = await public_apply(
        client,
        job["id"],
        {
            "full_name": canaries[0],
            "email": email,
            "phone": phone,
            "links": [canaries[2]],
            "location": canaries[3],
            "answers": {"motivation": canaries[4]},
            "tracking": {"utm_campaign": canaries[6]},
        },
        resume=f"Curriculum vitae\n{canaries[5]}\nSkills: Python, PostgreSQL\n".encode(),
    )
    assert applied.status_code == 202, applied.text
    # The status link comes by e-mail (docs/email.md); it leads to the application.
    token = status_token(await send_mail(app), email)
    application_id = (await client.get(f"/v1/application-status/{token}")).json()["application_id"]
    read = await client.get(f"/v1/applications/{application_id}", headers=tenant.headers)
    assert read.status_code == 200, read.text
    candidate_id = read.json()["candidate_id"]
    note = await client.post(
        f"/v1/candidates/{candidate_id}/notes", headers=tenant.headers, json={"body": canaries[7]}
    )
    assert note.status_code == 201, note.text

    interviewer_id, interviewer_token = await create_user(client, tenant, "interviewer")
    scheduled = await client.post(
        f"/v1/applications/{application_id}/interviews",
        headers=tenant.headers,
        json={
            "title": canaries[8],
            "starts_at": (utcnow() + timedelta(days=2)).isoformat(),
            "duration_minutes": 45,
            "interviewer_ids": [interviewer_id],
        },
    )
    assert scheduled.status_code == 201, scheduled.text
    interview_id = scheduled.json()["id"]
    await took_place(app, scheduled.json())  # scorecards open once the interview has started
    interviewer = {"Authorization": f"Bearer {interviewer_token}"}
    mine = await client.get(f"/v1/interviews/{interview_id}/scorecards/mine", headers=interviewer)
    assert mine.status_code == 200, mine.text
    written = await client.put(
        f"/v1/interviews/{interview_id}/scorecards/mine",
        headers={**interviewer, "If-Match": mine.headers["etag"]},
        json={"notes": canaries[9], "recommendation": "yes"},
    )
    assert written.status_code == 200, written.text
    return Person(
        candidate_id=candidate_id,
        application_id=application_id,
        job_id=job["id"],
        interview_id=interview_id,
        scorecard_id=written.json()["id"],
        email=email,
        canaries=canaries,
    )
