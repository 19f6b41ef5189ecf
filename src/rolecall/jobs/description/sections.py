"""The view model: a description as plain data, one entry per section, and :func:`render_json`.

Every output format is built from this one view, so Markdown, HTML, plain text, JSON and JSON-LD
always agree on what a description says; the templates only decide how it looks. The display
labels and text helpers (levels, employment types, salary ranges, years of experience) live here
for the same reason: a label is spelled once.

The text is organised in sections, always in this order (:data:`SECTION_KEYS`); a section with
nothing to say is left out rather than rendered empty:

``about_company``, ``about_role``, ``responsibilities``, ``requirements`` (must-have and
nice-to-have skills, education, experience), ``skills`` (tools and technologies by category),
``compensation`` (the salary range only when it is visible, and benefits; headed "Benefits" when
the range is hidden), ``location``, ``how_to_apply``, ``equal_opportunity``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import HttpUrl

from rolecall.jobs.description.model import (
    JobDescriptionInput,
    Salary,
    SkillExpectation,
    YearsRange,
    _split_paragraphs,
)

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
