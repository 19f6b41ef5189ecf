"""Routes of the assessment partner contract (Greenhouse's shape) and the staff routes for its keys.

The contract's routes live under ``/partner/greenhouse/v1``; a hiring system is given one URL per
call (``.../list_tests``, ``.../send_test``, ``.../test_status``, ``.../response_error``). They hold
no scopes: the Basic key is the credential, checked by :func:`partner_caller` on every route, so for
the app's deny-by-default walk they are public routes (like the candidate's link). Their bodies are
exactly the contract's; errors the contract does not define are problem documents, as everywhere.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from rolecall.assessments import outbound, partner
from rolecall.assessments.auth import AssessmentsWrite
from rolecall.assessments.session_endpoints import link_for
from rolecall.platform.auth import PUBLIC, DbSession, Principal
from rolecall.platform.http import blind_index, no_store, pii_keyring
from rolecall.platform.strict import Numeric

partner_router = APIRouter(
    prefix="/partner/greenhouse/v1", tags=["assessment partner contract"], dependencies=[PUBLIC]
)
partner_keys_router = APIRouter(prefix="/v1/assessments/partner-keys", tags=["assessment partners"])


def outbound_policy(request: Request) -> outbound.Outbound:
    """The app's outbound rules (``app.state.assessment_outbound``); without them, public hosts only."""
    policy = getattr(request.app.state, "assessment_outbound", None)
    return policy if isinstance(policy, outbound.Outbound) else outbound.Outbound()


def public_base(request: Request) -> str:
    settings = request.app.state.settings
    return partner.base_url(settings.public_base_url, settings.issuer)


async def partner_caller(request: Request, session: DbSession) -> Principal:
    principal = await partner.authenticate(session, request.headers.get("authorization"))
    request.state.principal = principal
    return principal


PartnerCaller = Annotated[Principal, Depends(partner_caller)]


# --- contract bodies ----------------------------------------------------------------------------------


class PartnerTest(BaseModel):
    partner_test_id: str
    partner_test_name: str


class ContractCandidate(BaseModel):
    # The sender may add properties; unknown ones are ignored, as the contract allows.
    model_config = ConfigDict(extra="ignore")

    first_name: str = Field(min_length=1, max_length=200)
    last_name: str = Field(default="", max_length=200)
    email: EmailStr
    greenhouse_profile_url: str | None = Field(default=None, max_length=2000)
    # resume_url and phone_number are part of the contract but not read: a test needs neither.


class SendTestIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    partner_test_id: str = Field(min_length=1, max_length=100)
    candidate: ContractCandidate
    url: str | None = Field(default=None, max_length=2000, description="Where to PATCH on completion")


class SendTestOut(BaseModel):
    partner_interview_id: str
    test_url: str = Field(description="Rolecall's addition: the candidate's link, for callers that send it")


class TestStatusOut(BaseModel):
    partner_status: str
    partner_profile_url: str | None
    partner_score: float | None
    metadata: dict[str, str | int | float | None]


class ResponseErrorIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    api_call: str = Field(max_length=100)
    errors: list[str] = Field(max_length=100)
    partner_test_id: Annotated[str | int | None, Numeric] = None
    partner_test_name: str | None = Field(default=None, max_length=500)
    partner_interview_id: Annotated[str | int | None, Numeric] = None
    candidate_email: str | None = Field(default=None, max_length=320)  # accepted, never kept


class ResponseErrorOut(BaseModel):
    status: int = 200


# --- the contract -----------------------------------------------------------------------------------


@partner_router.get(
    "/list_tests", response_model=list[PartnerTest], summary="The organisation's tests (its blueprints)"
)
async def list_tests(principal: PartnerCaller, session: DbSession) -> list[PartnerTest]:
    return [PartnerTest.model_validate(t) for t in await partner.list_tests(session)]


@partner_router.post(
    "/send_test", response_model=SendTestOut, summary="Create a test instance for a candidate"
)
async def send_test(
    body: SendTestIn, request: Request, principal: PartnerCaller, session: DbSession, response: Response
) -> SendTestOut:
    key = partner.basic_key(request.headers.get("authorization"))
    assert key is not None  # partner_caller already refused anything else
    record, token = await partner.send_test(
        session,
        principal,
        partner_test_id=body.partner_test_id,
        candidate={
            "first_name": body.candidate.first_name.strip(),
            "last_name": body.candidate.last_name.strip(),
            "email": str(body.candidate.email),
            "profile_url": body.candidate.greenhouse_profile_url,
        },
        callback_url=body.url,
        api_key=key,
        keyring=pii_keyring(request),
        index=blind_index(request),
        policy=outbound_policy(request),
    )
    no_store(response)
    return SendTestOut(partner_interview_id=str(record.id), test_url=link_for(request, token))


@partner_router.get(
    "/test_status", response_model=TestStatusOut, summary="A test instance's status, score and report link"
)
async def test_status(
    request: Request,
    principal: PartnerCaller,
    session: DbSession,
    response: Response,
    partner_interview_id: Annotated[str, Query(min_length=1, max_length=100)],
) -> TestStatusOut:
    no_store(response)
    found = await partner.test_status(session, partner_interview_id, base=public_base(request))
    return TestStatusOut.model_validate(found)


@partner_router.post(
    "/response_error",
    response_model=ResponseErrorOut,
    summary="The partner reports a malformed answer of ours",
)
async def response_error(
    body: ResponseErrorIn, principal: PartnerCaller, session: DbSession
) -> ResponseErrorOut:
    await partner.record_response_error(
        session,
        principal,
        body.api_call,
        body.errors,
        partner_test_id=str(body.partner_test_id) if body.partner_test_id is not None else None,
        partner_interview_id=(
            str(body.partner_interview_id) if body.partner_interview_id is not None else None
        ),
    )
    return ResponseErrorOut()


# --- staff: keys --------------------------------------------------------------------------------------


class PartnerKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, description="Which hiring system holds the key")


class PartnerKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart")
    created_at: datetime
    revoked_at: datetime | None


class PartnerKeyCreated(PartnerKeyOut):
    key: str = Field(description="Shown once: the Basic user name (empty password) for the partner")


@partner_keys_router.post(
    "",
    response_model=PartnerKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a key for a hiring system (shown once)",
)
async def create_key(
    body: Annotated[PartnerKeyIn, Body()], principal: AssessmentsWrite, session: DbSession, response: Response
) -> PartnerKeyCreated:
    record, key = await partner.create_key(session, principal, body.name)
    no_store(response)
    response.headers["Location"] = f"/v1/assessments/partner-keys/{record.id}"
    return PartnerKeyCreated(**PartnerKeyOut.model_validate(record).model_dump(), key=key)


@partner_keys_router.get("", response_model=list[PartnerKeyOut], summary="The organisation's partner keys")
async def list_keys(principal: AssessmentsWrite, session: DbSession) -> list[PartnerKeyOut]:
    return [PartnerKeyOut.model_validate(k) for k in await partner.list_keys(session)]


@partner_keys_router.delete(
    "/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a key (at once, for good)"
)
async def revoke_key(key_id: uuid.UUID, principal: AssessmentsWrite, session: DbSession) -> Response:
    await partner.revoke_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
