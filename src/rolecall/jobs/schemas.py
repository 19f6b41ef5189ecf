"""Request and response bodies of the job routes.

Every structured part of a job (locations, salary, hiring team, application form, stages) is
validated here on its own; rules that need the pinned profile or other rows (level exists, salary
inside the band, hiring-team members are staff of this organisation) are checked by the service.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rolecall.jobs.description import CountryCode, TimeZone
from rolecall.platform.iso import CurrencyCode
from rolecall.platform.strict import INT4_MAX, Numeric
from rolecall.roles.library.schema import Level

EmploymentType = Literal["full_time", "part_time", "contract", "temporary", "internship"]
WorkArrangement = Literal["onsite", "hybrid", "remote"]
JobStatus = Literal["draft", "open", "paused", "closed"]
CloseReason = Literal["filled", "cancelled", "on_hold", "duplicate", "other"]
QuestionType = Literal["short_text", "long_text", "single_choice", "multi_choice", "number", "yes_no", "file"]
StageType = Literal["applied", "screen", "assessment", "interview", "offer", "hired", "rejected"]
TeamRole = Literal["recruiter", "hiring_manager", "interviewer", "coordinator"]
SalaryPeriod = Literal["year", "month", "hour"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The renderer's own types: a job that saves is a job that renders.
Country = CountryCode
Currency = CurrencyCode  # ISO 4217, checked against pycountry's table
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Body):
    city: Name
    region: Name | None = None
    country: Country

    @property
    def display(self) -> str:
        return ", ".join(part for part in (self.city, self.region, self.country) if part)


class Salary(_Body):
    """Annual, monthly or hourly base pay in whole units of ``currency``."""

    min: Annotated[int, Numeric] = Field(gt=0, le=100_000_000)
    max: Annotated[int, Numeric] = Field(gt=0, le=100_000_000)
    currency: Currency
    period: SalaryPeriod = "year"
    override_reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None
    ) = None

    @model_validator(mode="after")
    def _ordered(self) -> Salary:
        if self.min > self.max:
            raise ValueError(f"salary min ({self.min}) must not exceed max ({self.max})")
        return self


class TeamMember(_Body):
    user_id: uuid.UUID
    role: TeamRole


class Question(_Body):
    """One typed question on the application form; careers pages render it from this definition."""

    key: Key
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    type: QuestionType
    required: bool = False
    help_text: Annotated[str, StringConstraints(max_length=1000)] | None = None
    options: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]] = []
    max_length: Annotated[int | None, Numeric] = Field(default=None, ge=1, le=20_000)
    min_value: Annotated[float | None, Numeric] = None
    max_value: Annotated[float | None, Numeric] = None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        choice = self.type in ("single_choice", "multi_choice")
        if choice and len(self.options) < 2:
            raise ValueError(f"question {self.key!r}: a {self.type} question needs at least two options")
        if choice and len(set(self.options)) != len(self.options):
            raise ValueError(f"question {self.key!r}: options must be unique")
        if not choice and self.options:
            raise ValueError(f"question {self.key!r}: only choice questions have options")
        if self.max_length is not None and self.type not in ("short_text", "long_text"):
            raise ValueError(f"question {self.key!r}: max_length applies to text questions only")
        if (self.min_value is not None or self.max_value is not None) and self.type != "number":
            raise ValueError(f"question {self.key!r}: min_value/max_value apply to number questions only")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError(f"question {self.key!r}: min_value must not exceed max_value")
        return self


class Stage(_Body):
    name: Name
    type: StageType


DEFAULT_STAGES: list[Stage] = [
    Stage(name="Applied", type="applied"),
    Stage(name="Recruiter screen", type="screen"),
    Stage(name="Skills assessment", type="assessment"),
    Stage(name="Technical interview", type="interview"),
    Stage(name="Team interview", type="interview"),
    Stage(name="Offer", type="offer"),
    Stage(name="Hired", type="hired"),
    Stage(name="Rejected", type="rejected"),
]


def _no_duplicates(values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        key = value.casefold() if isinstance(value, str) else value
        if key in seen:
            raise ValueError(f"{what} are listed twice: {value!r}")
        seen.add(key)


def _check_questions(values: list[Question]) -> list[Question]:
    keys = [q.key for q in values]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate question keys: {dupes}")
    return values


def _check_stages(values: list[Stage]) -> list[Stage]:
    names = [s.name.lower() for s in values]
    if len(set(names)) != len(names):
        raise ValueError("stage names must be unique")
    if not values or values[0].type != "applied":
        raise ValueError("the first stage must be of type 'applied'")
    missing = {"hired", "rejected"} - {s.type for s in values}
    if missing:
        raise ValueError(f"stages need a stage of type {sorted(missing)}")
    return values


class _JobFields(_Body):
    title: Name | None = None
    department: Name | None = None
    employment_type: EmploymentType | None = None
    work_arrangement: WorkArrangement | None = None
    locations: list[Location] | None = Field(default=None, max_length=50)
    remote_countries: list[Country] | None = Field(default=None, max_length=250)
    remote_time_zones: list[TimeZone] | None = Field(default=None, max_length=50)
    openings: Annotated[int | None, Numeric] = Field(default=None, ge=1, le=1000)
    salary: Salary | None = None
    show_salary: bool | None = None
    hiring_team: list[TeamMember] | None = Field(default=None, max_length=100)
    application_form: list[Question] | None = Field(default=None, max_length=50)
    stages: list[Stage] | None = Field(default=None, max_length=30)
    valid_through: datetime | None = None

    @field_validator("locations")
    @classmethod
    def _distinct_locations(cls, value: list[Location] | None) -> list[Location] | None:
        if value is not None:
            _no_duplicates([loc.display for loc in value], "locations")
        return value

    @field_validator("remote_countries", "remote_time_zones")
    @classmethod
    def _distinct_places(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            _no_duplicates(value, "remote countries and time zones")
        return value

    @field_validator("application_form")
    @classmethod
    def _questions(cls, value: list[Question] | None) -> list[Question] | None:
        return value if value is None else _check_questions(value)

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: list[Stage] | None) -> list[Stage] | None:
        return value if value is None else _check_stages(value)

    @field_validator("valid_through")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("valid_through needs a time zone (e.g. 2027-01-31T23:59:59Z)")
        return value


class JobCreate(_JobFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Senior Backend Engineer",
                    "role_profile_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "level": "lead",
                    "department": "Engineering",
                    "work_arrangement": "hybrid",
                    "locations": [{"city": "Berlin", "country": "DE"}],
                    "salary": {"min": 110000, "max": 150000, "currency": "EUR"},
                }
            ]
        }
    )

    role_profile_id: uuid.UUID
    profile_version: Annotated[int | None, Numeric] = Field(
        default=None, ge=1, le=INT4_MAX, description="Defaults to the latest version"
    )
    level: Level
    department: Name
    employment_type: EmploymentType = "full_time"
    work_arrangement: WorkArrangement


class JobUpdate(_JobFields):
    """Fields to change; the profile and level are fixed once a job exists (create a new job instead)."""

    clear_salary: bool = False


class CloseJob(_Body):
    reason: CloseReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class JobOut(BaseModel):
    id: uuid.UUID
    role_profile_id: uuid.UUID
    profile_version: int
    level: Level
    title: str
    department: str
    employment_type: EmploymentType
    work_arrangement: WorkArrangement
    locations: list[Location]
    remote_countries: list[str]
    remote_time_zones: list[str]
    openings: int
    salary: Salary | None
    show_salary: bool | None
    salary_visible: bool
    hiring_team: list[TeamMember]
    application_form: list[Question]
    stages: list[Stage]
    valid_through: datetime | None
    status: JobStatus
    close_reason: CloseReason | None
    close_note: str | None
    first_opened_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    posting_url: str | None


class JobSettingsUpdate(_Body):
    board_slug: (
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)] | None
    ) = None
    listed: bool | None = None
    show_salary: bool | None = None
    about: Annotated[str, StringConstraints(max_length=5000)] | None = None
    website: AnyHttpUrl | None = None
    logo_url: AnyHttpUrl | None = None
    benefits: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]] | None
    ) = Field(default=None, max_length=50)
    equal_opportunity: Annotated[str, StringConstraints(max_length=3000)] | None = None
    template_overrides: dict[str, Annotated[str, StringConstraints(max_length=50_000)]] | None = None
    # The stages new jobs start with (null: the built-in default); each job may edit its own copy.
    stage_template: list[Stage] | None = Field(default=None, max_length=30)
    # Careers-site branding. The service also checks the colour's contrast against white.
    accent_colour: str | None = Field(
        default=None,
        description="The careers pages' accent colour, #RRGGBB; white text on it needs 4.5:1 contrast",
        examples=["#1f6feb"],
        json_schema_extra={"pattern": "^#[0-9A-Fa-f]{6}$"},
    )
    careers_intro: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="Plain text shown above the openings on the careers site"
    )

    @field_validator("stage_template")
    @classmethod
    def _stage_template(cls, value: list[Stage] | None) -> list[Stage] | None:
        return value if value is None else _check_stages(value)

    @field_validator("accent_colour")
    @classmethod
    def _hex_colour(cls, value: str | None) -> str | None:
        if value is None:
            return None
        colour = value.strip()
        if not HEX_COLOUR.fullmatch(colour):
            raise PydanticCustomError("hex_colour", "must be a colour written #RRGGBB, such as #1f6feb")
        return colour.lower()


class JobSettingsOut(BaseModel):
    board_slug: str
    listed: bool
    show_salary: bool
    about: str | None
    website: str | None
    logo_url: str | None
    benefits: list[str]
    equal_opportunity: str | None
    template_overrides: dict[str, str]
    stage_template: list[Stage]
    accent_colour: str | None
    careers_intro: str | None
    version: int
    board_url: str


class Branding(BaseModel):
    """An organisation's careers-site branding: only public facts, for pages that have no caller."""

    model_config = ConfigDict(frozen=True)

    organisation_id: uuid.UUID
    name: str
    board_slug: str
    website: str | None
    logo_url: str | None
    accent_colour: str | None
    careers_intro: str | None


def dump(value: Any) -> Any:
    """JSON-ready form of a schema value for a JSON column."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [dump(v) for v in value]
    return value
