"""Who may manage webhooks and read the event feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

WebhooksRead = Annotated[Principal, Depends(requires("webhooks:read"))]
WebhooksWrite = Annotated[Principal, Depends(requires("webhooks:write"))]
EventsRead = Annotated[Principal, Depends(requires("events:read"))]
