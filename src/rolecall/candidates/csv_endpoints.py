"""``POST /v1/candidate-imports``: candidates from a CSV file, dry run by default.

A path of its own rather than ``/v1/candidates/import``, which ``/v1/candidates/{candidate_id}``
would also match (so ``GET`` or ``PATCH`` on it would not be the 405 a client expects).

The file comes as a multipart part named ``file`` or as the whole body with ``Content-Type:
text/csv``. ``Idempotency-Key`` works as on every authenticated POST (platform middleware), so a
retried real import is answered from the first one instead of merging twice.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from rolecall.candidates import csv_import
from rolecall.candidates.auth import CandidatesWrite
from rolecall.platform.auth import DbSession
from rolecall.platform.errors import PayloadTooLarge, ProblemError, Unprocessable
from rolecall.platform.http import blind_index, no_store, pii_keyring

router = APIRouter(prefix="/v1", tags=["candidates"])


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ImportRow(BaseModel):
    row: int = Field(description="The row's line in the file; the header is row 1")
    outcome: Literal["create", "merge", "refuse"]
    candidate_id: uuid.UUID | None = Field(
        default=None, description="The candidate merged into, or (real run) the one created"
    )
    reasons: list[str] = Field(default_factory=list, description="Why a row is refused")


class ImportReport(BaseModel):
    dry_run: bool
    created: int
    merged: int
    refused: int
    rows: list[ImportRow]


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


async def _file(request: Request) -> bytes:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length")
    # A generous allowance for the multipart envelope around the file itself.
    if declared and declared.isdigit() and int(declared) > csv_import.MAX_BYTES + 64_000:
        raise PayloadTooLarge(f"A CSV import holds at most {csv_import.MAX_BYTES} bytes.")
    if kind == "text/csv":
        return await request.body()
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable(
                "Send the CSV file as the part named 'file'.",
                extra={"errors": [{"field": "file", "message": "required"}]},
            )
        return await upload.read(csv_import.MAX_BYTES + 1)
    raise UnsupportedMediaType("Send the CSV as text/csv or as the 'file' part of multipart/form-data.")


@router.post(
    "/candidate-imports",
    response_model=ImportReport,
    summary="Import candidates from CSV: what each row would do (dry run) or does",
    openapi_extra=_BODY,
)
async def import_candidates(
    principal: CandidatesWrite,
    session: DbSession,
    request: Request,
    response: Response,
    dry_run: Annotated[bool, Query(description="Only report what would happen (the default)")] = True,
) -> ImportReport:
    reports = await csv_import.import_candidates(
        session,
        principal,
        await _file(request),
        dry_run=dry_run,
        keyring=pii_keyring(request),
        index=blind_index(request),
    )
    no_store(response)
    rows = [
        ImportRow(row=r.row, outcome=r.outcome, candidate_id=r.candidate_id, reasons=r.reasons)
        for r in reports
    ]
    return ImportReport(
        dry_run=dry_run,
        created=sum(r.outcome == "create" for r in reports),
        merged=sum(r.outcome == "merge" for r in reports),
        refused=sum(r.outcome == "refuse" for r in reports),
        rows=rows,
    )
