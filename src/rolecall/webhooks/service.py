"""Webhook endpoints and their delivery log: what administrators do through the API.

Secrets are generated here, returned once (on creation and on rotation) and stored sealed with the
PII key ring. A rotation keeps the previous secret signing beside the new one for an overlap window,
so a receiver can switch secrets without losing a delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Forbidden, NotFound, ProblemError, Unprocessable
from rolecall.platform.events import feed
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import KeyRing
from rolecall.webhooks import payloads, repository, signing, ssrf, wakeup
from rolecall.webhooks.models import PENDING, WebhookAttempt, WebhookDelivery, WebhookEndpoint

DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)
MAX_REPLAY_EVENTS = 10_000
PERSONAL_SCOPE = "candidates:read"


class Gone(ProblemError):
    status, slug, title = 410, "gone", "Gone"


def secret_context(endpoint_id: uuid.UUID, column: str = "secret") -> str:
    return f"webhook_endpoint:{endpoint_id}:{column}"


def _problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


async def _checked_url(url: str, policy: ssrf.Outbound) -> str:
    try:
        return await ssrf.check(url, policy)
    except ssrf.TargetRefused as exc:
        raise _problem("url", f"This URL cannot receive webhooks: {exc}.") from exc


def _checked_types(event_types: Sequence[str]) -> list[str]:
    chosen = sorted(set(event_types))
    if not chosen:
        raise _problem("event_types", "Name at least one event type, a wildcard such as application.*, or *.")
    invalid = payloads.invalid_patterns(chosen)
    if invalid:
        raise _problem(
            "event_types",
            f"Unknown or non-public event types: {', '.join(invalid)}. See GET /v1/events/types.",
        )
    return chosen


def _check_grant(principal: Principal, grants_candidates_read: bool) -> None:
    # Granting an endpoint personal data is handing it out: only someone who may read it may.
    if grants_candidates_read and PERSONAL_SCOPE not in principal.scopes:
        raise Forbidden(f"Granting an endpoint {PERSONAL_SCOPE} needs that scope yourself.")


def secrets_in_use(endpoint: WebhookEndpoint, keyring: KeyRing, now: datetime) -> list[str]:
    """The secrets deliveries are signed with now: the current one, and the previous one while its
    overlap window lasts."""
    found = [keyring.decrypt(endpoint.secret, context=secret_context(endpoint.id))]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        found.append(
            keyring.decrypt(endpoint.previous_secret, context=secret_context(endpoint.id, "previous_secret"))
        )
    return found


# --- endpoints ----------------------------------------------------------------------------------------


async def create_endpoint(
    session: AsyncSession,
    principal: Principal,
    *,
    url: str,
    event_types: Sequence[str],
    description: str,
    enabled: bool,
    grants_candidates_read: bool,
    keyring: KeyRing,
    policy: ssrf.Outbound,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its secret, which is never shown again."""
    _check_grant(principal, grants_candidates_read)
    record = WebhookEndpoint(
        id=new_id(),
        organisation_id=principal.organisation_id,
        url=await _checked_url(url, policy),
        event_types=_checked_types(event_types),
        description=description.strip(),
        enabled=enabled,
        grants_candidates_read=grants_candidates_read,
        secret="",
        version=1,
    )
    secret = signing.new_secret()
    record.secret = keyring.encrypt(secret, context=secret_context(record.id))
    session.add(record)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.endpoint_created",
        target_type="webhook_endpoint",
        target_id=record.id,
        event_types=record.event_types,
        grants_candidates_read=grants_candidates_read,
    )
    return record, secret


async def list_endpoints(
    session: AsyncSession, params: PageParams
) -> tuple[list[WebhookEndpoint], str | None]:
    return page_of(await repository.endpoints(session, params), params)


async def get_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    record = await repository.get_endpoint(session, endpoint_id)
    if record is None:
        raise NotFound("Webhook endpoint not found.")
    return record


async def update_endpoint(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    if_match: str,
    changes: dict[str, Any],
    *,
    policy: ssrf.Outbound,
) -> WebhookEndpoint:
    """Change the URL, types, description, grant or ``enabled``. Enabling an endpoint the worker
    disabled clears its failure record, and its waiting deliveries resume."""
    record = await get_endpoint(session, endpoint_id)
    check_if_match(if_match, record.id, record.version)
    changed: list[str] = []
    if changes.get("url") is not None:
        record.url = await _checked_url(str(changes["url"]), policy)
        changed.append("url")
    if changes.get("event_types") is not None:
        record.event_types = _checked_types(list(changes["event_types"]))
        changed.append("event_types")
    if changes.get("description") is not None:
        record.description = str(changes["description"]).strip()
        changed.append("description")
    if changes.get("grants_candidates_read") is not None:
        _check_grant(principal, bool(changes["grants_candidates_read"]))
        record.grants_candidates_read = bool(changes["grants_candidates_read"])
        changed.append("grants_candidates_read")
    if changes.get("enabled") is not None:
        record.enabled = bool(changes["enabled"])
        if record.enabled:
            record.failing_since, record.exhausted_in_a_row = None, 0
            record.disabled_reason, record.disabled_at = None, None
        changed.append("enabled")
    record.version += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.endpoint_updated",
        target_type="webhook_endpoint",
        target_id=record.id,
        changed_fields=changed,
    )
    return record


async def delete_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, if_match: str
) -> None:
    record = await get_endpoint(session, endpoint_id)
    check_if_match(if_match, record.id, record.version)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == record.id)
    await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == record.id))
    await session.delete(record)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.endpoint_deleted",
        target_type="webhook_endpoint",
        target_id=endpoint_id,
    )


async def rotate_secret(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    *,
    overlap: timedelta,
    keyring: KeyRing,
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing beside it for ``overlap`` (none when zero)."""
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise _problem("overlap_seconds", "The overlap must be between 0 seconds and 7 days.")
    record = await get_endpoint(session, endpoint_id)
    current = keyring.decrypt(record.secret, context=secret_context(record.id))
    if overlap > timedelta(0):
        record.previous_secret = keyring.encrypt(
            current, context=secret_context(record.id, "previous_secret")
        )
        record.previous_secret_expires_at = utcnow() + overlap
    else:
        record.previous_secret, record.previous_secret_expires_at = None, None
    secret = signing.new_secret()
    record.secret = keyring.encrypt(secret, context=secret_context(record.id))
    record.version += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.secret_rotated",
        target_type="webhook_endpoint",
        target_id=record.id,
        overlap_seconds=int(overlap.total_seconds()),
    )
    return record, secret


# --- deliveries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: WebhookDelivery
    attempts: Sequence[WebhookAttempt]


async def list_deliveries(
    session: AsyncSession, endpoint_id: uuid.UUID, params: PageParams, status: str | None = None
) -> tuple[list[WebhookDelivery], str | None]:
    await get_endpoint(session, endpoint_id)
    return page_of(await repository.deliveries(session, endpoint_id, params, status), params)


async def get_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryDetail:
    record = await repository.get_delivery(session, endpoint_id, delivery_id)
    if record is None:
        raise NotFound("Webhook delivery not found.")
    return DeliveryDetail(record, await repository.attempts(session, record.id))


def _queue_again(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.status, delivery.attempts = PENDING, 0
    delivery.next_attempt_at, delivery.leased_until, delivery.delivered_at = now, None, None


async def redeliver(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send one delivery again, with a fresh set of attempts (a delivered one too: the receiver
    asked for it, and de-duplicates by ``webhook-id``)."""
    record = await repository.get_delivery(session, endpoint_id, delivery_id)
    if record is None:
        raise NotFound("Webhook delivery not found.")
    if not await feed.by_ids(session, [record.event_id]):
        raise Gone(
            "The event is no longer retained (see ROLECALL_OUTBOX_RETENTION_DAYS); it cannot be sent again."
        )
    _queue_again(record, utcnow())
    await session.flush()
    wakeup.mark(session)
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.redelivery_requested",
        target_type="webhook_delivery",
        target_id=record.id,
    )
    return record


@dataclass(frozen=True)
class ReplayResult:
    events: int
    created: int
    requeued: int


async def replay(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    *,
    since: datetime,
    until: datetime,
) -> ReplayResult:
    """Queue the organisation's retained events of ``[since, until)`` matching the endpoint's types:
    new deliveries for events it never got, a fresh round of attempts for those it did."""
    if until <= since:
        raise _problem("until", "until must be after since.")
    endpoint = await get_endpoint(session, endpoint_id)
    rows = await feed.between(
        session,
        since=since,
        until=until,
        types=payloads.types_matching(endpoint.event_types),
        limit=MAX_REPLAY_EVENTS + 1,
    )
    if len(rows) > MAX_REPLAY_EVENTS:
        raise _problem("until", f"More than {MAX_REPLAY_EVENTS} events in this range; replay a shorter one.")
    now = utcnow()
    existing = {
        d.event_id: d
        for d in await repository.deliveries_of_events(session, [endpoint.id], [r.id for r in rows])
    }
    created = requeued = 0
    for row in rows:
        known = existing.get(row.id)
        if known is None:
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id, event_id=row.id, event_type=row.type, next_attempt_at=now
                )
            )
            created += 1
        elif known.leased_until is None or known.leased_until < now:
            _queue_again(known, now)
            requeued += 1
    await session.flush()
    wakeup.mark(session)
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.replay_requested",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        since=since.isoformat(),
        until=until.isoformat(),
        events=len(rows),
    )
    return ReplayResult(events=len(rows), created=created, requeued=requeued)
