"""Fan-out: every public event becomes one delivery per enabled endpoint subscribed to its type.

Rows are written in the handler's transaction (with its processed-event receipt), so an event is
queued for an endpoint exactly once however often the relay hands it over; a replay that got there
first is respected. Sending happens later, in :mod:`rolecall.webhooks.delivery`, outside any
transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.events.base import event_class
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.registry import registry
from rolecall.webhooks import payloads, repository, wakeup
from rolecall.webhooks.models import WebhookDelivery


@registry.subscribe_all(name="webhooks.fan_out")
async def fan_out(session: AsyncSession, envelope: CloudEvent) -> None:
    cls = event_class(envelope.type)
    if cls is None or not cls.public:
        return
    targets = [
        e
        for e in await repository.enabled_endpoints(session)
        if payloads.matches(e.event_types, envelope.type)
    ]
    if not targets:
        return
    queued = {
        d.endpoint_id
        for d in await repository.deliveries_of_events(session, [e.id for e in targets], [envelope.id])
    }
    for endpoint in targets:
        if endpoint.id not in queued:
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=envelope.id,
                    event_type=envelope.type,
                    organisation_id=envelope.organisationid,
                )
            )
    await session.flush()
    wakeup.mark(session)
