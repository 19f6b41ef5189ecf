"""Request and response bodies of the role-profile routes.

Profile documents arrive as plain JSON objects and are validated by the service against the strict
:class:`RoleProfile` model (the same path YAML imports take), so an error always names the field
in the document rather than a position in the request envelope.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rolecall.roles.library.schema import Level, RoleProfile, Slug

Source = Literal["library", "organisation"]


class ProfileSummary(BaseModel):
    """One line of a profile list; ``id`` is null for library profiles, which have no row."""

    id: uuid.UUID | None
    slug: str
    title: str
    job_family: list[str]
    levels: list[Level]
    source: Source
    forked_from: str | None = None
    version: int | None = None


class RoleProfileCreate(BaseModel):
    """Either fork a library profile or create one from a full document."""

    model_config = ConfigDict(extra="forbid")

    from_library: Slug | None = Field(default=None, description="Library profile id to fork")
    slug: Slug | None = Field(default=None, description="New id for the fork (defaults to the library id)")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    document: dict[str, Any] | None = Field(default=None, description="A complete role profile document")
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_source(self) -> RoleProfileCreate:
        if (self.from_library is None) == (self.document is None):
            raise ValueError("give exactly one of 'from_library' or 'document'")
        if self.document is not None and (self.slug or self.title):
            raise ValueError("'slug' and 'title' only apply to forks; put them in the document")
        return self


class RoleProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any]
    note: str | None = Field(default=None, max_length=500)


class RoleProfileOut(BaseModel):
    id: uuid.UUID
    slug: str
    title: str
    forked_from: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    document: RoleProfile


class VersionSummary(BaseModel):
    number: int
    created_at: datetime
    author: str
    note: str | None


class RoleProfileVersionOut(VersionSummary):
    document: RoleProfile


# The old name, for imports: the published schema is RoleProfileVersionOut (offers has a VersionOut too).
VersionOut = RoleProfileVersionOut


class PathStep(BaseModel):
    profile: str
    level: Level
    title: str
    source: Source


class PathsOut(BaseModel):
    profile: str
    level: Level
    entry_from: list[PathStep]
    advancement_to: list[PathStep]
    lateral_moves: list[PathStep]
