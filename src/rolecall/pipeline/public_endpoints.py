"""Public routes: the application form of a posting, applying, and the candidate's status link.

``POST /v1/board/postings/{id}/applications`` takes ``multipart/form-data``:

* ``application``: JSON (:class:`~rolecall.pipeline.schemas.PublicApplication`),
* ``resume``: optional file (PDF, DOCX or text, recognised by content, not by name),
* ``file_<question key>``: one file per file question of the form,
* ``website``: a honeypot. People never see it; bots fill it in. A filled honeypot gets the same
  answer as everyone, and nothing is stored or sent, so the bot learns nothing.

The answer is the same in every case (202, "received; a link was e-mailed"): the status link goes
only to the e-mail address given (:func:`rolecall.notifications.service.queue_status_link`). A second
application of the same person to the same job stores nothing new; the address on file gets a fresh
link to the first application ("you already applied"). So the form cannot be used to learn who
applied where, and a link reaches only the owner of the address.

Requests are limited per client address (``ROLECALL_APPLY_RATE_PER_HOUR``, 429 with Retry-After).
The limit, honeypot, decoy and file reading live in :mod:`rolecall.pipeline.intake`, shared with the
apply page (:mod:`rolecall.pipeline.public_pages`), so both doors behave the same.
"""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from rolecall.pipeline import applying, intake
from rolecall.pipeline.schemas import ApplicationForm, ApplicationStatusOut, ApplyResult, PublicApplication
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.errors import BadRequest, Unprocessable
from rolecall.platform.http import no_store
from rolecall.platform.openapi import model_schema
from rolecall.platform.ratelimit import BOARD, RateLimitedRoute, limited, rate_limit_responses

router = APIRouter(prefix="/v1", tags=["applying"], dependencies=[PUBLIC], route_class=RateLimitedRoute)
THANKS = (
    "Thank you, your application was received. We have e-mailed you a link to follow or withdraw "
    "it; keep that e-mail."
)
RECEIVED = ApplyResult(status="received", message=THANKS)

# The apply route reads its multipart form itself (files of questions known only at run time), so
# its body is declared here for the published contract: a client generated from it can apply.
_APPLY_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["application"],
                "properties": {
                    "application": {
                        **model_schema(PublicApplication),
                        "description": "The application, as a JSON part (Content-Type: application/json)",
                    },
                    "resume": {
                        "type": "string",
                        "format": "binary",
                        "description": "The resume: PDF, DOCX or plain text (recognised by content)",
                    },
                    intake.HONEYPOT: {
                        "type": "string",
                        "description": "Leave empty: a honeypot that people never see",
                    },
                },
                "patternProperties": {
                    f"^{intake.FILE_PREFIX}[A-Za-z0-9_-]+$": {
                        "type": "string",
                        "format": "binary",
                        "description": "The file answering the form's file question of that key",
                    }
                },
                # For generators that read no patternProperties: further parts are files too.
                "additionalProperties": {
                    "type": "string",
                    "format": "binary",
                    "description": f"{intake.FILE_PREFIX}<question key>: a file question's answer",
                },
            },
            "encoding": {
                "application": {"contentType": "application/json"},
                "resume": {
                    "contentType": "application/pdf, "
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document, text/plain"
                },
            },
        }
    },
}


@router.get(
    "/board/postings/{posting_id}/application-form",
    response_model=ApplicationForm,
    dependencies=[limited(BOARD, per_client=True)],
    responses=rate_limit_responses(),
)
async def application_form(posting_id: uuid.UUID, session: DbSession) -> ApplicationForm:
    return ApplicationForm.model_validate(await applying.application_form(session, posting_id))


@router.post(
    "/board/postings/{posting_id}/applications",
    response_model=ApplyResult,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Apply to an open posting (multipart: application JSON, resume, file answers)",
    description=(
        "The answer is the same whether the application was stored, repeated an earlier one or "
        "was refused as a bot; the status link is e-mailed to the address given."
    ),
    responses=rate_limit_responses(),
    openapi_extra={"requestBody": _APPLY_BODY},
)
async def apply(
    posting_id: uuid.UUID, request: Request, session: DbSession, response: Response
) -> ApplyResult:
    await intake.check_rate(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("Send the application as multipart/form-data with an 'application' JSON part.")
    form = await request.form(max_files=intake.MAX_FORM_FILES, max_fields=20)
    no_store(response)
    raw = form.get("application")
    if not isinstance(raw, str):
        raise Unprocessable(
            "The 'application' part is missing.",
            extra={"errors": [{"field": "application", "message": "is required"}]},
        )
    try:
        body = PublicApplication.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise Unprocessable(
            "The 'application' part is not JSON.",
            extra={"errors": [{"field": "application", "message": str(exc)}]},
        ) from exc
    except ValidationError as exc:
        raise Unprocessable(
            "The application has problems; nothing was saved.", extra={"errors": intake.problems(exc)}
        ) from exc
    # The honeypot is looked at only once the application is valid: an invalid one gets its 422
    # whoever sent it, as the contract says, and a bot cannot tell the trap from a real submission.
    if intake.is_bot(form, posting_id):
        return RECEIVED
    await intake.submit(request, session, posting_id, body, form)
    return RECEIVED


@router.get("/application-status/{token}", response_model=ApplicationStatusOut)
async def application_status(
    token: str, request: Request, session: DbSession, response: Response
) -> ApplicationStatusOut:
    no_store(response)
    return ApplicationStatusOut.model_validate(
        await applying.status(session, token, request.app.state.blind_index)
    )


@router.post("/application-status/{token}/withdraw", response_model=ApplicationStatusOut)
async def withdraw(
    token: str, request: Request, session: DbSession, response: Response
) -> ApplicationStatusOut:
    no_store(response)
    return ApplicationStatusOut.model_validate(
        await applying.withdraw(session, token, request.app.state.blind_index)
    )
