"""Rolecall as an assessment partner: other hiring systems order our tests through Greenhouse's
Assessment Partner contract (list tests, send a test, read its status, be told it is complete).

**Keys.** An organisation creates a key per hiring system; the key is shown once and only its
SHA-256 is stored (it is 256 random bits, so a plain hash cannot be reversed by guessing). The key
is the caller's whole identity: it names the organisation, so every partner request is bound to the
key's organisation and can see nothing else. Anything wrong with the credentials (no header, another
scheme, bad Base64, a password, an unknown or revoked key) gets the same 401, so a caller learns
nothing about which part was wrong.

**Sessions.** A partner-sent session has no application and no candidate record: the person lives
in the other system. Their name and e-mail are sealed into the session's ``contact`` (with the
partner's key, which the completion callback authenticates with) and never leave the context.

**The completion callback** is a worker job, not an event handler: it calls out over the network,
and a handler runs inside the outbox's transaction, which on SQLite holds the database's only write
lock. The job reads what is due, closes its transaction, calls, and records the outcome; a failed
call is tried again with a growing pause, for as long as the partner would poll us anyway (eight
weeks). A re-marked session (a corrected score) is announced again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import invitations, outbound, repository, results
from rolecall.assessments.models import AssessmentPartnerKey, AssessmentSession
from rolecall.audit import service as audit
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.errors import NotFound, Unauthorized, Unprocessable
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import all_tenants, bind_organisation

log = structlog.get_logger("rolecall.assessments.partner")

KEY_PREFIX = "rcpk_"
MAX_KEY_LENGTH = 170  # Greenhouse stores keys shorter than 171 characters
CHALLENGE = {"WWW-Authenticate": 'Basic realm="rolecall-assessment-partner", charset="UTF-8"'}
KIND = "greenhouse"
# Our session status -> the contract's partner_status. Only "complete" has a meaning in the
# contract (results are final); the other words are ours.
PARTNER_STATUS = {
    "invited": "sent",
    "started": "started",
    "marking": "submitted",
    "scored": "complete",
    "expired": "expired",
    "cancelled": "cancelled",
}
REPORT_PATH = "/app/assessments/sessions/{session_id}"
CALLBACK_WINDOW = timedelta(weeks=8)
CALLBACK_MAX_ATTEMPTS = 20
CALLBACK_BATCH = 500


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def contact_context(session_id: uuid.UUID) -> str:
    return f"assessment_session:{session_id}:contact"


def sealed_details(keyring: KeyRing, record: AssessmentSession) -> dict[str, Any]:
    """The session's sealed JSON (contact details, and the partner's key or the vendor's link)."""
    if not record.contact:
        return {}
    value: dict[str, Any] = json.loads(keyring.decrypt(record.contact, context=contact_context(record.id)))
    return value


def seal_details(keyring: KeyRing, record: AssessmentSession, details: dict[str, Any]) -> None:
    text = json.dumps(details, separators=(",", ":"), sort_keys=True)
    record.contact = keyring.encrypt(text, context=contact_context(record.id))


def base_url(public_base_url: str | None, issuer: str) -> str:
    return (public_base_url or issuer).rstrip("/")


def report_url(base: str, session_id: uuid.UUID) -> str:
    return base + REPORT_PATH.format(session_id=session_id)


# --- keys -----------------------------------------------------------------------------------------


async def create_key(
    session: AsyncSession, principal: Principal, name: str
) -> tuple[AssessmentPartnerKey, str]:
    """A new key; the caller must show it now, it cannot be read again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = AssessmentPartnerKey(
        organisation_id=principal.organisation_id,
        name=name.strip(),
        key_hash=hash_key(key),
        prefix=key[:12],
    )
    session.add(record)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment.partner_key_created",
        target_type="assessment_partner_key",
        target_id=record.id,
    )
    return record, key


async def list_keys(session: AsyncSession) -> Sequence[AssessmentPartnerKey]:
    return await repository.partner_keys(session)


async def revoke_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> None:
    """Revoke at once (safe to repeat): the next request with the key gets a 401."""
    record = next((k for k in await repository.partner_keys(session) if k.id == key_id), None)
    if record is None:
        raise NotFound("Partner key not found.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        await session.flush()
        audit.record(
            session,
            actor=principal.actor,
            action="assessment.partner_key_revoked",
            target_type="assessment_partner_key",
            target_id=record.id,
        )


# --- authentication -------------------------------------------------------------------------------


def _refused() -> Unauthorized:
    return Unauthorized("Send the organisation's partner key as the Basic user name.", headers=CHALLENGE)


def basic_key(authorization: str | None) -> str | None:
    """The key in ``Basic base64(key + ":")``, or None for anything else (a password included)."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 4 * MAX_KEY_LENGTH:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, password = decoded.partition(":")
    if not colon or password or not key or len(key) > MAX_KEY_LENGTH:
        return None
    return key


async def authenticate(session: AsyncSession, authorization: str | None) -> Principal:
    """The partner calling, bound to its key's organisation; a 401 for anything wrong."""
    key = basic_key(authorization)
    digest = hash_key(key if key is not None else "")
    record = await repository.partner_key_by_hash(session, digest)
    # The lookup is by a hash of 256 random bits, so its timing says nothing useful; the comparison
    # below still runs in constant time so a found row cannot differ by how much of the hash matched.
    if key is None or record is None or not hmac.compare_digest(record.key_hash, digest):
        raise _refused()
    bind_organisation(session, record.organisation_id)
    return Principal("client", record.id, record.organisation_id, frozenset())


# --- the contract -----------------------------------------------------------------------------------


async def list_tests(session: AsyncSession) -> list[dict[str, str]]:
    """The organisation's blueprints, as the contract's tests."""
    return [
        {"partner_test_id": str(b.id), "partner_test_name": b.title}
        for b in await repository.list_blueprints(session)
    ]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def send_test(
    session: AsyncSession,
    principal: Principal,
    *,
    partner_test_id: str,
    candidate: dict[str, str | None],
    callback_url: str | None,
    api_key: str,
    keyring: KeyRing,
    index: BlindIndex,
    policy: outbound.Outbound,
) -> tuple[AssessmentSession, str]:
    """A session of the test for a person the partner names; returns it and its link token."""
    blueprint_id = _uuid(partner_test_id)
    blueprint = await repository.get_blueprint(session, blueprint_id) if blueprint_id else None
    if blueprint is None:
        raise NotFound("No test with this partner_test_id.")
    if callback_url is not None:
        try:
            outbound.check_url(callback_url, policy)
        except outbound.OutboundRefused as exc:
            raise Unprocessable(
                f"The url cannot be called back: {exc}.",
                extra={"errors": [{"field": "url", "message": str(exc)}]},
            ) from exc
    settings = await invitations.job_settings(session, principal, blueprint.job_id)
    record = await invitations.create_session(
        session,
        principal,
        blueprint.id,
        job_id=None,
        application_id=None,
        candidate_id=None,
        link_days=settings.link_days,
        source="partner",
        partner={
            "kind": KIND,
            "key_id": str(principal.subject_id),
            "partner_test_id": str(blueprint.id),
            "callback_url": callback_url,
            "callback": None,
        },
    )
    seal_details(keyring, record, {**candidate, "callback_key": api_key if callback_url else None})
    token = invitations.issue_token(record, index)
    await session.flush()
    return record, token


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def test_status(session: AsyncSession, partner_interview_id: str, *, base: str) -> dict[str, Any]:
    """The contract's view of one partner-sent session of the calling organisation."""
    session_id = _uuid(partner_interview_id)
    record = await repository.get_session(session, session_id) if session_id else None
    if record is None or record.source != "partner":
        raise NotFound("No test instance with this partner_interview_id.")
    complete = record.status == "scored"
    metadata: dict[str, str | int | float | None] = {
        "Status": record.status,
        "Questions": len(record.items),
        "Started At": _iso(record.started_at),
        "Completed At": _iso(record.submitted_at),
    }
    if record.status in ("marking", "scored"):
        metadata["Answers Awaiting Marking"] = record.pending_marking
        metadata["Percentile"] = await results.percentile(session, record)
        for skill in record.skill_scores or []:
            metadata[f"Skill: {skill['name']}"] = skill.get("score")
    return {
        "partner_status": PARTNER_STATUS.get(record.status, record.status),
        "partner_profile_url": report_url(base, record.id) if complete else None,
        "partner_score": record.total if complete else None,
        "metadata": metadata,
    }


async def record_response_error(
    session: AsyncSession, principal: Principal, api_call: str, errors: Sequence[str], **ids: str | None
) -> None:
    """The partner found one of our answers malformed: keep it for whoever maintains the link.

    The report may carry the candidate's e-mail; it is neither logged nor kept.
    """
    log.warning(
        "assessment_partner_reported_error",
        api_call=api_call[:40],
        errors=[e[:300] for e in errors[:10]],
        **{k: (v or "")[:100] for k, v in ids.items()},
    )
    audit.record(
        session,
        actor=principal.actor,
        action="assessment.partner_error_reported",
        target_type="assessment_partner_key",
        target_id=principal.subject_id,
        api_call=api_call[:40],
        error_count=len(errors),
    )


# --- the completion callback (worker job) -------------------------------------------------------------


def _callback_due(record: AssessmentSession, now: datetime) -> str | None:
    """The completion to announce (its ``scored_at``), or None when nothing is due now."""
    partner = record.partner or {}
    if not partner.get("callback_url") or record.scored_at is None:
        return None
    scored_for = record.scored_at.isoformat()
    state = partner.get("callback") or {}
    if state.get("abandoned") or state.get("delivered_for") == scored_for:
        return None
    retry_at = state.get("next_attempt_at")
    if retry_at is not None and datetime.fromisoformat(retry_at) > now:
        return None
    return scored_for


async def _due_callbacks(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """(session, organisation, completion) of every announcement due, across organisations.

    Read in id-ordered batches so delivered sessions can never crowd out the ones still due.
    """
    due: list[tuple[uuid.UUID, uuid.UUID, str]] = []
    after: uuid.UUID | None = None
    while True:
        async with transaction(sessionmaker) as session:
            stmt = (
                select(AssessmentSession)
                .where(
                    AssessmentSession.source == "partner",
                    AssessmentSession.status == "scored",
                    AssessmentSession.scored_at >= now - CALLBACK_WINDOW,
                )
                .order_by(AssessmentSession.id)
                .limit(CALLBACK_BATCH)
                .execution_options(**all_tenants())
            )
            if after is not None:
                stmt = stmt.where(AssessmentSession.id > after)
            batch = (await session.scalars(stmt)).all()
        for record in batch:
            scored_for = _callback_due(record, now)
            if scored_for is not None:
                due.append((record.id, record.organisation_id, scored_for))
        if len(batch) < CALLBACK_BATCH:
            return due
        after = batch[-1].id


async def _key_live(session: AsyncSession, key_id: str | None) -> bool:
    parsed = _uuid(key_id or "")
    if parsed is None:
        return False
    stmt = select(AssessmentPartnerKey).where(AssessmentPartnerKey.id == parsed)
    record = (await session.scalars(stmt)).first()
    return record is not None and record.revoked_at is None


async def _record_outcome(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    organisation_id: uuid.UUID,
    scored_for: str,
    error: str | None,
    *,
    abandon: bool = False,
) -> None:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        record = await repository.get_session(session, session_id)
        if record is None or record.partner is None:
            return
        state = dict(record.partner.get("callback") or {})
        attempts = int(state.get("attempts", 0)) + (1 if error else 0)
        if error is None:
            state = {"delivered_for": scored_for, "delivered_at": utcnow().isoformat(), "attempts": 0}
        else:
            pause = timedelta(seconds=min(3600, 60 * 2 ** min(attempts, 10)))
            state.update(
                attempts=attempts,
                last_error=error[:300],
                next_attempt_at=(utcnow() + pause).isoformat(),
                abandoned=abandon or attempts >= CALLBACK_MAX_ATTEMPTS,
            )
        record.partner = {**record.partner, "callback": state}
        record.version += 1
        await session.flush()


async def _deliver_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    organisation_id: uuid.UUID,
    scored_for: str,
    keyring: KeyRing,
    policy: outbound.Outbound,
) -> str | None:
    """Announce one completion; returns the error, or None when the partner took it."""
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        record = await repository.get_session(session, session_id)
        if record is None or record.partner is None:
            return None
        live = await _key_live(session, record.partner.get("key_id"))
        url = str(record.partner.get("callback_url"))
        key = sealed_details(keyring, record).get("callback_key")
    error: str | None = None
    abandon = not live
    if abandon:
        error = "the partner key was revoked"
    else:
        try:
            await outbound.call(policy, "PATCH", url, api_key=key, parse=False)
        except outbound.OutboundRefused as exc:
            error, abandon = str(exc), True
        except outbound.OutboundFailed as exc:
            error = str(exc)
    await _record_outcome(sessionmaker, session_id, organisation_id, scored_for, error, abandon=abandon)
    return error


async def deliver_callbacks(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, policy: outbound.Outbound
) -> dict[str, int]:
    """Worker job: tell partners their tests are complete (``PATCH`` to the url they gave us).

    Each session is handled on its own: read in one transaction, called with none open, recorded in
    another; one partner failing never holds up the others.
    """
    counts = {"partner_callbacks_delivered": 0, "partner_callbacks_failed": 0}
    for session_id, organisation_id, scored_for in await _due_callbacks(sessionmaker, utcnow()):
        try:
            error = await _deliver_one(sessionmaker, session_id, organisation_id, scored_for, keyring, policy)
        except Exception:
            log.exception("assessment_partner_callback_crashed", session_id=str(session_id))
            error = "crashed"
        counts["partner_callbacks_failed" if error else "partner_callbacks_delivered"] += 1
        if error:
            log.warning("assessment_partner_callback_failed", session_id=str(session_id), reason=error)
    return counts
