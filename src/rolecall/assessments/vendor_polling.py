"""The worker job that talks to assessment vendors: send queued tests, poll open ones, store results.

Each round works out its calls inside a short transaction, closes it, makes the calls (no database
transaction is ever held open across a network call; on SQLite it would hold the only write lock),
and writes each outcome in a transaction of its own. A failed call is retried later with a growing
pause; a malformed answer is recorded, never guessed at. Registering vendors and queueing tests is
:mod:`rolecall.assessments.vendors`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import invitations, outbound, partner, repository, vendors
from rolecall.assessments.events import AssessmentScored
from rolecall.assessments.models import AssessmentSession
from rolecall.audit import service as audit
from rolecall.candidates import service as candidates
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import all_tenants, bind_organisation

log = structlog.get_logger("rolecall.assessments.vendors")
CANDIDATE_PATH = "/app/candidates/{candidate_id}"
MAX_METADATA_KEYS = 50
POLL_BATCH = 500
POLL_EVERY = timedelta(hours=1)


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
    key = keyring.decrypt(vendor.api_key, context=vendors.api_key_context(vendor.id))
    if kind == "status":
        return _Call(
            record.id,
            record.organisation_id,
            record.version,
            kind=kind,
            url=vendors.endpoint_url(vendor, "test_status"),
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
        url=vendors.endpoint_url(vendor, "send_test"),
        api_key=key,
        body={
            "partner_test_id": state["vendor_test_id"],
            "candidate": {
                "first_name": first,
                "last_name": last,
                "email": person.email,
                "greenhouse_profile_url": base + CANDIDATE_PATH.format(candidate_id=record.candidate_id),
            },
            "url": vendors.callback_url(base, index, vendor.id, record.id),
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
    if not isinstance(answer, dict) or vendors.clean_text(answer.get("partner_interview_id"), 200) is None:
        raise _Malformed("send_test answered without a partner_interview_id")
    record.partner = {
        **(record.partner or {}),
        "state": "sent",
        "partner_interview_id": vendors.clean_text(answer["partner_interview_id"], 200),
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
    if not isinstance(answer, dict) or vendors.clean_text(answer.get("partner_status"), 40) is None:
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
            invitations.emit(session, system, AssessmentScored, record, final=True)
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
