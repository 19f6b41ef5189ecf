"""The input of a job description: validated, frozen models and the text types they are built from.

A :class:`JobDescriptionInput` holds everything a description shows, independent of how it is
stored. Every string is normalised on the way in (whitespace collapsed, paragraph breaks kept,
codes upper-cased, time-zone offsets given one canonical spelling), so the renderers never have to
clean up input and the same facts always render the same way. :func:`from_profile` builds an input
from one level of a role profile.

The validated string types (:data:`Name`, :data:`CountryCode`, :data:`TimeZone`, ...) live here
rather than next to the API schemas because the models need them and the schemas reuse them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Final, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    model_validator,
)

from rolecall.platform import iso

if TYPE_CHECKING:
    from rolecall.roles.library.schema import IntRange, RoleProfile

EmploymentType = Literal["full_time", "part_time", "contract", "temporary", "internship"]
WorkArrangement = Literal["onsite", "hybrid", "remote"]
SalaryPeriod = Literal["year", "month", "hour"]

DEFAULT_EQUAL_OPPORTUNITY: Final = (
    "We are an equal-opportunity employer. We welcome applications from everyone and decide on "
    "merit, skills and the needs of the role, without regard to race, colour, religion, sex, "
    "sexual orientation, gender identity or expression, national origin, age, disability, "
    "veteran status or any other characteristic protected by law.\n\n"
    "If you need an adjustment at any stage of the hiring process, tell us and we will arrange it."
)

# --- text normalisation and validation ----------------------------------------------------------


def _one_line(value: object) -> object:
    """Collapse runs of whitespace (newlines included) to single spaces; non-strings pass through."""
    return " ".join(value.split()) if isinstance(value, str) else value


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def _split_paragraphs(text: str) -> list[str]:
    return [p for p in (" ".join(chunk.split()) for chunk in _PARAGRAPH_BREAK.split(text)) if p]


def _paragraphs(value: object) -> object:
    """Keep blank-line paragraph breaks, collapse whitespace inside each paragraph."""
    return "\n\n".join(_split_paragraphs(value)) if isinstance(value, str) else value


Name = Annotated[str, BeforeValidator(_one_line), StringConstraints(min_length=1, max_length=200)]
Line = Annotated[str, BeforeValidator(_one_line), StringConstraints(min_length=1, max_length=2000)]
Paragraphs = Annotated[str, BeforeValidator(_paragraphs), StringConstraints(min_length=1, max_length=20_000)]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# Checked against ISO data (rolecall.platform.iso); the currency is upper-cased first here, as the
# description documents always did.
CountryCode = iso.CountryCode
CurrencyCode = Annotated[iso.CurrencyCode, BeforeValidator(_upper)]
CategoryKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]

_OFFSET = re.compile(r"^UTC([+-])(\d{1,2})(?::(\d{2}))?$")
_IANA_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*$")


def _offset_minutes(text: str) -> int | None:
    match = _OFFSET.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if minutes not in (0, 30, 45):
        return None
    total = (hours * 60 + minutes) * (-1 if sign == "-" else 1)
    return total if -12 * 60 <= total <= 14 * 60 else None


def _format_offset(total: int) -> str:
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_time_zone(value: str) -> str:
    """An IANA name (``Europe/Berlin``), a UTC offset (``UTC+2``, ``UTC+5:30``) or an offset range
    (``UTC-5..UTC+2``). Offsets are returned in a canonical spelling."""
    text = value.strip()
    if ".." in text:
        start, _, end = text.partition("..")
        low, high = _offset_minutes(start.strip()), _offset_minutes(end.strip())
        if low is None or high is None:
            raise ValueError(f"time-zone range {value!r} must join two UTC offsets, e.g. UTC-5..UTC+2")
        if low > high:
            raise ValueError(f"time-zone range {value!r} must run from the western to the eastern offset")
        return _format_offset(low) if low == high else f"{_format_offset(low)}..{_format_offset(high)}"
    offset = _offset_minutes(text)
    if offset is not None:
        return _format_offset(offset)
    zones = _known_zones()
    # Without a time-zone database on the host, fall back to checking the shape of the name.
    if (text in zones) if zones else bool(_IANA_SHAPE.match(text)):
        return text
    raise ValueError(
        f"unknown time zone {value!r}: use an IANA name (Europe/Berlin), a UTC offset between "
        "UTC-12 and UTC+14 (UTC+2, UTC+5:30) or a range of offsets (UTC-5..UTC+2)"
    )


TimeZone = Annotated[str, AfterValidator(_check_time_zone)]


def _no_duplicates(values: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    dupes: set[str] = set()
    for value in values:
        key = value.casefold()
        if key in seen:
            dupes.add(value)
        seen.add(key)
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(sorted(dupes))}")


# --- input model -------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Company(_Frozen):
    name: Name
    about: Paragraphs | None = None
    website_url: HttpUrl | None = None
    logo_url: HttpUrl | None = None
    benefits: tuple[Line, ...] = Field(default=(), max_length=50)
    equal_opportunity: Paragraphs | None = DEFAULT_EQUAL_OPPORTUNITY
    """The statement shown last; ``None`` leaves the section out."""


class Location(_Frozen):
    city: Name
    region: Name | None = None
    country: CountryCode

    @property
    def text(self) -> str:
        return ", ".join(part for part in (self.city, self.region, self.country) if part)


class JobDetails(_Frozen):
    """Facts about the opening itself, independent of the role profile it was built from."""

    title: Name
    level: Name | None = None
    department: Name | None = None
    employment_type: EmploymentType = "full_time"
    work_arrangement: WorkArrangement | None
    """``None`` only for a preview of a role-profile level: no job, so no place yet."""
    locations: tuple[Location, ...] = Field(default=(), max_length=50)
    remote_countries: tuple[CountryCode, ...] = Field(default=(), max_length=250)
    remote_time_zones: tuple[TimeZone, ...] = Field(default=(), max_length=50)
    date_posted: AwareDatetime
    valid_through: AwareDatetime | None = None
    how_to_apply: Paragraphs | None = None
    apply_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _consistent(self) -> JobDetails:
        if self.valid_through is not None and self.valid_through <= self.date_posted:
            raise ValueError("valid_through must be later than date_posted")
        if self.work_arrangement is None:
            if self.locations or self.remote_countries or self.remote_time_zones:
                raise ValueError("locations need a work_arrangement")
        elif self.work_arrangement == "remote":
            if not self.remote_countries and not self.locations:
                raise ValueError(
                    "a remote job needs remote_countries (where applicants may work from) or a location"
                )
        else:
            if not self.locations:
                raise ValueError(f"an {self.work_arrangement} job needs at least one location")
            if self.remote_countries or self.remote_time_zones:
                raise ValueError("remote_countries and remote_time_zones apply to remote jobs only")
        _no_duplicates(self.remote_countries, "remote countries")
        _no_duplicates(self.remote_time_zones, "remote time zones")
        _no_duplicates([loc.text for loc in self.locations], "locations")
        return self


class Salary(_Frozen):
    """Base pay per ``period``. ``visible`` is the pay-transparency switch: when it is off the
    range appears in no output at all (text, JSON or JSON-LD)."""

    min: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    max: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    currency: CurrencyCode
    period: SalaryPeriod = "year"
    visible: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Salary:
        if self.min > self.max:
            raise ValueError(f"salary min ({self.min}) must not exceed max ({self.max})")
        return self


class SkillExpectation(_Frozen):
    name: Name
    proficiency: int = Field(ge=1, le=5)


class Education(_Frozen):
    minimum: Line | None = None
    preferred: Line | None = None
    fields_of_study: tuple[Name, ...] = ()


class YearsRange(_Frozen):
    """Whole years (or people, for team sizes); ``max`` ``None`` means open-ended."""

    min: int = Field(ge=0, le=60)
    max: int | None = Field(default=None, ge=0, le=60)

    @model_validator(mode="after")
    def _ordered(self) -> YearsRange:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class RoleContent(_Frozen):
    """What the work is and what it takes, usually taken from one level of a role profile."""

    summary: Paragraphs | None = None
    scope: Line | None = None
    primary_responsibilities: tuple[Line, ...] = ()
    level_responsibilities: tuple[Line, ...] = ()
    secondary_responsibilities: tuple[Line, ...] = ()
    must_have_skills: tuple[SkillExpectation, ...] = ()
    nice_to_have_skills: tuple[SkillExpectation, ...] = ()
    education: Education | None = None
    experience_years: YearsRange | None = None
    lead_experience_years: YearsRange | None = None
    direct_reports: YearsRange | None = None
    tools: dict[CategoryKey, tuple[Name, ...]] = {}

    @model_validator(mode="after")
    def _consistent(self) -> RoleContent:
        _no_duplicates([s.name for s in (*self.must_have_skills, *self.nice_to_have_skills)], "skills")
        for category, items in self.tools.items():
            if not items:
                raise ValueError(f"tool category {category!r} is empty")
            _no_duplicates(items, f"tools in {category!r}")
        return self


class JobDescriptionInput(_Frozen):
    """Everything a job description shows, independent of how it is stored."""

    company: Company
    job: JobDetails
    salary: Salary | None = None
    role: RoleContent = RoleContent()


def from_profile(
    profile: RoleProfile,
    level: str,
    *,
    company: Company,
    job: JobDetails,
    salary: Salary | None = None,
) -> JobDescriptionInput:
    """The description input for one level of a role profile.

    A skill is listed only if the profile states a proficiency for ``level``; its ``must_have``
    flag decides between must-have and nice-to-have. Experience, scope, extra responsibilities,
    lead experience and direct reports come from the level. ``job.level`` and ``job.department``
    are filled from the level and the profile's job family when the caller left them empty.
    """
    spec = profile.level(level)
    if spec is None:
        raise ValueError(
            f"profile {profile.id!r} has no level {level!r} (levels: {', '.join(profile.level_names)})"
        )
    must: list[SkillExpectation] = []
    nice: list[SkillExpectation] = []
    for skill in profile.skills:
        proficiency = skill.proficiency.get(spec.name)
        if proficiency is not None:
            (must if skill.must_have else nice).append(
                SkillExpectation(name=skill.name, proficiency=proficiency)
            )

    def years(value: IntRange | None) -> YearsRange | None:
        return None if value is None else YearsRange(min=value.min, max=value.max)

    role = RoleContent(
        summary=profile.summary,
        scope=spec.scope,
        primary_responsibilities=tuple(profile.responsibilities.primary),
        level_responsibilities=tuple(spec.extra_responsibilities),
        secondary_responsibilities=tuple(profile.responsibilities.secondary),
        must_have_skills=tuple(must),
        nice_to_have_skills=tuple(nice),
        education=Education(
            minimum=profile.education.minimum,
            preferred=profile.education.preferred,
            fields_of_study=tuple(profile.education.fields_of_study),
        ),
        experience_years=years(spec.experience_years),
        lead_experience_years=years(spec.lead_experience_years),
        direct_reports=years(spec.direct_reports),
        tools={category: tuple(items) for category, items in profile.tools.items()},
    )
    filled: dict[str, str] = {}
    if job.level is None:
        filled["level"] = spec.name
    if job.department is None and profile.job_family:
        filled["department"] = profile.job_family[0]
    if filled:
        job = JobDetails.model_validate({**job.model_dump(), **filled})
    return JobDescriptionInput(company=company, job=job, salary=salary, role=role)
