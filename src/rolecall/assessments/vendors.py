"""Rolecall as the hiring system: an organisation orders tests from an external vendor through the
same partner contract (the vendor's list_tests, send_test and test_status), and keeps the results
as assessment evidence beside its own.

**Vendors** are registered per organisation with a base URL and the API key the vendor gave them;
the key is sealed with the KeyRing. A job names one vendor and one of its tests.

**Invitations are queued, then sent.** An application entering an assessment stage (or a recruiter)
creates a ``source="vendor"`` session at once, so the board shows it; the worker job
:func:`poll_vendor_sessions` sends it to the vendor and later asks for its status. Calling out from
the request or the event handler would hold a database transaction open for the length of a network
call (on SQLite, the only write lock). Sending is at least once: if the vendor accepted a test but
recording its id failed, the next round sends it again.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import invitations, outbound, partner, repository
from rolecall.assessments.models import AssessmentJobSettings, AssessmentSession, AssessmentVendor
from rolecall.audit import service as audit
from rolecall.candidates import service as candidates
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import all_tenants, bind_organisation

log = structlog.get_logger("rolecall.assessments.vendors")

CALLBACK_PURPOSE = "assessment-vendor-callback"
CALLBACK_PATH = "/partner/vendors/{vendor_id}/callback/{session_id}/{signature}"
CANDIDATE_PATH = "/app/candidates/{candidate_id}"
POLL_EVERY = timedelta(hours=1)
VENDOR_WINDOW = timedelta(weeks=8)  # how long a vendor test stays open, as the contract polls
POLL_BATCH = 500
MAX_METADATA_KEYS = 50


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


def _endpoint(vendor: AssessmentVendor, call: str) -> str:
    return f"{vendor.base_url}/{call}"


def _text(value: Any, limit: int) -> str | None:
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
        answer = await outbound.call(policy, "GET", _endpoint(vendor, "list_tests"), api_key=key)
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        raise Conflict(f"The vendor's test list could not be read: {exc}.") from exc
    if not isinstance(answer, list):
        raise Conflict("The vendor's test list is not a list.")
    tests = []
    for entry in answer[:500]:
        if not isinstance(entry, dict):
            continue
        test_id = _text(entry.get("partner_test_id"), 200)
        name = _text(entry.get("partner_test_name"), 500)
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
    invitations.emit(session, principal, "assessment.invited", record, vendor_id=str(vendor.id))
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


# --- the worker job -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    """One outbound call worked out inside a transaction, made after it closed."""

    session_id: uuid.UUID
    organisation_id: uuid.UUID
    version: int
    kind: str  # send | status
    url: str
    api_key: str
    body: dict[str, Any] | None = None
    params: dict[str, str] | None = None


def _due(record: AssessmentSession, now: datetime) -> str | None:
    state = record.partner or {}
    retry_at = state.get("next_attempt_at")
    if retry_at and datetime.fromisoformat(retry_at) > now:
        return None
    if state.get("state") == "queued":
        return "send"
    if state.get("state") != "sent":
        return None
    checked = state.get("last_checked_at")
    if state.get("check_due") or checked is None or datetime.fromisoformat(checked) + POLL_EVERY <= now:
        return "status"
    return None


def _split_name(full_name: str) -> tuple[str, str]:
    """The contract wants first and last names; ours is one field, so the last word is the last name."""
    parts = full_name.strip().rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")


async def _plan(
    session: AsyncSession,
    record: AssessmentSession,
    kind: str,
    keyring: KeyRing,
    index: BlindIndex,
    base: str,
) -> _Call | str | None:
    """The call to make for a due session, an error to record (a str), or None to leave it be."""
    state = record.partner or {}
    vendor = await repository.get_vendor(session, uuid.UUID(state["vendor_id"]))
    if vendor is None or not vendor.enabled:
        return None  # a disabled vendor's sessions wait until it is enabled again
    key = keyring.decrypt(vendor.api_key, context=api_key_context(vendor.id))
    if kind == "status":
        return _Call(
            record.id,
            record.organisation_id,
            record.version,
            kind=kind,
            url=_endpoint(vendor, "test_status"),
            api_key=key,
            params={"partner_interview_id": str(state["partner_interview_id"])},
        )
    if record.candidate_id is None:
        return "the session has no candidate"
    system = Principal.acting_for("system", record.organisation_id)
    person = await candidates.get_candidate(session, system, record.candidate_id, keyring=keyring)
    if not person.email or person.erased_at is not None:
        return "the candidate has no e-mail address"
    first, last = _split_name(person.full_name)
    audit.record(
        session,
        actor=system.actor,
        action="assessment.vendor_invited",
        target_type="assessment_session",
        target_id=record.id,
        vendor_id=str(vendor.id),
    )
    return _Call(
        record.id,
        record.organisation_id,
        record.version,
        kind=kind,
        url=_endpoint(vendor, "send_test"),
        api_key=key,
        body={
            "partner_test_id": state["vendor_test_id"],
            "candidate": {
                "first_name": first,
                "last_name": last,
                "email": person.email,
                "greenhouse_profile_url": base + CANDIDATE_PATH.format(candidate_id=record.candidate_id),
            },
            "url": callback_url(base, index, vendor.id, record.id),
        },
    )


def _http_url(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 2000:
        return None
    return value if urlsplit(value).scheme in ("http", "https") and urlsplit(value).hostname else None


def _metadata(value: Any) -> dict[str, str | int | float | bool | None]:
    """The vendor's display facts: a flat object of primitives, as the contract says; kept sealed,
    since a note about a person is personal data."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str | int | float | bool | None] = {}
    for key, item in list(value.items())[:MAX_METADATA_KEYS]:
        if isinstance(item, str):
            out[str(key)[:100]] = item[:1000]
        elif item is None or isinstance(item, bool | int | float):
            out[str(key)[:100]] = item
    return out


class _Malformed(Exception):
    pass


def _apply_send(record: AssessmentSession, answer: Any, keyring: KeyRing, now: datetime) -> None:
    if not isinstance(answer, dict) or _text(answer.get("partner_interview_id"), 200) is None:
        raise _Malformed("send_test answered without a partner_interview_id")
    record.partner = {
        **(record.partner or {}),
        "state": "sent",
        "partner_interview_id": _text(answer["partner_interview_id"], 200),
        "sent_at": now.isoformat(),
        "last_checked_at": now.isoformat(),
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": None,
    }
    link = _http_url(answer.get("test_url"))
    if link is not None:
        partner.seal_details(keyring, record, {**partner.sealed_details(keyring, record), "test_url": link})


def _apply_status(record: AssessmentSession, answer: Any, keyring: KeyRing, now: datetime) -> bool:
    """Store a status answer; True when it completed the session."""
    if not isinstance(answer, dict) or _text(answer.get("partner_status"), 40) is None:
        raise _Malformed("test_status answered without a partner_status")
    status = str(answer["partner_status"]).strip()[:40]
    state = {
        **(record.partner or {}),
        "vendor_status": status,
        "last_checked_at": now.isoformat(),
        "check_due": False,
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": None,
    }
    if status != "complete":
        record.partner = state
        return False
    report = _http_url(answer.get("partner_profile_url"))
    if report is None:
        raise _Malformed("partner_status is complete but partner_profile_url is missing")
    score = answer.get("partner_score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise _Malformed("partner_score is not a number")
    record.partner = {**state, "state": "complete", "report_url": report, "partner_score": score}
    sealed = partner.sealed_details(keyring, record)
    partner.seal_details(keyring, record, {**sealed, "metadata": _metadata(answer.get("metadata"))})
    record.status = "scored"
    record.total = float(score) if score is not None else None
    record.submitted_at = record.submitted_at or now
    record.scored_at = now
    return True


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    call: _Call,
    answer: Any,
    error: str | None,
    keyring: KeyRing,
) -> str:
    """Write one call's outcome in its own transaction; returns what happened, for the counts."""
    async with transaction(sessionmaker) as session:
        bind_organisation(session, call.organisation_id)
        record = await repository.get_session(session, call.session_id)
        if record is None or record.status != "invited" or record.version != call.version:
            return "skipped"  # cancelled, expired or changed meanwhile: the next round looks again
        now = utcnow()
        outcome = "sent" if call.kind == "send" else "checked"
        try:
            if error is not None:
                raise _Malformed(error)
            if call.kind == "send":
                _apply_send(record, answer, keyring, now)
            elif _apply_status(record, answer, keyring, now):
                outcome = "completed"
        except _Malformed as exc:
            _failed(record, str(exc), now)
            outcome = "failed"
        record.version += 1
        await session.flush()
        if outcome == "completed":
            system = Principal.acting_for("system", record.organisation_id)
            invitations.emit(session, system, "assessment.scored", record, final=True)
        return outcome


def _failed(record: AssessmentSession, reason: str, now: datetime, *, permanent: bool = False) -> None:
    state = dict(record.partner or {})
    attempts = int(state.get("attempts") or 0) + 1
    pause = timedelta(seconds=min(6 * 3600, 60 * 2 ** min(attempts, 12)))
    state.update(
        attempts=attempts,
        last_error=reason[:300],
        next_attempt_at=(now + pause).isoformat(),
    )
    if permanent:
        state["state"] = "failed"
    record.partner = state
    log.warning("assessment_vendor_call_failed", session_id=str(record.id), reason=reason[:300])


async def _due_sessions(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(session, organisation) of every open vendor session with a call due, across organisations,
    read in id-ordered batches so sessions that are waiting never crowd out those that are due."""
    due: list[tuple[uuid.UUID, uuid.UUID]] = []
    after: uuid.UUID | None = None
    while True:
        async with transaction(sessionmaker) as session:
            stmt = (
                select(AssessmentSession)
                .where(AssessmentSession.source == "vendor", AssessmentSession.status == "invited")
                .order_by(AssessmentSession.id)
                .limit(POLL_BATCH)
                .execution_options(**all_tenants())
            )
            if after is not None:
                stmt = stmt.where(AssessmentSession.id > after)
            batch = (await session.scalars(stmt)).all()
        due.extend((r.id, r.organisation_id) for r in batch if _due(r, now) is not None)
        if len(batch) < POLL_BATCH:
            return due
        after = batch[-1].id


async def _poll_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    organisation_id: uuid.UUID,
    keyring: KeyRing,
    index: BlindIndex,
    policy: outbound.Outbound,
    base: str,
) -> str | None:
    """Plan, call and record one session's due call; returns the outcome (None: nothing was due)."""
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        record = await repository.get_session(session, session_id)
        kind = _due(record, utcnow()) if record is not None else None
        if record is None or kind is None:
            return None
        planned = await _plan(session, record, kind, keyring, index, base)
        if isinstance(planned, str):
            _failed(record, planned, utcnow(), permanent=True)
            record.version += 1
            return "failed"
    if planned is None:
        return None
    answer: Any = None
    error: str | None = None
    try:
        if planned.kind == "send":
            answer = await outbound.call(
                policy, "POST", planned.url, api_key=planned.api_key, body=planned.body
            )
        else:
            answer = await outbound.call(
                policy, "GET", planned.url, api_key=planned.api_key, params=planned.params
            )
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        error = str(exc)
    return await _record(sessionmaker, planned, answer, error, keyring)


async def poll_vendor_sessions(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    index: BlindIndex,
    policy: outbound.Outbound,
    *,
    base: str,
) -> dict[str, int]:
    """Worker job: send queued vendor tests and ask for the status of sent ones that are due.

    ``base`` is the public base URL the vendor's completion call comes back to. Each session is
    handled on its own, so one failing (or one vendor being slow) never holds up the others.
    """
    counts = dict.fromkeys(
        ("vendor_tests_sent", "vendor_tests_checked", "vendor_tests_completed", "vendor_calls_failed"), 0
    )
    for session_id, organisation_id in await _due_sessions(sessionmaker, utcnow()):
        try:
            outcome = await _poll_one(sessionmaker, session_id, organisation_id, keyring, index, policy, base)
        except Exception:
            log.exception("assessment_vendor_poll_failed", session_id=str(session_id))
            outcome = "failed"
        if outcome == "sent":
            counts["vendor_tests_sent"] += 1
        elif outcome in ("checked", "completed"):
            counts["vendor_tests_checked"] += 1
            counts["vendor_tests_completed"] += outcome == "completed"
        elif outcome == "failed":
            counts["vendor_calls_failed"] += 1
    return counts
