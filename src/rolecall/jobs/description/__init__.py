"""Job descriptions rendered from plain data: Markdown, an HTML fragment, structured JSON and JSON-LD.

Everything here is a pure function of a :class:`JobDescriptionInput`: no database, no clock, no
locale. The same input always yields byte-identical output, so a description can be cached,
diffed and published without surprises.

The package is layered; each module imports only the ones above it:

* :mod:`~rolecall.jobs.description.model` — the input models and validated text types,
  :func:`from_profile`;
* :mod:`~rolecall.jobs.description.sections` — the sections as plain data, in :data:`SECTION_KEYS`
  order, and :func:`render_json`;
* :mod:`~rolecall.jobs.description.templates` — the trusted Jinja environments and Markdown
  escaping (:func:`markdown_escape`, :class:`MarkdownText`);
* :mod:`~rolecall.jobs.description.overrides` — the sandbox for organisation templates
  (:data:`OVERRIDE_NAMES`, :class:`TemplateOverrideError`);
* :mod:`~rolecall.jobs.description.render` — :func:`render_markdown`, :func:`render_html`,
  :func:`render_text`, :func:`job_posting_jsonld`;
* :mod:`~rolecall.jobs.description.validation` — :func:`validate_override`, the save-time check;
* :mod:`~rolecall.jobs.description.budgeted` — every render that involves an override, and every
  save-time check, in a child process under a CPU, time and memory budget, with a render cache.

Import from the package, not from the modules: this ``__init__`` is the public API, and names with
a leading underscore in the modules are private to the package.
"""

from __future__ import annotations

from rolecall.jobs.description.model import (
    DEFAULT_EQUAL_OPPORTUNITY,
    Company,
    Education,
    EmploymentType,
    JobDescriptionInput,
    JobDetails,
    Location,
    RoleContent,
    Salary,
    SalaryPeriod,
    SkillExpectation,
    WorkArrangement,
    YearsRange,
    from_profile,
)

# Validated text types the API schemas reuse; exported, though not part of ``__all__``.
from rolecall.jobs.description.model import CountryCode as CountryCode
from rolecall.jobs.description.model import TimeZone as TimeZone
from rolecall.jobs.description.overrides import OVERRIDE_NAMES, TemplateOverrideError
from rolecall.jobs.description.render import job_posting_jsonld, render_html, render_markdown, render_text
from rolecall.jobs.description.sections import SECTION_KEYS, render_json
from rolecall.jobs.description.templates import MarkdownText, markdown_escape
from rolecall.jobs.description.validation import validate_override

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
