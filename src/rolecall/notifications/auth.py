"""Who may read and change e-mail settings, templates and queued messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

NotificationsRead = Annotated[Principal, Depends(requires("notifications:read"))]
NotificationsWrite = Annotated[Principal, Depends(requires("notifications:write"))]
# Preferences are a person's own: any signed-in staff member, whatever their scopes.
Myself = Annotated[Principal, Depends(requires())]
