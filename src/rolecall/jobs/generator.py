"""The public job-description generator: a form's fields turned into the renderer's input.

Anyone can describe a job from a starter-library profile and a few facts about their company. The
description comes from the same renderer as real job postings (:mod:`rolecall.jobs.description`),
built the way the library preview builds it (``posting.profile_input``) plus what the person typed.
Nothing is stored, so this module is pure: query values in, a description input or messages out.

What is left out is left out, not invented: no company name gives "Your company" (the renderer
needs a name, and it is what the library preview says), no location and no work arrangement leave
the location section out, no pay leaves the salary out. A value that cannot be used is reported
next to its field and left out of the preview, so the rest of the description still shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from pydantic import ValidationError

from rolecall.jobs import description as jd
from rolecall.jobs.posting import default_title
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import NotFound
from rolecall.roles import service as roles
from rolecall.roles.library.schema import RoleProfile

DEFAULT_PROFILE: Final = "backend-engineer"
DEFAULT_LEVEL: Final = "senior"
PLACEHOLDER_COMPANY: Final = "Your company"
ARRANGEMENTS: Final = (("", "Not stated"), ("onsite", "On-site"), ("hybrid", "Hybrid"), ("remote", "Remote"))
PERIODS: Final = (("year", "per year"), ("month", "per month"), ("hour", "per hour"))
LEVEL_LABELS: Final = {
    "junior": "Junior",
    "mid": "Mid-level",
    "senior": "Senior",
    "lead": "Lead",
    "principal": "Principal",
}
MAX_PAY: Final = Decimal(100_000_000)  # the API's limit for a job's salary
_LIMITS: Final = {"company": 200, "about": 5000, "city": 200, "benefits": 50 * 301}
MAX_BENEFITS: Final = 50
MAX_BENEFIT_LENGTH: Final = 300
FIELDS: Final = (
    "profile",
    "level",
    "company",
    "about",
    "city",
    "country",
    "arrangement",
    "salary_min",
    "salary_max",
    "currency",
    "period",
    "show_salary",
    "benefits",
)


@dataclass
class GeneratorForm:
    """What the person typed, kept as text so a refused value is shown back exactly as typed."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    profile: RoleProfile | None = None

    def value(self, name: str) -> str:
        return self.values.get(name, "")


def _text(params: Mapping[str, str], name: str) -> str:
    raw = params.get(name) or ""
    return raw.replace("\r\n", "\n").replace("\x00", "").strip()


def read_form(params: Mapping[str, str]) -> GeneratorForm:
    """The form from query parameters, with defaults for a first visit and a message per bad field."""
    values = {name: _text(params, name) for name in FIELDS}
    values["profile"] = values["profile"] or DEFAULT_PROFILE
    values["level"] = values["level"] or DEFAULT_LEVEL
    values["currency"] = values["currency"].upper() or "USD"
    values["period"] = values["period"] or "year"
    values["show_salary"] = "no" if values["show_salary"] == "no" else "yes"
    form = GeneratorForm(values)
    for name, limit in _LIMITS.items():
        if len(values[name]) > limit:
            form.errors[name] = f"Use at most {limit:,} characters."
    _check_profile(form)
    _check_place(form)
    _check_pay(form)
    _check_benefits(form)
    return form


def _check_profile(form: GeneratorForm) -> None:
    try:
        form.profile = roles.library_profile(form.value("profile"))
    except NotFound:
        form.errors["profile"] = "Choose one of the roles in the list."
        return
    if form.profile.level(form.value("level")) is None:
        offered = ", ".join(LEVEL_LABELS[name] for name in form.profile.level_names)
        form.errors["level"] = f"The {form.profile.title} role has these levels: {offered}."


def _check_place(form: GeneratorForm) -> None:
    arrangement, city, country = form.value("arrangement"), form.value("city"), form.value("country").upper()
    form.values["country"] = country
    if arrangement not in {key for key, _ in ARRANGEMENTS}:
        form.errors["arrangement"] = "Choose on-site, hybrid, remote or not stated."
        return
    if country:
        try:
            jd.Location(city="x", country=country)
        except ValidationError:
            form.errors["country"] = "Enter a two-letter ISO country code, such as DE, GB or US."
    if arrangement in {"onsite", "hybrid"}:
        if not city:
            form.errors.setdefault("city", "Enter the city of the office for an on-site or hybrid job.")
        if not country:
            form.errors.setdefault("country", "Enter the country of the office, such as DE.")
    elif arrangement == "remote" and not country:
        form.errors.setdefault("country", "Enter the country people can work from, such as DE.")
    elif not arrangement and (city or country):
        form.errors["arrangement"] = "Choose how the work is arranged, or clear the city and country."


def _amount(text: str) -> Decimal | None:
    cleaned = re.sub(r"[\s,_']", "", text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        return None
    return value


def _check_pay(form: GeneratorForm) -> None:
    low_text, high_text = form.value("salary_min"), form.value("salary_max")
    if form.value("period") not in {key for key, _ in PERIODS}:
        form.errors["period"] = "Choose per year, per month or per hour."
    if not low_text and not high_text:
        return
    amounts: dict[str, Decimal] = {}
    for name, text, word in (("salary_min", low_text, "lowest"), ("salary_max", high_text, "highest")):
        if not text:
            form.errors[name] = f"Enter the {word} pay too, or clear both amounts."
            continue
        value = _amount(text)
        if value is None:
            form.errors[name] = "Enter the amount as a number, such as 85000."
        elif not Decimal(1) <= value <= MAX_PAY:
            form.errors[name] = f"Enter an amount from 1 to {MAX_PAY:,.0f}."
        else:
            amounts[name] = value
    if len(amounts) == 2 and amounts["salary_min"] > amounts["salary_max"]:
        form.errors["salary_max"] = "The highest pay must not be less than the lowest."
    if not re.fullmatch(r"[A-Z]{3}", form.value("currency")):
        form.errors["currency"] = "Enter a three-letter currency code, such as EUR or USD."


def benefit_lines(form: GeneratorForm) -> list[str]:
    return [" ".join(line.split()) for line in form.value("benefits").split("\n") if line.strip()]


def _check_benefits(form: GeneratorForm) -> None:
    if "benefits" in form.errors:
        return
    lines = benefit_lines(form)
    if len(lines) > MAX_BENEFITS:
        form.errors["benefits"] = f"List at most {MAX_BENEFITS} benefits."
    elif any(len(line) > MAX_BENEFIT_LENGTH for line in lines):
        form.errors["benefits"] = f"Keep each benefit to {MAX_BENEFIT_LENGTH} characters."
    elif len({line.casefold() for line in lines}) != len(lines):
        form.errors["benefits"] = "List each benefit once."


def _usable(form: GeneratorForm, *names: str) -> bool:
    return not any(name in form.errors for name in names)


def build_input(form: GeneratorForm) -> jd.JobDescriptionInput | None:
    """The renderer's input from the fields that passed; None when there is no role or level to describe."""
    profile = form.profile
    if profile is None or not _usable(form, "level"):
        return None
    level = form.value("level")
    company: dict[str, Any] = {"name": PLACEHOLDER_COMPANY}
    if form.value("company") and _usable(form, "company"):
        company["name"] = form.value("company")
    if form.value("about") and _usable(form, "about"):
        company["about"] = form.value("about")
    if _usable(form, "benefits"):
        company["benefits"] = tuple(benefit_lines(form))
    details: dict[str, Any] = {
        "title": default_title(level, profile.title),
        "level": level,
        "department": profile.job_family[0],
        "work_arrangement": None,
        "date_posted": utcnow(),
    }
    arrangement = form.value("arrangement")
    if arrangement and _usable(form, "arrangement", "city", "country"):
        details["work_arrangement"] = arrangement
        if form.value("city"):
            details["locations"] = ({"city": form.value("city"), "country": form.value("country")},)
        else:
            details["remote_countries"] = (form.value("country"),)
    salary = None
    if form.value("salary_min") and _usable(form, "salary_min", "salary_max", "currency", "period"):
        salary = jd.Salary(
            min=_amount(form.value("salary_min")) or Decimal(1),
            max=_amount(form.value("salary_max")) or Decimal(1),
            currency=form.value("currency"),
            period=form.value("period"),  # checked against PERIODS
            visible=form.value("show_salary") == "yes",
        )
    try:
        return jd.from_profile(
            profile, level, company=jd.Company(**company), job=jd.JobDetails(**details), salary=salary
        )
    except ValidationError:
        # Every field was checked above; a value the renderer still refuses is reported, never a crash.
        form.errors.setdefault(
            "form", "Some of these details could not be used. Check the fields and try again."
        )
        return None


def filename(data: jd.JobDescriptionInput, extension: str) -> str:
    """An ASCII file name from the title: "senior-back-end-engineer.md"."""
    text = unicodedata.normalize("NFKD", data.job.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-") or "job-description"
    return f"{slug}.{extension}"


_JSON_LD_BLOCK: Final = re.compile(r'<script type="application/ld\+json">.*?</script>\n?', re.DOTALL)
_H1: Final = re.compile(r"<(/?)h1\b")


def preview_html(html: str) -> str:
    """The rendered HTML as shown inside the page: its title becomes an ``<h2>`` under the page's own
    ``<h1>``, and the JSON-LD goes, so search engines do not take an example for a real job posting.
    The copy and download keep the renderer's HTML unchanged."""
    return _H1.sub(r"<\1h2", _JSON_LD_BLOCK.sub("", html))
