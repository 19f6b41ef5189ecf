"""Candidate files: uploads typed by content, text sealed, bytes kept in step with rows."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates import service
from rolecall.candidates.models import CandidateFile
from rolecall.candidates.resumes import MAX_RESUME_BYTES
from rolecall.config import Settings
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.errors import Unprocessable
from rolecall.platform.tenancy import TenancyViolation, all_tenants, bind_organisation
from rolecall.roles.taxonomy import default_taxonomy
from tests.candidates.support import (
    CANARY,
    RESUME_LINES,
    audit_entries,
    events,
    make_docx,
    make_pdf,
    new_candidate,
    stored_files,
    upload,
)
from tests.candidates.test_resumes import rezip
from tests.factories import Tenant
from tests.platform.problems import assert_problem


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Requests must be allowed to carry a whole resume (plus multipart framing) to reach the checks.
    return settings.model_copy(update={"max_request_bytes": 2 * MAX_RESUME_BYTES})


EXE = b"MZ\x90\x00" + bytes(2000)  # a Windows executable's header, whatever its name says


def skill_id(label: str) -> str:
    skill = default_taxonomy().normalise(label)
    assert skill is not None
    return skill.id


async def file_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[CandidateFile]:
    async with transaction(sessionmaker) as session:
        stmt = select(CandidateFile).execution_options(**all_tenants())
        return list((await session.scalars(stmt)).all())


async def test_a_resume_is_typed_by_content_parsed_sealed_and_served_back(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    candidate = await new_candidate(client, tenant)
    pdf = make_pdf([RESUME_LINES])
    # The declared name and type lie (a .docx sent as text/plain): only the bytes count.
    response = await upload(
        client, tenant, candidate["id"], pdf, filename="cv.docx", content_type="text/plain"
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/v1/candidates/{candidate['id']}/files/{created['id']}"
    assert created["kind"] == "resume"
    assert created["media_type"] == "application/pdf"
    assert created["size"] == len(pdf)
    assert created["candidate_id"] == candidate["id"]
    assert {skill_id("Python"), skill_id("PostgreSQL"), skill_id("Kubernetes")} <= set(created["skills"])
    assert "text" not in created

    listing = await client.get(f"/v1/candidates/{candidate['id']}/files", headers=tenant.headers)
    assert listing.status_code == 200, listing.text
    assert listing.json() == [created]

    detail = await client.get(
        f"/v1/candidates/{candidate['id']}/files/{created['id']}", headers=tenant.headers
    )
    assert detail.status_code == 200, detail.text
    assert detail.headers["cache-control"] == "no-store"
    assert CANARY in detail.json()["text"]
    assert detail.json()["skills"] == created["skills"]

    content = await client.get(
        f"/v1/candidates/{candidate['id']}/files/{created['id']}/content", headers=tenant.headers
    )
    assert content.status_code == 200
    assert content.content == pdf
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["content-disposition"] == f'attachment; filename="resume-{created["id"]}.pdf"'
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["cache-control"] == "no-store"

    # At rest: the text is a token bound to the file row, the bytes sit in the store under its key.
    (row,) = await file_rows(sessionmaker)
    assert row.text is not None
    assert CANARY not in row.text
    assert row.text.startswith("v1.")
    assert await app.state.file_store.get(row.storage_key) == pdf

    (added,) = await events(sessionmaker, "candidate.file_added")
    assert added.data == {
        "schema_version": 1,
        "candidate_id": candidate["id"],
        "file_id": created["id"],
        "kind": "resume",
    }
    for action in ("candidate.file_added", "candidate.file_viewed", "candidate.file_downloaded"):
        (entry,) = await audit_entries(client, tenant, action)
        assert entry["target_id"] == candidate["id"]
        assert entry["details"] == {"file_id": created["id"]}


async def test_docx_and_text_files_keep_their_real_type_and_kind(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await new_candidate(client, tenant)
    docx = await upload(client, tenant, candidate["id"], make_docx(RESUME_LINES), kind="cover_letter")
    assert docx.status_code == 201, docx.text
    assert docx.json()["kind"] == "cover_letter"
    assert docx.json()["media_type"].startswith("application/vnd.openxmlformats-officedocument")
    text = await upload(client, tenant, candidate["id"], "\n".join(RESUME_LINES).encode(), filename="cv.exe")
    assert text.status_code == 201, text.text
    assert text.json()["media_type"] == "text/plain; charset=utf-8"
    content = await client.get(
        f"/v1/candidates/{candidate['id']}/files/{text.json()['id']}/content", headers=tenant.headers
    )
    assert content.headers["content-disposition"].endswith('.txt"')


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("executable renamed .pdf", EXE),
        ("zip bomb", rezip(make_docx(RESUME_LINES), {"word/media/filler.bin": bytes(60 * 1024 * 1024)})),
        ("empty", b""),
        ("html", b"<html><body>hello</body></html>"),
        ("too large", b"a" * (MAX_RESUME_BYTES + 1)),
    ],
)
async def test_a_refused_upload_is_a_422_on_file_and_stores_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    label: str,
    data: bytes,
) -> None:
    candidate = await new_candidate(client, tenant)
    response = await upload(client, tenant, candidate["id"], data)
    body = assert_problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["file"], label
    assert await file_rows(sessionmaker) == []
    assert stored_files(app) == []
    assert await events(sessionmaker, "candidate.file_added") == []


async def test_an_unknown_kind_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    candidate = await new_candidate(client, tenant)
    response = await upload(client, tenant, candidate["id"], make_pdf([RESUME_LINES]), kind="passport")
    assert_problem(response, 422)


async def test_deleting_a_file_deletes_its_bytes(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    candidate = await new_candidate(client, tenant)
    created = (await upload(client, tenant, candidate["id"], make_pdf([RESUME_LINES]))).json()
    assert len(stored_files(app)) == 1
    url = f"/v1/candidates/{candidate['id']}/files/{created['id']}"
    deleted = await client.delete(url, headers=tenant.headers)
    assert deleted.status_code == 204, deleted.text
    assert stored_files(app) == []
    assert_problem(await client.get(url, headers=tenant.headers), 404)
    assert_problem(await client.delete(url, headers=tenant.headers), 404)
    (removed,) = await events(sessionmaker, "candidate.file_removed")
    assert removed.data["file_id"] == created["id"]
    assert set(removed.data) == {"schema_version", "candidate_id", "file_id", "kind"}


async def test_files_are_invisible_to_other_organisations_and_other_candidates(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    candidate = await new_candidate(client, tenant)
    someone_else = await new_candidate(client, tenant, email="grace@example.com")
    created = (await upload(client, tenant, candidate["id"], make_pdf([RESUME_LINES]))).json()
    paths = [
        f"/v1/candidates/{candidate['id']}/files/{created['id']}",
        f"/v1/candidates/{candidate['id']}/files/{created['id']}/content",
    ]
    for path in paths:
        assert_problem(await client.get(path, headers=other_tenant.headers), 404)
        wrong_owner = path.replace(candidate["id"], someone_else["id"])
        assert_problem(await client.get(wrong_owner, headers=tenant.headers), 404)
    assert_problem(await client.delete(paths[0], headers=other_tenant.headers), 404)
    files = f"/v1/candidates/{candidate['id']}/files"
    assert_problem(await client.get(files, headers=other_tenant.headers), 404)
    refused = await upload(client, other_tenant, candidate["id"], make_pdf([RESUME_LINES]))
    assert_problem(refused, 404)
    assert len((await client.get(files, headers=tenant.headers)).json()) == 1


async def test_reading_needs_the_scope(client: httpx.AsyncClient, tenant: Tenant) -> None:
    from tests.factories import create_user

    candidate = await new_candidate(client, tenant)
    _, token = await create_user(client, tenant, "interviewer")
    response = await client.get(
        f"/v1/candidates/{candidate['id']}/files", headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(response, 403)


async def test_store_resume_refuses_on_the_resume_field_and_reports_skills(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    candidate = await new_candidate(client, tenant)
    principal = Principal.acting_for("applicant", tenant.organisation_id)
    keyring, store = app.state.pii_keyring, app.state.file_store
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        with pytest.raises(Unprocessable) as refused:
            await service.store_resume(
                session, principal, uuid.UUID(candidate["id"]), EXE, keyring=keyring, store=store
            )
        assert refused.value.extra["errors"][0]["field"] == "resume"
        stored = await service.store_resume(
            session,
            principal,
            uuid.UUID(candidate["id"]),
            make_pdf([RESUME_LINES]),
            keyring=keyring,
            store=store,
        )
        assert stored.kind == "resume"
        assert await service.resume_skills(session, stored.id) == stored.skills
        assert skill_id("Python") in stored.skills


async def test_bytes_stored_for_a_row_that_fails_to_flush_are_deleted_again(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client, tenant)
    # A principal of another organisation on a session bound to this one: the insert is refused at
    # flush time, after the bytes went to the store.
    stranger = Principal.acting_for("system", other_tenant.organisation_id)

    async def add() -> None:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            await service.add_file(
                session,
                stranger,
                uuid.UUID(candidate["id"]),
                make_pdf([RESUME_LINES]),
                keyring=app.state.pii_keyring,
                store=app.state.file_store,
            )

    with pytest.raises(TenancyViolation):
        await add()
    assert stored_files(app) == []
    assert await file_rows(sessionmaker) == []
