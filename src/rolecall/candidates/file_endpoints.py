"""Candidate file routes: upload a resume, list, read its text, download the bytes, delete.

Uploads are multipart (field ``file``, optional ``kind``). What the file is comes from its bytes;
the name and the content type the client declared are ignored. Downloads are always attachments
with ``nosniff``, so a browser never renders uploaded content in our origin.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status

from rolecall.candidates import service
from rolecall.candidates.auth import CandidatesRead, CandidatesWrite
from rolecall.candidates.resumes import MAX_RESUME_BYTES
from rolecall.candidates.schemas import FileDetailOut, FileKind, FileOut
from rolecall.platform.auth import DbSession
from rolecall.platform.http import file_store as _store
from rolecall.platform.http import no_store
from rolecall.platform.http import pii_keyring as _keyring

router = APIRouter(tags=["candidate files"])
# The content route is registered before the file's own path, whose DELETE would otherwise come first
# in the OpenAPI document: a walk of the API in document order (the cross-tenant test) deletes last.

_EXTENSIONS = {"application/pdf": "pdf", "text/plain": "txt"}
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _extension(media_type: str) -> str:
    bare = media_type.split(";", 1)[0].strip()
    return "docx" if bare == _DOCX else _EXTENSIONS.get(bare, "bin")


@router.post(
    "/candidates/{candidate_id}/files",
    response_model=FileOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a file (a resume by default); its text and skills are extracted",
)
async def upload_file(
    candidate_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="PDF, DOCX or plain UTF-8 text, up to 5 MB")],
    principal: CandidatesWrite,
    session: DbSession,
    request: Request,
    response: Response,
    kind: Annotated[FileKind, Form()] = "resume",
) -> FileOut:
    # One byte over the cap is enough for the parser to refuse it; nothing larger is read.
    data = await file.read(MAX_RESUME_BYTES + 1)
    view = await service.add_file(
        session, principal, candidate_id, data, kind=kind, keyring=_keyring(request), store=_store(request)
    )
    response.headers["Location"] = f"/v1/candidates/{candidate_id}/files/{view.id}"
    no_store(response)
    return FileOut.model_validate(view)


@router.get("/candidates/{candidate_id}/files", response_model=list[FileOut])
async def list_files(
    candidate_id: uuid.UUID, principal: CandidatesRead, session: DbSession, response: Response
) -> list[FileOut]:
    views = await service.list_files(session, candidate_id)
    no_store(response)
    return [FileOut.model_validate(view) for view in views]


@router.get(
    "/candidates/{candidate_id}/files/{file_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The stored bytes"}},
)
async def download_file(
    candidate_id: uuid.UUID,
    file_id: uuid.UUID,
    principal: CandidatesRead,
    session: DbSession,
    request: Request,
) -> Response:
    content = await service.file_content(session, principal, candidate_id, file_id, store=_store(request))
    return attachment(content)


def attachment(content: service.FileContent) -> Response:
    """A stored file as a download: always an attachment with ``nosniff`` and ``no-store``, so no
    browser renders an upload in our origin or keeps it (the staff page sends files the same way)."""
    name = f"{content.file.kind}-{content.file.id}.{_extension(content.file.media_type)}"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
    }
    response = Response(content=content.data, media_type=content.file.media_type, headers=headers)
    no_store(response)
    return response


@router.get("/candidates/{candidate_id}/files/{file_id}", response_model=FileDetailOut)
async def read_file(
    candidate_id: uuid.UUID,
    file_id: uuid.UUID,
    principal: CandidatesRead,
    session: DbSession,
    request: Request,
    response: Response,
) -> FileDetailOut:
    detail = await service.get_file(session, principal, candidate_id, file_id, keyring=_keyring(request))
    no_store(response)
    return FileDetailOut.model_validate(detail)


@router.delete("/candidates/{candidate_id}/files/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_file(
    candidate_id: uuid.UUID,
    file_id: uuid.UUID,
    principal: CandidatesWrite,
    session: DbSession,
    request: Request,
) -> Response:
    await service.remove_file(session, principal, candidate_id, file_id, store=_store(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
