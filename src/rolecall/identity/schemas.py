"""Request and response bodies of the identity API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from rolecall.identity.passwords import password_problems
from rolecall.identity.permissions import Role, unknown_scopes

# Surrounding blanks are dropped before the length is checked, so "   " is not a name.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _check_password(value: str) -> str:
    problems = password_problems(value)
    if problems:
        raise ValueError("password " + "; ".join(problems))
    return value


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    require_mfa: bool = Field(
        description="Everyone who signs in with a password must pass a TOTP second factor"
    )
    created_at: datetime


class OrganisationUpdate(BaseModel):
    """A partial update: fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    require_mfa: bool | None = None

    @field_validator("name", "require_mfa")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: Name
    password: str
    roles: list[Role] = Field(min_length=1)
    sees_all_jobs: bool = Field(
        default=False,
        description="Organisation-wide: sees every job, not only those whose hiring team names the user",
    )

    _password = field_validator("password")(_check_password)


class UserUpdate(BaseModel):
    """A partial update: fields left out stay as they are; none of them may be set to null."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = None
    roles: list[Role] | None = Field(default=None, min_length=1)
    is_active: bool | None = None
    password: str | None = None
    sees_all_jobs: bool | None = None

    @field_validator("full_name", "roles", "is_active", "password", "sees_all_jobs")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only sees a null the client sent explicitly.
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return None if value is None else _check_password(value)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    roles: list[Role]
    is_active: bool
    sees_all_jobs: bool = Field(
        description="Sees every job (admins always do); otherwise only their teams' jobs"
    )
    created_at: datetime
    updated_at: datetime


class ApiClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scopes: list[str] = Field(min_length=1)

    @field_validator("scopes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = unknown_scopes(set(value))
        if unknown:
            raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown))}")
        return sorted(set(value))


class ApiClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    name: str
    scopes: list[str]
    is_active: bool
    created_at: datetime


class ApiClientCreated(ApiClientOut):
    client_secret: str = Field(description="Shown once; store it now, it cannot be read again")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 token type
    expires_in: int
    scope: str
    refresh_token: str | None = None
    # Only on the sign-in that also completed an MFA enrolment: shown once, never again.
    recovery_codes: list[str] | None = None
