"""Events the roles context publishes when an organisation's role profile changes."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from rolecall.platform.events.base import DomainEvent


class RoleProfileEvent(DomainEvent):
    source: ClassVar[str] = "/rolecall/roles"
    subject_template: ClassVar[str] = "role-profiles/{profile_id}"
    profile_id: uuid.UUID
    slug: str
    version: int = Field(description="The profile's version after the change; jobs pin a version")
    forked_from: str | None = Field(
        default=None, description="The starter-library profile it was forked from"
    )


class RoleProfileCreated(RoleProfileEvent):
    """An organisation created a role profile, from scratch, by import or by forking the library."""

    event_type: ClassVar[str] = "role_profile.created"


class RoleProfileUpdated(RoleProfileEvent):
    """A role profile got a new version; jobs keep the version they pinned until re-pinned."""

    event_type: ClassVar[str] = "role_profile.updated"
