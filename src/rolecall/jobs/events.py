"""Events the jobs context publishes whenever a job changes.

Every job event carries the whole job as it is after the change, and the public posting when the
job is open, so the board can project it without calling back. The hiring team and the reason a
salary left its band stay inside the process: receivers outside it get neither.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from rolecall.platform.events.base import INTERNAL, DomainEvent, EventData


class JobSalary(EventData):
    min: int
    max: int
    currency: str
    period: Literal["year", "month", "hour"] = "year"
    override_reason: str | None = Field(default=None, json_schema_extra=INTERNAL)


class JobLocation(EventData):
    city: str
    region: str | None = None
    country: str


class JobStage(EventData):
    name: str
    type: str


class JobSnapshot(EventData):
    """The job's fields after the change (the same members as the API's job resource)."""

    id: uuid.UUID
    role_profile_id: uuid.UUID
    profile_version: int
    level: str
    title: str
    department: str | None = None
    employment_type: str
    work_arrangement: Literal["onsite", "hybrid", "remote"]
    locations: list[JobLocation]
    remote_countries: list[str] = []
    remote_time_zones: list[str] = []
    openings: int
    salary: JobSalary | None = None
    show_salary: bool | None = None
    hiring_team: list[dict[str, Any]] = Field(default=[], json_schema_extra=INTERNAL)
    application_form: list[dict[str, Any]] = []
    stages: list[JobStage] = []
    valid_through: datetime | None = None
    status: Literal["draft", "open", "paused", "closed"]
    close_reason: str | None = None
    close_note: str | None = Field(default=None, json_schema_extra=INTERNAL)
    first_opened_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int


class JobEvent(DomainEvent):
    source: ClassVar[str] = "/rolecall/jobs"
    subject_template: ClassVar[str] = "jobs/{job.id}"
    action: str = Field(description="The verb of the event type (created, updated, opened, paused, closed)")
    job: JobSnapshot
    posting: dict[str, Any] | None = Field(
        default=None,
        description="The public posting exactly as the careers board shows it; null unless the job is open",
    )


class JobCreated(JobEvent):
    """A job was created as a draft from a role profile."""

    event_type: ClassVar[str] = "job.created"


class JobUpdated(JobEvent):
    """A job's fields changed, or an opening was filled or given back."""

    event_type: ClassVar[str] = "job.updated"


class JobOpened(JobEvent):
    """A job was opened (or re-opened) and is published on the careers board."""

    event_type: ClassVar[str] = "job.opened"


class JobPaused(JobEvent):
    """A job was paused: it leaves the board and takes no applications until opened again."""

    event_type: ClassVar[str] = "job.paused"


class JobClosed(JobEvent):
    """A job was closed, filled or cancelled; closed is final except when a hire is undone."""

    event_type: ClassVar[str] = "job.closed"


JOB_EVENTS: tuple[type[JobEvent], ...] = (JobCreated, JobUpdated, JobOpened, JobPaused, JobClosed)
