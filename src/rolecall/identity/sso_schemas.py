"""Request and response bodies of the single sign-on API (``/v1/organisation/sso``).

The client secret goes in and never comes out: the answer says only that one is stored.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from rolecall.identity.permissions import Role

Mode = Literal["jit", "invite_only"]
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
# Addresses anyone can get for free: routing one of these to a provider would send strangers to it.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.com",
        "zoho.com",
    }
)
MAX_DOMAINS = 50


class SsoConnectionIn(BaseModel):
    """The whole connection. ``client_secret`` may be left out to keep the stored one."""

    model_config = ConfigDict(extra="forbid")

    issuer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=500)] = Field(
        description="The provider's issuer URL, exactly as its discovery document names it",
        examples=["https://acme.okta.com"],
    )
    client_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    client_secret: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = Field(
        default=None, description="Required when the connection is created; left out, the stored one stays"
    )
    domains: list[str] = Field(
        min_length=1,
        max_length=MAX_DOMAINS,
        description="E-mail domains whose staff sign in here; a domain belongs to one organisation only",
    )
    mode: Mode = Field(
        description="jit: an unknown person is created with default_role on first sign-in; "
        "invite_only: the account must exist already"
    )
    default_role: Role | None = Field(default=None, description="The role of people created just in time")
    enabled: bool = True

    @field_validator("domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        cleaned = sorted({value.strip().lower().rstrip(".") for value in values})
        for domain in cleaned:
            if not _DOMAIN.fullmatch(domain):
                raise ValueError(f"{domain!r} is not a domain name such as example.com")
            if domain in PUBLIC_MAIL_DOMAINS:
                raise ValueError(f"{domain!r} is a public mail service; anyone can have an address there")
        return cleaned

    @model_validator(mode="after")
    def _role_fits_the_mode(self) -> SsoConnectionIn:
        if self.mode == "jit" and self.default_role is None:
            raise ValueError("default_role is required in jit mode")
        if self.default_role == Role.ADMIN:
            raise ValueError("default_role cannot be admin: promote people after their first sign-in")
        return self


class SsoConnectionOut(BaseModel):
    id: uuid.UUID
    issuer: str
    client_id: str
    client_secret_set: bool = Field(description="A client secret is stored; it is never returned")
    domains: list[str]
    mode: Mode
    default_role: Role | None
    enabled: bool
    redirect_uri: str = Field(description="Register this redirect URI with the identity provider")
    created_at: datetime
    updated_at: datetime
