"""CSV export of a job's applications and their candidates (scoped ``candidates:export``, audited)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from rolecall.pipeline import export
from rolecall.platform.auth import DbSession, Principal, requires
from rolecall.platform.csv_export import CSV_MEDIA_TYPE, csv_response, filename
from rolecall.platform.http import pii_keyring

router = APIRouter(prefix="/v1", tags=["applications"])
# Reading both sides is not enough: copying people's data out of Rolecall is a grant of its own.
Exporter = Annotated[
    Principal, Depends(requires("candidates:read", "applications:read", "candidates:export"))
]


@router.get(
    "/jobs/{job_id}/applications/export",
    summary="Download a job's applications and their candidates as CSV",
    response_class=Response,
    responses={
        200: {
            "description": "One row per application (header: " + ", ".join(export.COLUMNS) + ")",
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def export_job_applications(
    job_id: uuid.UUID, principal: Exporter, session: DbSession, request: Request
) -> Response:
    """Every live application of the job with the candidate's name, e-mail and phone.

    The rows are gathered (and the export audited) inside the request's transaction, then written
    out as a streamed attachment in chunks.
    """
    _title, rows = await export.job_applications_rows(
        session, principal, job_id, keyring=pii_keyring(request)
    )
    return csv_response(export.COLUMNS, rows, filename("job", str(job_id), "applications"))
