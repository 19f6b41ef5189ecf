"""The published shape of a description in JSON (``?format=json``), one model per section.

:func:`~rolecall.jobs.description.sections.render_json` builds plain dictionaries so rendering stays
cheap; these models are the contract for them: the OpenAPI document describes the JSON answer with
them, and a test validates every section of a full description against them, so the two cannot
drift apart. Sections are told apart by ``key`` (a discriminated union), in the order of
:data:`~rolecall.jobs.description.sections.SECTION_KEYS`; a section with nothing to say is left out.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DescriptionCompany(_Shape):
    name: str
    website_url: str | None
    logo_url: str | None


class DescriptionJob(_Shape):
    title: str
    level: str | None
    level_label: str | None
    department: str | None
    employment_type: str
    employment_type_label: str
    work_arrangement: Literal["onsite", "hybrid", "remote"] | None
    work_arrangement_label: str | None
    date_posted: str = Field(description="ISO 8601 date-time")
    valid_through: str | None = Field(description="ISO 8601 date-time, or null when open-ended")
    apply_url: str | None


class DescriptionYears(_Shape):
    min: int
    max: int | None = Field(description="null: no upper bound")


class DescriptionFact(_Shape):
    label: str
    value: str


class AboutCompanySection(_Shape):
    key: Literal["about_company"]
    heading: str
    paragraphs: list[str]
    website_url: str | None


class AboutRoleSection(_Shape):
    key: Literal["about_role"]
    heading: str
    title: str
    paragraphs: list[str]
    scope: str | None
    facts: list[DescriptionFact]
    level: str | None
    department: str | None
    employment_type: str
    direct_reports: DescriptionYears | None


class ResponsibilitiesSection(_Shape):
    key: Literal["responsibilities"]
    heading: str
    primary: list[str]
    level_specific: list[str]
    secondary: list[str]


class DescriptionSkill(_Shape):
    name: str
    proficiency: int = Field(ge=1, le=5)
    proficiency_label: str
    text: str


class DescriptionEducation(_Shape):
    minimum: str | None
    preferred: str | None
    fields_of_study: list[str]


class DescriptionExperience(_Shape):
    min: int
    max: int | None
    lead: DescriptionYears | None
    text: str


class RequirementsSection(_Shape):
    key: Literal["requirements"]
    heading: str
    must_have: list[DescriptionSkill]
    nice_to_have: list[DescriptionSkill]
    education: DescriptionEducation | None
    experience: DescriptionExperience | None


class DescriptionToolGroup(_Shape):
    category: str
    label: str
    names: list[str]


class SkillsSection(_Shape):
    key: Literal["skills"]
    heading: str
    tools: list[DescriptionToolGroup]


class DescriptionSalary(_Shape):
    min: int | float
    max: int | float
    currency: str
    period: str
    text: str


class CompensationSection(_Shape):
    key: Literal["compensation"]
    heading: str
    salary: DescriptionSalary | None = Field(description="null when the organisation hides pay")
    benefits: list[str]


class DescriptionPlace(_Shape):
    city: str
    region: str | None
    country: str
    text: str


class DescriptionZone(_Shape):
    zone: str
    text: str


class LocationSection(_Shape):
    key: Literal["location"]
    heading: str
    work_arrangement: Literal["onsite", "hybrid", "remote"]
    work_arrangement_label: str
    summary: str
    locations: list[DescriptionPlace]
    remote_countries: list[str]
    remote_time_zones: list[DescriptionZone]


class HowToApplySection(_Shape):
    key: Literal["how_to_apply"]
    heading: str
    paragraphs: list[str]
    apply_url: str | None


class EqualOpportunitySection(_Shape):
    key: Literal["equal_opportunity"]
    heading: str
    paragraphs: list[str]


Section = Annotated[
    AboutCompanySection
    | AboutRoleSection
    | ResponsibilitiesSection
    | RequirementsSection
    | SkillsSection
    | CompensationSection
    | LocationSection
    | HowToApplySection
    | EqualOpportunitySection,
    Field(discriminator="key"),
]


class DescriptionDocument(_Shape):
    """A job description as data, for a careers site or an ATS that lays it out itself."""

    title: str
    company: DescriptionCompany
    job: DescriptionJob
    meta: list[str] = Field(description="The short facts under the title, in display order")
    sections: list[Section]
