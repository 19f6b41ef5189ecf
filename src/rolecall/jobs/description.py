"""Job descriptions rendered from plain data: Markdown, an HTML fragment, structured JSON and JSON-LD.

Everything here is a pure function of a :class:`JobDescriptionInput`: no database, no clock, no
locale. The same input always yields byte-identical output, so a description can be cached,
diffed and published without surprises.

The text is organised in sections, always in this order (:data:`SECTION_KEYS`); a section with
nothing to say is left out rather than rendered empty:

``about_company``, ``about_role``, ``responsibilities``, ``requirements`` (must-have and
nice-to-have skills, education, experience), ``skills`` (tools and technologies by category),
``compensation`` (the salary range only when it is visible, and benefits; headed "Benefits" when
the range is hidden), ``location``, ``how_to_apply``, ``equal_opportunity``.

Escaping. User-provided text is data, never markup:

* HTML templates run with autoescaping on.
* Markdown templates run in an environment whose ``finalize`` hook escapes every printed value
  for Markdown (:func:`markdown_escape`) unless it is already Markdown (:class:`MarkdownText`), so
  a company called ``*Acme* <script>`` is printed as those characters, not as emphasis or a tag.
* JSON-LD embedded in the HTML escapes ``<``, ``>`` and ``&`` as ``\\u003c`` and so on, so nothing
  in the data can close the ``<script>`` element.

Organisation overrides. Admins may replace the whole document or single sections with their own
Jinja templates (:data:`OVERRIDE_NAMES`): ``"markdown"`` replaces the whole Markdown document,
``"html"`` the inside of the HTML article, and ``"markdown.<section>"`` / ``"html.<section>"``
replace one section, heading included. Override templates are
untrusted: they run in an immutable sandbox with strict undefined variables, see only plain data
(dicts, lists, strings, numbers), and get the same escaping as the built-in templates. Any failure
to compile or render raises :class:`TemplateOverrideError` naming the template and the line;
:func:`validate_override` runs both steps against sample data so a bad override is rejected when it
is saved. A section override that renders only whitespace removes that section.

What each override sees:

* section overrides: ``section`` (the section's entry from :func:`render_json`), ``company``,
  ``job``;
* document overrides: ``title``, ``meta`` (the header facts as strings), ``company``, ``job`` and
  ``sections`` (a list of ``{key, heading, body}`` with each body already rendered). The ``html``
  override renders the inside of the ``<article>``; the article element and the JSON-LD block are
  always added around it.

The sandbox stops templates from reaching Python internals; it does not bound the CPU time of a
deliberately slow template, so callers rendering overrides on request paths should do so with a
time limit.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from zoneinfo import available_timezones

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
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

if TYPE_CHECKING:
    from rolecall.roles.library.schema import IntRange, RoleProfile

__all__ = [
    "DEFAULT_EQUAL_OPPORTUNITY",
    "OVERRIDE_NAMES",
    "SECTION_KEYS",
    "Company",
    "Education",
    "EmploymentType",
    "JobDescriptionInput",
    "JobDetails",
    "Location",
    "MarkdownText",
    "RoleContent",
    "Salary",
    "SalaryPeriod",
    "SkillExpectation",
    "TemplateOverrideError",
    "WorkArrangement",
    "YearsRange",
    "from_profile",
    "job_posting_jsonld",
    "markdown_escape",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
    "validate_override",
]

EmploymentType = Literal["full_time", "part_time", "contract", "temporary", "internship"]
WorkArrangement = Literal["onsite", "hybrid", "remote"]
SalaryPeriod = Literal["year", "month", "hour"]

SECTION_KEYS: Final[tuple[str, ...]] = (
    "about_company",
    "about_role",
    "responsibilities",
    "requirements",
    "skills",
    "compensation",
    "location",
    "how_to_apply",
    "equal_opportunity",
)
_FORMATS: Final = ("markdown", "html")
OVERRIDE_NAMES: Final[frozenset[str]] = frozenset(
    {*_FORMATS, *(f"{fmt}.{key}" for fmt in _FORMATS for key in SECTION_KEYS)}
)
MAX_OVERRIDE_SOURCE: Final = 50_000
MAX_OVERRIDE_OUTPUT: Final = 500_000

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

# Officially assigned ISO 3166-1 alpha-2 codes.
_COUNTRY_CODES: Final = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - a block of codes is easier to check against the standard than a list
)


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _check_country(value: str) -> str:
    if value not in _COUNTRY_CODES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


CountryCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_check_country)]
CurrencyCode = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{3}$")]
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


# --- display helpers ---------------------------------------------------------------------------

_LEVEL_LABELS: Final = {
    "junior": "Junior",
    "mid": "Mid-level",
    "senior": "Senior",
    "lead": "Lead",
    "principal": "Principal",
}
_EMPLOYMENT_LABELS: Final[dict[str, str]] = {
    "full_time": "Full-time",
    "part_time": "Part-time",
    "contract": "Contract",
    "temporary": "Temporary",
    "internship": "Internship",
}
_ARRANGEMENT_LABELS: Final[dict[str, str]] = {"onsite": "On-site", "hybrid": "Hybrid", "remote": "Remote"}
_PROFICIENCY_LABELS: Final = {1: "foundational", 2: "working", 3: "proficient", 4: "advanced", 5: "expert"}
_CATEGORY_LABELS: Final = {"ci_cd": "CI/CD", "on_call": "On-call"}
_ACRONYMS: Final = {
    "ai": "AI",
    "api": "API",
    "aws": "AWS",
    "gcp": "GCP",
    "iac": "IaC",
    "ide": "IDE",
    "ml": "ML",
    "os": "OS",
    "qa": "QA",
    "sql": "SQL",
    "ui": "UI",
    "ux": "UX",
}
_SCHEMA_EMPLOYMENT: Final = {
    "full_time": "FULL_TIME",
    "part_time": "PART_TIME",
    "contract": "CONTRACTOR",
    "temporary": "TEMPORARY",
    "internship": "INTERN",
}
_SCHEMA_PERIOD: Final = {"year": "YEAR", "month": "MONTH", "hour": "HOUR"}


_EN_DASH: Final = "\u2013"


def _category_label(key: str) -> str:
    if key in _CATEGORY_LABELS:
        return _CATEGORY_LABELS[key]
    words = [_ACRONYMS.get(word, word) for word in key.split("_") if word]
    if words and words[0] not in _ACRONYMS.values():
        words[0] = words[0].capitalize()
    return " ".join(words)


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _range_text(value: YearsRange, one: str, many: str) -> str:
    if value.max is None:
        return f"{value.min}+ {many}"
    if value.min == value.max:
        return f"{value.min} {_plural(value.min, one, many)}"
    return f"{value.min}{_EN_DASH}{value.max} {many}"


def _amount(value: Decimal, cents: bool) -> str:
    return f"{value:,.2f}" if cents else f"{int(value):,}"


def _salary_text(salary: Salary) -> str:
    cents = any(v != v.to_integral_value() for v in (salary.min, salary.max))
    low, high = _amount(salary.min, cents), _amount(salary.max, cents)
    span = low if salary.min == salary.max else f"{low} {_EN_DASH} {high}"
    return f"{salary.currency} {span} per {salary.period}"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _date(value: datetime | None) -> str | None:
    return None if value is None else value.date().isoformat()


def _zone_text(zone: str) -> str:
    return zone.replace("..", " to ")


def _url(value: HttpUrl | None) -> str | None:
    return None if value is None else str(value)


# --- the view model: sections as plain data ----------------------------------------------------


def _company_context(data: JobDescriptionInput) -> dict[str, Any]:
    company = data.company
    return {
        "name": company.name,
        "website_url": _url(company.website_url),
        "logo_url": _url(company.logo_url),
    }


def _job_context(data: JobDescriptionInput) -> dict[str, Any]:
    job = data.job
    return {
        "title": job.title,
        "level": job.level,
        "level_label": None if job.level is None else _LEVEL_LABELS.get(job.level, job.level),
        "department": job.department,
        "employment_type": job.employment_type,
        "employment_type_label": _EMPLOYMENT_LABELS[job.employment_type],
        "work_arrangement": job.work_arrangement,
        "work_arrangement_label": _ARRANGEMENT_LABELS.get(job.work_arrangement or ""),
        "date_posted": job.date_posted.isoformat(),
        "valid_through": None if job.valid_through is None else job.valid_through.isoformat(),
        "apply_url": _url(job.apply_url),
    }


def _meta(data: JobDescriptionInput) -> list[str]:
    job = data.job
    if job.work_arrangement is None:
        where = None
    elif job.work_arrangement == "remote":
        where = "Remote" + (f" ({', '.join(job.remote_countries)})" if job.remote_countries else "")
    else:
        where = job.locations[0].text
        if len(job.locations) > 1:
            where += f" and {len(job.locations) - 1} more"
        where += f" ({_ARRANGEMENT_LABELS[job.work_arrangement].lower()})"
    meta = [data.company.name, *([where] if where else []), _EMPLOYMENT_LABELS[job.employment_type]]
    meta.append(f"Posted {_date(job.date_posted)}")
    if job.valid_through is not None:
        meta.append(f"Apply by {_date(job.valid_through)}")
    return meta


def _skill(skill: SkillExpectation) -> dict[str, Any]:
    label = _PROFICIENCY_LABELS[skill.proficiency]
    return {
        "name": skill.name,
        "proficiency": skill.proficiency,
        "proficiency_label": label,
        "text": f"{skill.name} ({label})",
    }


def _years(value: YearsRange | None) -> dict[str, Any] | None:
    return None if value is None else {"min": value.min, "max": value.max}


def _about_company(data: JobDescriptionInput) -> dict[str, Any] | None:
    company = data.company
    if company.about is None:
        return None
    return {
        "heading": f"About {company.name}",
        "paragraphs": _split_paragraphs(company.about),
        "website_url": _url(company.website_url),
    }


def _about_role(data: JobDescriptionInput) -> dict[str, Any]:
    job, role = data.job, data.role
    facts: list[dict[str, str]] = []
    if job.level is not None:
        facts.append({"label": "Level", "value": _LEVEL_LABELS.get(job.level, job.level)})
    if job.department is not None:
        facts.append({"label": "Department", "value": job.department})
    facts.append({"label": "Employment type", "value": _EMPLOYMENT_LABELS[job.employment_type]})
    if role.direct_reports is not None and role.direct_reports.max != 0:
        facts.append(
            {"label": "Team", "value": _range_text(role.direct_reports, "direct report", "direct reports")}
        )
    return {
        "heading": "About the role",
        "title": job.title,
        "paragraphs": [] if role.summary is None else _split_paragraphs(role.summary),
        "scope": role.scope,
        "facts": facts,
        "level": job.level,
        "department": job.department,
        "employment_type": job.employment_type,
        "direct_reports": _years(role.direct_reports),
    }


def _responsibilities(data: JobDescriptionInput) -> dict[str, Any] | None:
    role = data.role
    if not (role.primary_responsibilities or role.level_responsibilities or role.secondary_responsibilities):
        return None
    return {
        "heading": "Responsibilities",
        "primary": list(role.primary_responsibilities),
        "level_specific": list(role.level_responsibilities),
        "secondary": list(role.secondary_responsibilities),
    }


def _requirements(data: JobDescriptionInput) -> dict[str, Any] | None:
    role = data.role
    education = role.education
    if education is not None and not (education.minimum or education.preferred or education.fields_of_study):
        education = None
    experience: dict[str, Any] | None = None
    if role.experience_years is not None:
        text = _range_text(role.experience_years, "year", "years") + " of relevant professional experience"
        if role.lead_experience_years is not None and role.lead_experience_years.max != 0:
            text += (
                ", including " + _range_text(role.lead_experience_years, "year", "years") + " in a lead role"
            )
        experience = {
            **(_years(role.experience_years) or {}),
            "lead": _years(role.lead_experience_years),
            "text": text,
        }
    if not (role.must_have_skills or role.nice_to_have_skills or education or experience):
        return None
    return {
        "heading": "Requirements",
        "must_have": [_skill(s) for s in role.must_have_skills],
        "nice_to_have": [_skill(s) for s in role.nice_to_have_skills],
        "education": None
        if education is None
        else {
            "minimum": education.minimum,
            "preferred": education.preferred,
            "fields_of_study": list(education.fields_of_study),
        },
        "experience": experience,
    }


def _skills(data: JobDescriptionInput) -> dict[str, Any] | None:
    if not data.role.tools:
        return None
    return {
        "heading": "Tools and technologies",
        "tools": [
            {"category": key, "label": _category_label(key), "names": list(items)}
            for key, items in data.role.tools.items()
        ],
    }


def _compensation(data: JobDescriptionInput) -> dict[str, Any] | None:
    salary = data.salary if data.salary is not None and data.salary.visible else None
    benefits = list(data.company.benefits)
    if salary is None and not benefits:
        return None
    return {
        "heading": "Compensation and benefits" if salary is not None else "Benefits",
        "salary": None
        if salary is None
        else {
            "min": _number(salary.min),
            "max": _number(salary.max),
            "currency": salary.currency,
            "period": salary.period,
            "text": _salary_text(salary),
        },
        "benefits": benefits,
    }


def _location(data: JobDescriptionInput) -> dict[str, Any] | None:
    job = data.job
    if job.work_arrangement is None:
        return None
    several = len(job.locations) > 1
    if job.work_arrangement == "onsite":
        summary = "This role is based on site at " + (
            "one of the locations below." if several else "the location below."
        )
    elif job.work_arrangement == "hybrid":
        summary = "This is a hybrid role: you will split your working time between home and " + (
            "one of the offices below." if several else "the office below."
        )
    else:
        summary = "This is a fully remote role."
        if job.remote_countries:
            summary += " You can work from any of the countries listed below."
    return {
        "heading": "Location and work arrangement",
        "work_arrangement": job.work_arrangement,
        "work_arrangement_label": _ARRANGEMENT_LABELS[job.work_arrangement],
        "summary": summary,
        "locations": [
            {"city": loc.city, "region": loc.region, "country": loc.country, "text": loc.text}
            for loc in job.locations
        ],
        "remote_countries": list(job.remote_countries),
        "remote_time_zones": [{"zone": z, "text": _zone_text(z)} for z in job.remote_time_zones],
    }


def _how_to_apply(data: JobDescriptionInput) -> dict[str, Any] | None:
    job = data.job
    if job.how_to_apply is None and job.apply_url is None:
        return None
    return {
        "heading": "How to apply",
        "paragraphs": [] if job.how_to_apply is None else _split_paragraphs(job.how_to_apply),
        "apply_url": _url(job.apply_url),
    }


def _equal_opportunity(data: JobDescriptionInput) -> dict[str, Any] | None:
    statement = data.company.equal_opportunity
    if statement is None:
        return None
    return {"heading": "Equal opportunity", "paragraphs": _split_paragraphs(statement)}


_BUILDERS: Final = {
    "about_company": _about_company,
    "about_role": _about_role,
    "responsibilities": _responsibilities,
    "requirements": _requirements,
    "skills": _skills,
    "compensation": _compensation,
    "location": _location,
    "how_to_apply": _how_to_apply,
    "equal_opportunity": _equal_opportunity,
}
assert tuple(_BUILDERS) == SECTION_KEYS, "the order of sections is defined once, in SECTION_KEYS"


def _sections(data: JobDescriptionInput) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for key, build in _BUILDERS.items():
        content = build(data)
        if content is not None:
            sections.append({"key": key, **content})
    return sections


def render_json(input: JobDescriptionInput) -> dict[str, Any]:
    """The description as structured, JSON-ready data: the sections in order, each with its heading."""
    return {
        "title": input.job.title,
        "company": _company_context(input),
        "job": _job_context(input),
        "meta": _meta(input),
        "sections": _sections(input),
    }


# --- Markdown escaping -------------------------------------------------------------------------


class MarkdownText(str):
    """Text that is already Markdown; the Markdown environments print it unchanged."""

    __slots__ = ()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")
# Leading blanks would turn a line into an indented code block; Markdown drops them anyway.
_MD_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
# Constructs that only mean something at the start of a line: headings, list items, thematic
# breaks, setext underlines and ordered-list numbers ("1." / "1)").
_MD_LINE_START = re.compile(r"^([#+=-])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^(\d+)([.)])", re.MULTILINE)


def markdown_escape(value: object) -> MarkdownText:
    """``value`` as Markdown that reads back as its characters, not as markup.

    Leading blanks on a line are dropped (Markdown ignores them, or turns four into a code block).
    Already-escaped :class:`MarkdownText` is returned unchanged, so escaping twice is harmless.
    """
    if isinstance(value, MarkdownText):
        return value
    text = "" if value is None else str(value)
    text = _MD_INDENT.sub("", text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(r"\\\1", text)
    text = _MD_ORDERED.sub(r"\1\\\2", text)
    return MarkdownText(text)


def _markdown_url(value: object) -> MarkdownText:
    """An autolink. Validated URLs are already percent-encoded; the replacements are a safety net."""
    text = str(value).replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
    return MarkdownText(f"<{text}>")


def _markdown_finalize(value: object) -> object:
    return markdown_escape(value)


def _html_finalize(value: object) -> object:
    return "" if value is None else value


_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)


def _tidy_markdown(text: str) -> str:
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


def _tidy_html(text: str) -> str:
    lines = (line.rstrip() for line in text.splitlines())
    return "\n".join(line for line in lines if line) + "\n"


# --- built-in templates ------------------------------------------------------------------------


def _trusted_environment(*, html: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("rolecall.jobs", "templates"),
        # Markdown is not HTML: its escaping is the finalize hook, so HTML autoescaping stays off there.
        autoescape=html,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_html_finalize if html else _markdown_finalize,
    )
    env.filters["md"] = markdown_escape
    env.filters["md_url"] = _markdown_url
    return env


@functools.cache
def _template(name: str) -> Template:
    return _trusted_environment(html=name.endswith(".html.j2")).get_template(name)


def _macro(template: str, name: str) -> Any:
    return getattr(_template(template).module, name)


# --- overrides ---------------------------------------------------------------------------------


class TemplateOverrideError(ValueError):
    """An organisation's override template does not compile or does not render."""

    def __init__(self, name: str, message: str, line: int | None = None) -> None:
        self.name = name
        self.line = line
        where = f"template override {name!r}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {message}")


_MAX_RANGE: Final = 1000
_MAX_REPEAT: Final = 100_000
_MAX_EXPONENT: Final = 64


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > _MAX_RANGE:
        raise SecurityError(f"range() in an override may produce at most {_MAX_RANGE} items")
    return result


class _OverrideEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox for organisation templates: no Python internals, no mutation, no huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and any(
            isinstance(v, int | float) and abs(v) > limit
            for v, limit in ((left, 2**64), (right, _MAX_EXPONENT))
        ):
            raise SecurityError(f"exponents above {_MAX_EXPONENT} and bases above 2**64 are not allowed")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                repeated = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if repeated and len(seq) * count > _MAX_REPEAT:
                    raise SecurityError(
                        f"repetition producing more than {_MAX_REPEAT} characters or items is not allowed"
                    )
        return super().call_binop(context, operator, left, right)


def _override_environment(*, html: bool) -> _OverrideEnvironment:
    env = _OverrideEnvironment(
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_html_finalize if html else _markdown_finalize,
    )
    env.globals["range"] = _bounded_range
    env.filters["md"] = markdown_escape
    env.filters["md_url"] = _markdown_url
    return env


_OVERRIDE_ENVIRONMENTS: Final = {
    "markdown": _override_environment(html=False),
    "html": _override_environment(html=True),
}


def _filename(name: str) -> str:
    return f"<override {name}>"


def _error_line(exc: BaseException, name: str) -> int | None:
    """The line of the override template where ``exc`` was raised, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None) if isinstance(exc, TemplateSyntaxError) else None
    filename = _filename(name)
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _reason(exc: Exception) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return f"syntax error: {exc.message}"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    if isinstance(exc, UndefinedError):
        return f"undefined value: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _check_name(name: str) -> str:
    if name not in OVERRIDE_NAMES:
        raise TemplateOverrideError(
            name,
            "unknown template name; use 'markdown', 'html', 'markdown.<section>' or 'html.<section>' "
            f"with a section out of {', '.join(SECTION_KEYS)}",
        )
    return name.split(".", 1)[0]


@functools.lru_cache(maxsize=256)
def _compile_override(name: str, source: str) -> Template:
    fmt = _check_name(name)
    if len(source) > MAX_OVERRIDE_SOURCE:
        raise TemplateOverrideError(name, f"the template is longer than {MAX_OVERRIDE_SOURCE} characters")
    env = _OVERRIDE_ENVIRONMENTS[fmt]
    try:
        code = env.compile(source, name=name, filename=_filename(name))
    except TemplateSyntaxError as exc:
        raise TemplateOverrideError(name, _reason(exc), exc.lineno) from exc
    except Exception as exc:  # the compiler can fail in other ways on hostile input
        raise TemplateOverrideError(name, _reason(exc), _error_line(exc, name)) from exc
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def _render_override(name: str, source: str, context: Mapping[str, Any]) -> str:
    template = _compile_override(name, source)
    try:
        output = template.render(**context)
    except Exception as exc:
        raise TemplateOverrideError(name, _reason(exc), _error_line(exc, name)) from exc
    if len(output) > MAX_OVERRIDE_OUTPUT:
        raise TemplateOverrideError(name, f"the output is longer than {MAX_OVERRIDE_OUTPUT} characters")
    return output


def _checked_overrides(overrides: Mapping[str, str] | None) -> Mapping[str, str]:
    if not overrides:
        return {}
    for name in overrides:
        _check_name(name)
    return overrides


# --- rendering ---------------------------------------------------------------------------------


def _section_bodies(
    data: JobDescriptionInput, fmt: Literal["markdown", "html"], overrides: Mapping[str, str]
) -> Iterator[dict[str, Any]]:
    template = "description.md.j2" if fmt == "markdown" else "description.html.j2"
    company, job = _company_context(data), _job_context(data)
    for section in _sections(data):
        key = section["key"]
        source = overrides.get(f"{fmt}.{key}")
        if source is None:
            body = str(_macro(template, key)(section, company, job))
        else:
            body = _render_override(
                f"{fmt}.{key}", source, {"section": section, "company": company, "job": job}
            )
        if body.strip():
            wrapped = MarkdownText(body) if fmt == "markdown" else Markup(body)  # noqa: S704 - rendered with escaping
            yield {"key": key, "heading": section["heading"], "body": wrapped}


def _document_context(data: JobDescriptionInput, sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": data.job.title,
        "meta": _meta(data),
        "company": _company_context(data),
        "job": _job_context(data),
        "sections": sections,
    }


def render_markdown(input: JobDescriptionInput, *, overrides: Mapping[str, str] | None = None) -> str:
    """The description as Markdown (CommonMark), with user text escaped."""
    checked = _checked_overrides(overrides)
    context = _document_context(input, list(_section_bodies(input, "markdown", checked)))
    source = checked.get("markdown")
    if source is None:
        text = str(_macro("description.md.j2", "document")(**context))
    else:
        text = _render_override("markdown", source, context)
    return _tidy_markdown(text)


def _html_sections(data: JobDescriptionInput, overrides: Mapping[str, str]) -> list[dict[str, Any]]:
    return list(_section_bodies(data, "html", overrides))


def _jsonld(data: JobDescriptionInput, description: str) -> dict[str, Any]:
    job, company = data.job, data.company
    organization: dict[str, Any] = {"@type": "Organization", "name": company.name}
    if company.website_url is not None:
        organization["sameAs"] = str(company.website_url)
    if company.logo_url is not None:
        organization["logo"] = str(company.logo_url)
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": description,
        "datePosted": job.date_posted.isoformat(),
    }
    if job.valid_through is not None:
        posting["validThrough"] = job.valid_through.isoformat()
    posting["employmentType"] = _SCHEMA_EMPLOYMENT[job.employment_type]
    posting["hiringOrganization"] = organization
    places = [
        {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": loc.city,
                **({"addressRegion": loc.region} if loc.region else {}),
                "addressCountry": loc.country,
            },
        }
        for loc in job.locations
    ]
    if places:
        posting["jobLocation"] = places[0] if len(places) == 1 else places
    if job.work_arrangement == "remote":
        posting["jobLocationType"] = "TELECOMMUTE"
        countries = [{"@type": "Country", "name": code} for code in job.remote_countries]
        if countries:
            posting["applicantLocationRequirements"] = countries[0] if len(countries) == 1 else countries
    salary = data.salary
    if salary is not None and salary.visible:
        value: dict[str, Any] = {"@type": "QuantitativeValue"}
        if salary.min == salary.max:
            value["value"] = _number(salary.min)
        else:
            value["minValue"] = _number(salary.min)
            value["maxValue"] = _number(salary.max)
        value["unitText"] = _SCHEMA_PERIOD[salary.period]
        posting["baseSalary"] = {"@type": "MonetaryAmount", "currency": salary.currency, "value": value}
    if job.apply_url is not None:
        posting["directApply"] = True
    return posting


def job_posting_jsonld(
    input: JobDescriptionInput, *, overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """schema.org ``JobPosting`` data following Google's job-posting structured-data guidance.

    ``description`` is the HTML of the sections (with any section overrides applied, so it matches
    the page that shows them). The salary appears only when it is visible; a remote job is marked
    ``TELECOMMUTE`` with the countries applicants may work from.
    """
    sections = _html_sections(input, _checked_overrides(overrides))
    return _jsonld(input, "\n".join(s["body"] for s in sections))


_SCRIPT_UNSAFE: Final = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_UNSAFE_RE: Final = re.compile("[<>&\u2028\u2029]")


def _script_json(value: Any) -> Markup:
    """JSON safe to place inside a ``<script>`` element: it cannot contain ``</script>`` or ``<!--``."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return Markup(_SCRIPT_UNSAFE_RE.sub(lambda m: _SCRIPT_UNSAFE[m.group(0)], text))  # noqa: S704


def render_html(input: JobDescriptionInput, *, overrides: Mapping[str, str] | None = None) -> str:
    """The description as an ``<article>`` fragment ending in a JSON-LD ``JobPosting`` block."""
    checked = _checked_overrides(overrides)
    sections = _html_sections(input, checked)
    jsonld = _script_json(_jsonld(input, "\n".join(s["body"] for s in sections)))
    context = _document_context(input, sections)
    source = checked.get("html")
    body = None if source is None else Markup(_render_override("html", source, context))  # noqa: S704
    text = _macro("description.html.j2", "document")(**context, body=body, jsonld=jsonld)
    return _tidy_html(str(text))


# --- override validation -----------------------------------------------------------------------


@functools.cache
def _samples() -> tuple[JobDescriptionInput, ...]:
    """Two inputs for trial renders: one with every field set, one as sparse as the model allows
    while every section still appears, so templates are tried against missing optional values."""
    posted = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    full = JobDescriptionInput(
        company=Company(
            name="Example Company",
            about="We build software.\n\nWe are a team of forty.",
            website_url=HttpUrl("https://example.com"),
            logo_url=HttpUrl("https://example.com/logo.png"),
            benefits=("Thirty days of paid leave", "Learning budget"),
        ),
        job=JobDetails(
            title="Senior Back-End Engineer",
            level="senior",
            department="Engineering",
            work_arrangement="hybrid",
            locations=(
                Location(city="Lisbon", country="PT"),
                Location(city="Porto", region="Norte", country="PT"),
            ),
            date_posted=posted,
            valid_through=datetime(2026, 3, 1, tzinfo=UTC),
            how_to_apply="Send a CV.",
            apply_url=HttpUrl("https://example.com/apply"),
        ),
        salary=Salary(min=Decimal(60000), max=Decimal(80000), currency="EUR"),
        role=RoleContent(
            summary="Builds services.",
            scope="Owns one service.",
            primary_responsibilities=("Build services",),
            level_responsibilities=("Mentor others",),
            secondary_responsibilities=("Join planning",),
            must_have_skills=(SkillExpectation(name="SQL", proficiency=3),),
            nice_to_have_skills=(SkillExpectation(name="Kafka", proficiency=2),),
            education=Education(
                minimum="A degree", preferred="A master's degree", fields_of_study=("Physics",)
            ),
            experience_years=YearsRange(min=5, max=8),
            lead_experience_years=YearsRange(min=1, max=2),
            direct_reports=YearsRange(min=2, max=4),
            tools={"version_control": ("Git",)},
        ),
    )
    sparse = JobDescriptionInput(
        company=Company(name="Example Company", about="We build software.", benefits=("Pension",)),
        job=JobDetails(
            title="Engineer",
            work_arrangement="remote",
            remote_countries=("PT",),
            date_posted=posted,
            how_to_apply="Write to us.",
        ),
        salary=Salary(min=Decimal(1), max=Decimal(2), currency="EUR", visible=False),
        role=RoleContent(
            primary_responsibilities=("Build services",),
            must_have_skills=(SkillExpectation(name="SQL", proficiency=3),),
            tools={"version_control": ("Git",)},
        ),
    )
    return (full, sparse)


def validate_override(name: str, source: str) -> None:
    """Raise :class:`TemplateOverrideError` unless ``source`` compiles and renders as ``name``.

    The trial renders use built-in sample descriptions, one fully populated and one with the
    optional parts missing, so runtime errors (a sandbox violation, an undefined variable, a
    division by zero) are caught when the override is saved, not when a candidate opens the page.
    """
    fmt = _check_name(name)
    _compile_override(name, source)
    for sample in _samples():
        if fmt == "markdown":
            render_markdown(sample, overrides={name: source})
        else:
            render_html(sample, overrides={name: source})


# --- plain text -------------------------------------------------------------------------------

_BLOCK_TAGS: Final = frozenset(
    {"article", "section", "header", "h1", "h2", "h3", "p", "ul", "ol", "li", "div", "br"}
)


class _TextCollector(HTMLParser):
    """Text of an HTML fragment, one line per block element, list items as ``- item``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self._line).split())
        if text:
            self.lines.append(text)
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()
            if tag == "li":
                self._line.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._line.append(data)


def render_text(input: JobDescriptionInput, *, overrides: Mapping[str, str] | None = None) -> str:
    """The description as plain text (no markup), for search indexes and text-only feeds.

    Derived from the HTML sections, so it says exactly what the published page says, overrides
    included; the JSON-LD block is not part of it.
    """
    collector = _TextCollector()
    for section in _html_sections(input, _checked_overrides(overrides)):
        collector.feed(str(section["body"]))
        collector.close()
        collector._flush()
    return "\n".join(collector.lines)
