"""Events the identity context publishes about organisations and staff users.

They carry ids, roles and flags, never names or addresses: a consumer that needs a person's details
asks the identity service, which checks its scopes.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import ConfigDict, Field

from rolecall.platform.events.base import DomainEvent


class OrganisationEvent(DomainEvent):
    # Published as ``organisation_id``; held under another name because DomainEvent.organisation_id
    # is the envelope's tenant (the same value here: an organisation's events are about itself).
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)
    source: ClassVar[str] = "/rolecall/identity"
    subject_template: ClassVar[str] = "organisations/{organisation}"
    organisation: uuid.UUID = Field(alias="organisation_id")


class OrganisationCreated(OrganisationEvent):
    """A new organisation (tenant) was set up with its first administrator."""

    event_type: ClassVar[str] = "organisation.created"


class OrganisationUpdated(OrganisationEvent):
    """The organisation's profile changed (name, website, board settings shown on published jobs)."""

    event_type: ClassVar[str] = "organisation.updated"


class UserEvent(DomainEvent):
    source: ClassVar[str] = "/rolecall/identity"
    subject_template: ClassVar[str] = "users/{user_id}"
    user_id: uuid.UUID
    roles: list[str]
    is_active: bool


class UserCreated(UserEvent):
    """A staff user was created: by an admin, as an organisation's first admin, or just in time at
    their first single sign-on (the connection's default role; the audit log's actor then says
    ``system:sso``)."""

    event_type: ClassVar[str] = "user.created"


class UserUpdated(UserEvent):
    """A staff user's roles or active flag changed."""

    event_type: ClassVar[str] = "user.updated"
