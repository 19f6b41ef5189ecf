"""Save-time checking of organisation overrides: :func:`validate_override`.

Compiling an override catches syntax errors only; a sandbox violation, an undefined variable or a
division by zero shows up when the template runs. So an override is also rendered, through the
real renderers, against built-in sample descriptions before it is accepted. That needs the
renderers, which need the override sandbox, so this lives above both rather than in
:mod:`rolecall.jobs.description.overrides` (which would make an import cycle).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import HttpUrl

from rolecall.jobs.description.model import (
    Company,
    Education,
    JobDescriptionInput,
    JobDetails,
    Location,
    RoleContent,
    Salary,
    SkillExpectation,
    YearsRange,
)
from rolecall.jobs.description.overrides import _check_name, _compile_override
from rolecall.jobs.description.render import render_html, render_markdown


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
