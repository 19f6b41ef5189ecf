"""Rolecall as the hiring system: an organisation orders tests from an external vendor through the
same partner contract (the vendor's list_tests, send_test and test_status), and keeps the results
as assessment evidence beside its own.

**Vendors** are registered per organisation with a base URL and the API key the vendor gave them;
the key is sealed with the KeyRing. A job names one vendor and one of its tests.

**Invitations are queued, then sent.** An application entering an assessment stage (or a recruiter)
creates a ``source="vendor"`` session at once, so the board shows it; the worker job in
:mod:`rolecall.assessments.vendor_polling` sends it to the vendor and later asks for its status.
Calling out from the request or the event handler would hold a database transaction open for the
length of a network call (on SQLite, the only write lock). Sending is at least once: if the vendor
accepted a test but recording its id failed, the next round sends it again.

**Results** arrive by polling ``test_status`` (hourly while open) and sooner when the vendor calls
the completion URL we gave it. That URL names the session and carries an HMAC of it under the
app's secret, so nobody can make us poll a session they did not get a URL for; the call itself only
says "look now", and what is stored is always what the vendor's own ``test_status`` says.

A vendor session has no blueprint of ours: its ``blueprint_id`` names the vendor (so percentiles
compare people who took that vendor's tests), its items are empty, and ``total`` is the vendor's
score as given (vendors are asked to report 0-100, which is what the ranking expects).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import invitations, outbound, partner, repository
from rolecall.assessments.events import AssessmentInvited
from rolecall.assessments.models import AssessmentJobSettings, AssessmentSession, AssessmentVendor
from rolecall.audit import service as audit
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import all_tenants, bind_organisation

log = structlog.get_logger("rolecall.assessments.vendors")

CALLBACK_PURPOSE = "assessment-vendor-callback"
CALLBACK_PATH = "/partner/vendors/{vendor_id}/callback/{session_id}/{signature}"
VENDOR_WINDOW = timedelta(weeks=8)  # how long a vendor test stays open, as the contract polls


def api_key_context(vendor_id: uuid.UUID) -> str:
    return f"assessment_vendor:{vendor_id}:api_key"


def _problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


def check_base_url(value: str, policy: outbound.Outbound) -> str:
    """The vendor's base URL without a trailing slash; the contract's calls are appended to it."""
    url = value.strip().rstrip("/")
    if urlsplit(url).query:
        raise _problem("base_url", "The base URL must not have a query.")
    try:
        outbound.check_url(url, policy)
    except outbound.OutboundRefused as exc:
        raise _problem("base_url", f"This base URL cannot be called: {exc}.") from exc
    return url


# --- vendors ------------------------------------------------------------------------------------------


async def create_vendor(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    base_url: str,
    api_key: str,
    keyring: KeyRing,
    policy: outbound.Outbound,
) -> AssessmentVendor:
    record = AssessmentVendor(
        id=new_id(),
        organisation_id=principal.organisation_id,
        name=name.strip(),
        base_url=check_base_url(base_url, policy),
        api_key="",
    )
    record.api_key = keyring.encrypt(api_key, context=api_key_context(record.id))
    session.add(record)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment.vendor_created",
        target_type="assessment_vendor",
        target_id=record.id,
    )
    return record


async def list_vendors(session: AsyncSession) -> Sequence[AssessmentVendor]:
    return await repository.vendors(session)


async def get_vendor(session: AsyncSession, vendor_id: uuid.UUID) -> AssessmentVendor:
    record = await repository.get_vendor(session, vendor_id)
    if record is None:
        raise NotFound("Assessment vendor not found.")
    return record


async def update_vendor(
    session: AsyncSession,
    principal: Principal,
    vendor_id: uuid.UUID,
    if_match: str,
    changes: dict[str, Any],
    *,
    keyring: KeyRing,
    policy: outbound.Outbound,
) -> AssessmentVendor:
    """Change the name, base URL, key or ``enabled`` (a disabled vendor's sessions wait, untouched)."""
    record = await get_vendor(session, vendor_id)
    check_if_match(if_match, record.id, record.version)
    if changes.get("name") is not None:
        record.name = str(changes["name"]).strip()
    if changes.get("base_url") is not None:
        record.base_url = check_base_url(str(changes["base_url"]), policy)
    if changes.get("api_key") is not None:
        record.api_key = keyring.encrypt(str(changes["api_key"]), context=api_key_context(record.id))
    if changes.get("enabled") is not None:
        record.enabled = bool(changes["enabled"])
    record.version += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment.vendor_updated",
        target_type="assessment_vendor",
        target_id=record.id,
        changed_fields=[k for k, v in changes.items() if v is not None],
    )
    return record


def endpoint_url(vendor: AssessmentVendor, call: str) -> str:
    return f"{vendor.base_url}/{call}"


def clean_text(value: Any, limit: int) -> str | None:
    """A contract id or name: the contract says string, some partners send numbers."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if 0 < len(text) <= limit else None


async def vendor_tests(
    session: AsyncSession, vendor_id: uuid.UUID, keyring: KeyRing, policy: outbound.Outbound
) -> list[dict[str, str]]:
    """The vendor's tests, asked live (one call, bounded by the outbound timeout)."""
    vendor = await get_vendor(session, vendor_id)
    key = keyring.decrypt(vendor.api_key, context=api_key_context(vendor.id))
    try:
        answer = await outbound.call(policy, "GET", endpoint_url(vendor, "list_tests"), api_key=key)
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        raise Conflict(f"The vendor's test list could not be read: {exc}.") from exc
    if not isinstance(answer, list):
        raise Conflict("The vendor's test list is not a list.")
    tests = []
    for entry in answer[:500]:
        if not isinstance(entry, dict):
            continue
        test_id = clean_text(entry.get("partner_test_id"), 200)
        name = clean_text(entry.get("partner_test_name"), 500)
        if test_id and name:
            tests.append({"partner_test_id": test_id, "partner_test_name": name})
    return tests


# --- jobs and invitations -------------------------------------------------------------------------------


async def set_job_vendor(
    session: AsyncSession,
    principal: Principal,
    job_id: uuid.UUID,
    vendor_id: uuid.UUID | None,
    vendor_test_id: str | None,
) -> AssessmentJobSettings:
    """Choose the job's vendor and test (both None: back to our own assessment)."""
    await jobs.get_job(session, principal, job_id)
    settings = await invitations.job_settings(session, principal, job_id)
    if vendor_id is None:
        settings.vendor_id, settings.vendor_test_id = None, None
    else:
        vendor = await get_vendor(session, vendor_id)
        if not vendor.enabled:
            raise Conflict("This vendor is disabled; enable it first.")
        test_id = (vendor_test_id or "").strip()
        if not test_id:
            raise _problem("vendor_test_id", "Name the vendor's test (its partner_test_id).")
        settings.vendor_id, settings.vendor_test_id = vendor.id, test_id[:200]
    settings.version += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment.job_vendor_set",
        target_type="job",
        target_id=job_id,
        vendor_id=str(vendor_id) if vendor_id else None,
    )
    return settings


async def invite_with_vendor(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> AssessmentSession:
    """Queue the job's vendor test for an application's candidate (sent by the worker)."""
    facts = await pipeline.application_facts(session, application_id)
    if facts.status != "active":
        raise Conflict(f"The application is {facts.status}; only active applications can be invited.")
    settings = await repository.job_settings(session, facts.job_id)
    if settings is None or settings.vendor_id is None or not settings.vendor_test_id:
        raise Conflict("This job does not use an assessment vendor.")
    vendor = await get_vendor(session, settings.vendor_id)
    if not vendor.enabled:
        raise Conflict("The job's assessment vendor is disabled.")
    for existing in await repository.sessions_of_application(session, facts.id):
        if existing.source == "vendor" and existing.status in ("invited", "scored"):
            raise Conflict("This application already has a vendor test.")
    record = AssessmentSession(
        id=new_id(),
        organisation_id=principal.organisation_id,
        blueprint_id=vendor.id,
        blueprint_version=0,
        job_id=facts.job_id,
        application_id=facts.id,
        candidate_id=facts.candidate_id,
        expires_at=utcnow() + VENDOR_WINDOW,
        status="invited",
        seed=0,
        items=[],
        time_limit_minutes=0,
        grace_seconds=0,
        source="vendor",
        partner={
            "kind": "vendor",
            "vendor_id": str(vendor.id),
            "vendor_test_id": settings.vendor_test_id,
            "state": "queued",
            "partner_interview_id": None,
            "vendor_status": None,
            "report_url": None,
            "partner_score": None,
            "check_due": False,
            "attempts": 0,
        },
        invited_by=principal.actor,
    )
    session.add(record)
    await session.flush()
    invitations.emit(session, principal, AssessmentInvited, record, vendor_id=vendor.id)
    return record


async def has_vendor_session(session: AsyncSession, application_id: uuid.UUID) -> bool:
    return any(
        s.source == "vendor" for s in await repository.sessions_of_application(session, application_id)
    )


async def vendor_details(session: AsyncSession, session_id: uuid.UUID, keyring: KeyRing) -> dict[str, Any]:
    """What staff see of a vendor session: where it stands, the candidate's link, the vendor's report."""
    record = await invitations.get_session(session, session_id)
    if record.source != "vendor" or record.partner is None:
        raise NotFound("This session is not a vendor test.")
    state = record.partner
    vendor = await repository.get_vendor(session, uuid.UUID(state["vendor_id"]))
    sealed = partner.sealed_details(keyring, record)
    return {
        "session_id": record.id,
        "status": record.status,
        "vendor_id": uuid.UUID(state["vendor_id"]),
        "vendor_name": vendor.name if vendor else None,
        "vendor_test_id": state.get("vendor_test_id"),
        "state": state.get("state"),
        "partner_interview_id": state.get("partner_interview_id"),
        "vendor_status": state.get("vendor_status"),
        "test_url": sealed.get("test_url"),
        "report_url": state.get("report_url"),
        "partner_score": state.get("partner_score"),
        "metadata": sealed.get("metadata") or {},
        "last_checked_at": state.get("last_checked_at"),
        "last_error": state.get("last_error"),
    }


# --- the completion URL we give vendors -----------------------------------------------------------------


def callback_signature(index: BlindIndex, vendor_id: uuid.UUID, session_id: uuid.UUID) -> str:
    return index.digest(CALLBACK_PURPOSE, f"{vendor_id}:{session_id}")


def callback_url(base: str, index: BlindIndex, vendor_id: uuid.UUID, session_id: uuid.UUID) -> str:
    signature = callback_signature(index, vendor_id, session_id)
    return base + CALLBACK_PATH.format(vendor_id=vendor_id, session_id=session_id, signature=signature)


async def note_callback(
    session: AsyncSession, index: BlindIndex, vendor_id: uuid.UUID, session_id: uuid.UUID, signature: str
) -> None:
    """The vendor says a test is complete: check it at the next poll. 404 for anything that does not
    match, so a prober learns nothing; repeating the call changes nothing."""
    expected = callback_signature(index, vendor_id, session_id)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise NotFound("Not found.")
    stmt = select(AssessmentVendor).where(AssessmentVendor.id == vendor_id).execution_options(**all_tenants())
    vendor = (await session.scalars(stmt)).first()
    if vendor is None:
        raise NotFound("Not found.")
    bind_organisation(session, vendor.organisation_id)
    record = await repository.get_session(session, session_id)
    state = record.partner if record is not None and record.source == "vendor" else None
    if record is None or state is None or state.get("vendor_id") != str(vendor.id):
        raise NotFound("Not found.")
    if record.status == "invited" and not state.get("check_due"):
        record.partner = {**state, "check_due": True}
        record.version += 1
        await session.flush()
