"""Events the webhooks context publishes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from rolecall.platform.events.base import INTERNAL, DomainEvent


class WebhookEvent(DomainEvent):
    source: ClassVar[str] = "/rolecall/webhooks"
    subject_template: ClassVar[str] = "webhooks/endpoints/{endpoint_id}"
    endpoint_id: uuid.UUID


class WebhookEndpointDisabled(WebhookEvent):
    """Rolecall stopped sending to a webhook endpoint after sustained failure; an administrator
    re-enables it (``PATCH`` with ``enabled: true``) once the receiver works again."""

    event_type: ClassVar[str] = "webhook.endpoint_disabled"
    # A receiver URL often carries a credential in its path (chat-tool hooks do): it stays in the
    # process (the notice to admins shows it), never on the wire to other receivers.
    url: str = Field(json_schema_extra=INTERNAL)
    reason: str = Field(description="Why: failing_since_too_long or too_many_failed_events")
    failing_since: datetime | None = None
    last_error: str | None = None
