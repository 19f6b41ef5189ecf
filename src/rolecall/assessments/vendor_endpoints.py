"""Routes for external assessment vendors: registering them, choosing one for a job, inviting, the
vendor's results (staff), and the completion URL vendors call (public: its HMAC is the credential).

A vendor's API key is write-only: it is sealed when given and no response ever carries it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from rolecall.assessments import vendors
from rolecall.assessments.auth import AssessmentsWrite
from rolecall.assessments.models import AssessmentVendor
from rolecall.assessments.partner_endpoints import PartnerTest, outbound_policy
from rolecall.assessments.schemas import SessionOut
from rolecall.assessments.session_endpoints import session_out
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.http import IfMatch, blind_index, no_store, pii_keyring, set_etag

vendors_router = APIRouter(prefix="/v1", tags=["assessment vendors"])
vendor_callback_router = APIRouter(
    prefix="/partner/vendors", tags=["assessment vendors"], dependencies=[PUBLIC]
)

Name = Annotated[str, Field(min_length=1, max_length=120)]
BaseUrl = Annotated[str, Field(min_length=8, max_length=500, description="The vendor's partner API base URL")]
ApiKey = Annotated[str, Field(min_length=1, max_length=500, description="The key the vendor gave you")]


class VendorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    base_url: BaseUrl
    api_key: ApiKey


class VendorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    base_url: BaseUrl | None = None
    api_key: ApiKey | None = None
    enabled: bool | None = None


class VendorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    base_url: str
    enabled: bool
    created_at: datetime
    updated_at: datetime


class JobVendorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vendor_id: uuid.UUID | None = Field(description="None: the job uses Rolecall's own assessment again")
    vendor_test_id: str | None = Field(
        default=None, max_length=200, description="The vendor's partner_test_id"
    )


class JobVendorOut(BaseModel):
    job_id: uuid.UUID
    vendor_id: uuid.UUID | None
    vendor_test_id: str | None
    auto_invite: bool


class VendorInvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_id: uuid.UUID


class VendorSessionOut(BaseModel):
    session_id: uuid.UUID
    status: str
    vendor_id: uuid.UUID
    vendor_name: str | None
    vendor_test_id: str | None
    state: str | None = Field(description="queued | sent | complete | failed")
    partner_interview_id: str | None
    vendor_status: str | None
    test_url: str | None = Field(description="The candidate's link, when the vendor returns one")
    report_url: str | None
    partner_score: float | None
    metadata: dict[str, Any]
    last_checked_at: datetime | None
    last_error: str | None


def _vendor(record: AssessmentVendor, response: Response) -> VendorOut:
    set_etag(response, record.id, record.version)
    return VendorOut.model_validate(record)


@vendors_router.post(
    "/assessments/vendors",
    response_model=VendorOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register an external assessment vendor",
)
async def create_vendor(
    body: VendorIn, request: Request, principal: AssessmentsWrite, session: DbSession, response: Response
) -> VendorOut:
    record = await vendors.create_vendor(
        session,
        principal,
        name=body.name,
        base_url=body.base_url,
        api_key=body.api_key,
        keyring=pii_keyring(request),
        policy=outbound_policy(request),
    )
    response.headers["Location"] = f"/v1/assessments/vendors/{record.id}"
    return _vendor(record, response)


@vendors_router.get(
    "/assessments/vendors", response_model=list[VendorOut], summary="The organisation's vendors"
)
async def list_vendors(principal: AssessmentsWrite, session: DbSession) -> list[VendorOut]:
    return [VendorOut.model_validate(v) for v in await vendors.list_vendors(session)]


@vendors_router.get("/assessments/vendors/{vendor_id}", response_model=VendorOut, summary="One vendor")
async def read_vendor(
    vendor_id: uuid.UUID, principal: AssessmentsWrite, session: DbSession, response: Response
) -> VendorOut:
    return _vendor(await vendors.get_vendor(session, vendor_id), response)


@vendors_router.patch(
    "/assessments/vendors/{vendor_id}",
    response_model=VendorOut,
    summary="Change a vendor's name, URL or key, or disable it",
)
async def update_vendor(
    vendor_id: uuid.UUID,
    body: VendorPatch,
    request: Request,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> VendorOut:
    record = await vendors.update_vendor(
        session,
        principal,
        vendor_id,
        if_match,
        body.model_dump(exclude_unset=True),
        keyring=pii_keyring(request),
        policy=outbound_policy(request),
    )
    return _vendor(record, response)


@vendors_router.get(
    "/assessments/vendors/{vendor_id}/tests",
    response_model=list[PartnerTest],
    summary="The vendor's tests, asked from the vendor now",
)
async def vendor_tests(
    vendor_id: uuid.UUID, request: Request, principal: AssessmentsWrite, session: DbSession
) -> list[PartnerTest]:
    tests = await vendors.vendor_tests(session, vendor_id, pii_keyring(request), outbound_policy(request))
    return [PartnerTest.model_validate(t) for t in tests]


@vendors_router.put(
    "/jobs/{job_id}/assessment-vendor",
    response_model=JobVendorOut,
    summary="Use a vendor's test for this job (or stop using one)",
)
async def set_job_vendor(
    job_id: uuid.UUID, body: JobVendorIn, principal: AssessmentsWrite, session: DbSession
) -> JobVendorOut:
    settings = await vendors.set_job_vendor(session, principal, job_id, body.vendor_id, body.vendor_test_id)
    return JobVendorOut(
        job_id=settings.job_id,
        vendor_id=settings.vendor_id,
        vendor_test_id=settings.vendor_test_id,
        auto_invite=settings.auto_invite,
    )


@vendors_router.post(
    "/assessments/vendor-invitations",
    response_model=SessionOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue the job's vendor test for an application (the worker sends it)",
)
async def invite_with_vendor(
    body: VendorInvitationIn, principal: AssessmentsWrite, session: DbSession, response: Response
) -> SessionOut:
    record = await vendors.invite_with_vendor(session, principal, body.application_id)
    set_etag(response, record.id, record.version)
    no_store(response)
    response.headers["Location"] = f"/v1/assessments/sessions/{record.id}"
    return session_out(record)


@vendors_router.get(
    "/assessments/sessions/{session_id}/vendor",
    response_model=VendorSessionOut,
    summary="A vendor session: where it stands, the candidate's link, the vendor's report",
)
async def vendor_session(
    session_id: uuid.UUID,
    request: Request,
    principal: AssessmentsWrite,
    session: DbSession,
    response: Response,
) -> VendorSessionOut:
    no_store(response)
    return VendorSessionOut.model_validate(
        await vendors.vendor_details(session, session_id, pii_keyring(request))
    )


@vendor_callback_router.patch(
    "/{vendor_id}/callback/{session_id}/{signature}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="The vendor says a test is complete (the contract's PATCH Completed Test)",
)
async def vendor_callback(
    vendor_id: uuid.UUID,
    session_id: uuid.UUID,
    signature: Annotated[str, Path(min_length=1, max_length=64)],
    request: Request,
    session: DbSession,
) -> Response:
    await vendors.note_callback(session, blind_index(request), vendor_id, session_id, signature)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
