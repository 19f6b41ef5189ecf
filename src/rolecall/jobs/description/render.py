"""The renderers: Markdown, an HTML fragment with JSON-LD, plain text, and schema.org JSON-LD.

Each is a pure function of a :class:`~rolecall.jobs.description.model.JobDescriptionInput`: no
database, no clock, no locale, so the same input always yields byte-identical output. All of them
start from the same view (:mod:`rolecall.jobs.description.sections`), render each section with its
built-in macro or the organisation's override, then assemble the document; the HTML sections are
also the JSON-LD ``description`` and the source of the plain text, so every format says the same.

* JSON-LD embedded in the HTML escapes ``<``, ``>`` and ``&`` as ``\\u003c`` and so on, so nothing
  in the data can close the ``<script>`` element.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from typing import Any, Final, Literal

from markupsafe import Markup

from rolecall.jobs.description.model import JobDescriptionInput
from rolecall.jobs.description.overrides import _checked_overrides, _render_override
from rolecall.jobs.description.sections import _company_context, _job_context, _meta, _number, _sections
from rolecall.jobs.description.templates import MarkdownText, _macro, _tidy_html, _tidy_markdown

_SCHEMA_EMPLOYMENT: Final = {
    "full_time": "FULL_TIME",
    "part_time": "PART_TIME",
    "contract": "CONTRACTOR",
    "temporary": "TEMPORARY",
    "internship": "INTERN",
}
_SCHEMA_PERIOD: Final = {"year": "YEAR", "month": "MONTH", "hour": "HOUR"}


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
