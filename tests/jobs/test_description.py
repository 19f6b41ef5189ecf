"""Job descriptions: section order and omission, salary visibility, JSON-LD, escaping, overrides."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from pydantic import ValidationError

from rolecall.jobs.description import (
    DEFAULT_EQUAL_OPPORTUNITY,
    OVERRIDE_NAMES,
    SECTION_KEYS,
    Company,
    JobDescriptionInput,
    JobDetails,
    Salary,
    TemplateOverrideError,
    from_profile,
    job_posting_jsonld,
    markdown_escape,
    render_html,
    render_json,
    render_markdown,
    validate_override,
)
from rolecall.jobs.description.schema import DescriptionDocument
from rolecall.roles.library.loader import load_library

ROOT = Path(__file__).resolve().parents[2]
POSTED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HEADINGS = {
    "about_company": "About Northwind Labs",
    "about_role": "About the role",
    "responsibilities": "Responsibilities",
    "requirements": "Requirements",
    "skills": "Tools and technologies",
    "compensation": "Compensation and benefits",
    "location": "Location and work arrangement",
    "how_to_apply": "How to apply",
    "equal_opportunity": "Equal opportunity",
}


def _merge(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    return {**base, **(changes or {})}


def make_input(
    *,
    company: dict[str, Any] | None = None,
    job: dict[str, Any] | None = None,
    salary: dict[str, Any] | None = None,
    role: dict[str, Any] | None = None,
    no_salary: bool = False,
) -> JobDescriptionInput:
    """A fully populated hybrid job; each argument replaces some fields of one part."""
    return JobDescriptionInput.model_validate(
        {
            "company": _merge(
                {
                    "name": "Northwind Labs",
                    "about": "We make scheduling software for clinics.\n\nForty people, two offices.",
                    "website_url": "https://northwind.example",
                    "logo_url": "https://northwind.example/logo.svg",
                    "benefits": ["Thirty days of paid leave", "A yearly learning budget"],
                },
                company,
            ),
            "job": _merge(
                {
                    "title": "Senior Back-End Engineer",
                    "level": "senior",
                    "department": "Engineering",
                    "employment_type": "full_time",
                    "work_arrangement": "hybrid",
                    "locations": [{"city": "Leeds", "region": "West Yorkshire", "country": "GB"}],
                    "date_posted": POSTED,
                    "valid_through": POSTED + timedelta(days=60),
                    "how_to_apply": "Send us a CV and a short note about a system you are proud of.",
                    "apply_url": "https://northwind.example/jobs/42/apply",
                },
                job,
            ),
            "salary": None
            if no_salary
            else _merge(
                {"min": 100000, "max": 160000, "currency": "USD", "period": "year", "visible": True}, salary
            ),
            "role": _merge(
                {
                    "summary": "You will build the services behind our booking product.",
                    "scope": "Owns a group of related services and their quality in production",
                    "primary_responsibilities": [
                        "Design and run booking services",
                        "Model data for Postgres",
                    ],
                    "level_responsibilities": ["Mentor two mid-level engineers"],
                    "secondary_responsibilities": ["Take part in planning"],
                    "must_have_skills": [
                        {"name": "SQL", "proficiency": 4},
                        {"name": "Python", "proficiency": 3},
                    ],
                    "nice_to_have_skills": [{"name": "Kafka", "proficiency": 2}],
                    "education": {
                        "minimum": "A degree in computer science or equivalent experience",
                        "preferred": "A master's degree",
                        "fields_of_study": ["Computer Science", "Mathematics"],
                    },
                    "experience_years": {"min": 5, "max": 8},
                    "tools": {"version_control": ["Git"], "ci_cd": ["GitHub Actions", "Jenkins"]},
                },
                role,
            ),
        }
    )


def minimal_input(**job: Any) -> JobDescriptionInput:
    """Only what the model requires, with the salary hidden and no equal-opportunity statement."""
    return JobDescriptionInput.model_validate(
        {
            "company": {"name": "Northwind Labs", "equal_opportunity": None},
            "job": {
                "title": "Engineer",
                "work_arrangement": "onsite",
                "locations": [{"city": "Leeds", "country": "GB"}],
                "date_posted": POSTED,
                **job,
            },
            "salary": {"min": 100000, "max": 160000, "currency": "USD", "visible": False},
        }
    )


def md_headings(text: str) -> list[str]:
    return re.findall(r"^## (.+)$", text, flags=re.MULTILINE)


def html_sections(text: str) -> list[str]:
    return re.findall(r'<section data-section="([a-z_]+)">', text)


def jsonld_block(text: str) -> str:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, flags=re.DOTALL)
    assert match is not None
    return match.group(1)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def start_tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser.tags


def markdown_to_html(text: str) -> str:
    """CommonMark with raw HTML enabled, the way a careless consumer would render it."""
    return str(MarkdownIt("commonmark").render(text))


# --- sections ----------------------------------------------------------------------------------


def test_every_format_lists_the_sections_in_the_fixed_order() -> None:
    data = make_input()

    assert md_headings(render_markdown(data)) == [HEADINGS[key] for key in SECTION_KEYS]
    assert html_sections(render_html(data)) == list(SECTION_KEYS)
    assert [s["key"] for s in render_json(data)["sections"]] == list(SECTION_KEYS)
    assert [s["heading"] for s in render_json(data)["sections"]] == [HEADINGS[k] for k in SECTION_KEYS]


@pytest.mark.parametrize(
    "data",
    [
        make_input(),
        minimal_input(),
        make_input(job={"work_arrangement": "remote", "locations": [], "remote_countries": ["DE", "GB"]}),
        make_input(salary={"visible": False}),
    ],
    ids=["full", "minimal", "remote", "hidden-salary"],
)
def test_the_json_description_matches_its_published_schema(data: JobDescriptionInput) -> None:
    """The model is what /openapi.json publishes for ?format=json; extra or missing keys fail here."""
    document = DescriptionDocument.model_validate(render_json(data))

    assert document.model_dump(mode="json", exclude_none=False) == render_json(data)


def test_markdown_document_starts_with_title_and_header_facts() -> None:
    lines = render_markdown(make_input()).splitlines()

    assert lines[0] == "# Senior Back-End Engineer"
    assert lines[2].split(" · ") == [
        "Northwind Labs",
        "Leeds, West Yorkshire, GB (hybrid)",
        "Full-time",
        "Posted 2026-11-02",
        "Apply by 2027-01-01",
    ]


def test_empty_sections_are_left_out_everywhere() -> None:
    data = minimal_input()

    markdown, page, structured = render_markdown(data), render_html(data), render_json(data)

    assert md_headings(markdown) == ["About the role", "Location and work arrangement"]
    assert html_sections(page) == ["about_role", "location"]
    assert [s["key"] for s in structured["sections"]] == ["about_role", "location"]
    # No heading is immediately followed by another heading or the end of the document.
    assert not re.search(r"^## .+\n+(## |\Z)", markdown, flags=re.MULTILINE)
    assert not re.search(r"<h2>[^<]*</h2>\s*</section>", page)


def test_parts_of_a_section_without_content_are_left_out() -> None:
    data = make_input(
        role={"level_responsibilities": [], "secondary_responsibilities": [], "nice_to_have_skills": []}
    )

    markdown = render_markdown(data)

    assert "At this level you will also" not in markdown
    assert "Also part of the job" not in markdown
    assert "Nice to have" not in markdown
    assert "Must have" in markdown


def test_requirements_show_skills_with_proficiency_education_and_experience() -> None:
    data = make_input(role={"lead_experience_years": {"min": 2, "max": 3}})

    markdown = render_markdown(data)
    requirements = next(s for s in render_json(data)["sections"] if s["key"] == "requirements")

    assert "- SQL (advanced)\n- Python (proficient)" in markdown
    assert "- Kafka (working)" in markdown
    assert "- Fields of study: Computer Science, Mathematics" in markdown
    assert (
        "5\u20138 years of relevant professional experience, including 2\u20133 years in a lead role"
        in markdown
    )
    assert requirements["must_have"][0] == {
        "name": "SQL",
        "proficiency": 4,
        "proficiency_label": "advanced",
        "text": "SQL (advanced)",
    }
    assert list(requirements) == ["key", "heading", "must_have", "nice_to_have", "education", "experience"]


def test_tools_are_grouped_under_readable_category_names() -> None:
    markdown = render_markdown(make_input())

    assert "- **Version control:** Git\n- **CI/CD:** GitHub Actions, Jenkins" in markdown


# --- salary ------------------------------------------------------------------------------------


def test_visible_salary_appears_in_every_output() -> None:
    data = make_input()

    posting = job_posting_jsonld(data)

    assert "**Salary:** USD 100,000 \u2013 160,000 per year" in render_markdown(data)
    assert "<strong>Salary:</strong> USD 100,000 \u2013 160,000 per year" in render_html(data)
    compensation = next(s for s in render_json(data)["sections"] if s["key"] == "compensation")
    assert compensation["heading"] == "Compensation and benefits"
    assert compensation["salary"] == {
        "min": 100000,
        "max": 160000,
        "currency": "USD",
        "period": "year",
        "text": "USD 100,000 \u2013 160,000 per year",
    }
    assert posting["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "USD",
        "value": {"@type": "QuantitativeValue", "minValue": 100000, "maxValue": 160000, "unitText": "YEAR"},
    }
    assert json.loads(jsonld_block(render_html(data)))["baseSalary"] == posting["baseSalary"]


def test_hidden_salary_appears_in_no_output() -> None:
    data = make_input(salary={"min": 123457, "max": 198765, "visible": False})

    outputs = {
        "markdown": render_markdown(data),
        "html": render_html(data),
        "json": json.dumps(render_json(data)),
        "jsonld": json.dumps(job_posting_jsonld(data)),
    }

    for name, text in outputs.items():
        for needle in ("123457", "123,457", "198765", "198,765", "Salary"):
            assert needle not in text, (name, needle)
    assert "baseSalary" not in job_posting_jsonld(data)
    compensation = next(s for s in render_json(data)["sections"] if s["key"] == "compensation")
    assert compensation["heading"] == "Benefits"
    assert compensation["salary"] is None
    assert compensation["benefits"] == ["Thirty days of paid leave", "A yearly learning budget"]
    assert "## Benefits\n\n- Thirty days of paid leave" in outputs["markdown"]


def test_hidden_salary_and_no_benefits_leave_out_the_compensation_section() -> None:
    data = make_input(salary={"visible": False}, company={"benefits": []})

    assert "compensation" not in html_sections(render_html(data))
    assert "Compensation" not in render_markdown(data)


@pytest.mark.parametrize(
    ("salary", "text", "value"),
    [
        (
            {"min": "45.5", "max": 60, "currency": "eur", "period": "hour"},
            "EUR 45.50 \u2013 60.00 per hour",
            {"minValue": 45.5, "maxValue": 60, "unitText": "HOUR"},
        ),
        (
            {"min": 5000, "max": 5000, "currency": "GBP", "period": "month"},
            "GBP 5,000 per month",
            {"value": 5000, "unitText": "MONTH"},
        ),
        (
            {"min": 1250000, "max": 2500000, "currency": "JPY", "period": "year"},
            "JPY 1,250,000 \u2013 2,500,000 per year",
            {"minValue": 1250000, "maxValue": 2500000, "unitText": "YEAR"},
        ),
    ],
)
def test_salary_formatting_is_fixed(salary: dict[str, Any], text: str, value: dict[str, Any]) -> None:
    data = make_input(salary=salary)

    assert f"**Salary:** {text}\n" in render_markdown(data)
    assert job_posting_jsonld(data)["baseSalary"]["value"] == {"@type": "QuantitativeValue", **value}


# --- JSON-LD -----------------------------------------------------------------------------------


def test_jsonld_for_an_onsite_job() -> None:
    data = make_input(
        job={
            "work_arrangement": "onsite",
            "locations": [
                {"city": "Leeds", "region": "West Yorkshire", "country": "GB"},
                {"city": "Dublin", "country": "IE"},
            ],
        }
    )

    posting = job_posting_jsonld(data)

    assert list(posting)[:2] == ["@context", "@type"]
    assert posting["@context"] == "https://schema.org/"
    assert posting["@type"] == "JobPosting"
    assert posting["title"] == "Senior Back-End Engineer"
    assert posting["datePosted"] == "2026-11-02T09:30:00+00:00"
    assert posting["validThrough"] == "2027-01-01T09:30:00+00:00"
    assert posting["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Northwind Labs",
        "sameAs": "https://northwind.example/",
        "logo": "https://northwind.example/logo.svg",
    }
    assert posting["jobLocation"] == [
        {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": "Leeds",
                "addressRegion": "West Yorkshire",
                "addressCountry": "GB",
            },
        },
        {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressLocality": "Dublin", "addressCountry": "IE"},
        },
    ]
    assert "jobLocationType" not in posting
    assert "applicantLocationRequirements" not in posting
    assert posting["directApply"] is True


def test_jsonld_for_a_remote_job() -> None:
    data = make_input(
        job={
            "work_arrangement": "remote",
            "locations": [],
            "remote_countries": ["DE", "nl"],
            "remote_time_zones": ["UTC-1..UTC+3"],
        }
    )

    posting = job_posting_jsonld(data)

    assert posting["jobLocationType"] == "TELECOMMUTE"
    assert posting["applicantLocationRequirements"] == [
        {"@type": "Country", "name": "DE"},
        {"@type": "Country", "name": "NL"},
    ]
    assert "jobLocation" not in posting
    markdown = render_markdown(data)
    assert "This is a fully remote role." in markdown
    assert "**Countries you can work from:** DE, NL" in markdown
    assert "**Working hours overlap with:** UTC-1 to UTC+3" in markdown


def test_jsonld_for_a_remote_job_with_one_country_and_an_office() -> None:
    data = make_input(job={"work_arrangement": "remote", "remote_countries": ["GB"]})

    posting = job_posting_jsonld(data)

    assert posting["applicantLocationRequirements"] == {"@type": "Country", "name": "GB"}
    assert posting["jobLocation"]["address"]["addressLocality"] == "Leeds"


@pytest.mark.parametrize(
    ("employment_type", "expected"),
    [
        ("full_time", "FULL_TIME"),
        ("part_time", "PART_TIME"),
        ("contract", "CONTRACTOR"),
        ("temporary", "TEMPORARY"),
        ("internship", "INTERN"),
    ],
)
def test_jsonld_employment_type_uses_schema_org_values(employment_type: str, expected: str) -> None:
    assert (
        job_posting_jsonld(make_input(job={"employment_type": employment_type}))["employmentType"] == expected
    )


def test_jsonld_leaves_out_what_the_job_does_not_have() -> None:
    posting = job_posting_jsonld(minimal_input())

    assert posting["hiringOrganization"] == {"@type": "Organization", "name": "Northwind Labs"}
    for key in ("validThrough", "directApply", "baseSalary", "jobLocationType"):
        assert key not in posting


def test_jsonld_description_is_the_html_of_the_sections() -> None:
    data = make_input()

    description = job_posting_jsonld(data)["description"]

    assert html_sections(description) == list(SECTION_KEYS)
    assert "<script" not in description
    assert "<h1>" not in description


def test_html_embeds_the_same_jsonld() -> None:
    data = make_input()

    assert json.loads(jsonld_block(render_html(data))) == job_posting_jsonld(data)


# --- escaping ----------------------------------------------------------------------------------

HOSTILE_NAME = "*Acme* <script>alert(1)</script>"


def test_html_escapes_user_text() -> None:
    data = make_input(
        company={"name": HOSTILE_NAME, "about": '<img src=x onerror="alert(1)"> & more'},
        role={"primary_responsibilities": ["<b>bold</b> claims"], "tools": {"misc": ["<iframe>"]}},
    )

    page = render_html(data)

    tags = start_tags(page)
    assert [t for t, _ in tags if t in {"script", "img", "b", "iframe"}] == ["img", "script"]
    assert tags[[t for t, _ in tags].index("img")][1]["src"] == "https://northwind.example/logo.svg"
    assert all("onerror" not in attrs for _, attrs in tags)
    assert "<h2>About *Acme* &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in page
    assert "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; more</p>" in page
    assert "<li>&lt;b&gt;bold&lt;/b&gt; claims</li>" in page


def test_markdown_escapes_user_text() -> None:
    data = make_input(
        company={"name": HOSTILE_NAME, "about": "# Not a heading\n\n1. not a list\n\n---\n\n> not a quote"},
        role={
            "primary_responsibilities": ["[click](javascript:alert(1))", "`code` and _under_ and |pipes|"],
            "summary": "<img src=x onerror=alert(1)>",
        },
    )

    rendered = markdown_to_html(render_markdown(data))

    parsed = start_tags(rendered)
    tags = [t for t, _ in parsed]
    for tag in ("script", "img", "code", "em", "blockquote", "hr", "ol", "h1"):
        assert tag not in tags[1:], tag  # the document title is the only h1
    assert tags[0] == "h1"
    # The only links are the validated website and apply URLs.
    assert [attrs["href"] for t, attrs in parsed if t == "a"] == [
        "https://northwind.example/",
        "https://northwind.example/jobs/42/apply",
    ]
    assert "<h2>About *Acme* &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in rendered
    assert "<p># Not a heading</p>" in rendered
    assert "<p>1. not a list</p>" in rendered
    assert "<li>[click](javascript:alert(1))</li>" in rendered


@pytest.mark.parametrize(
    "text",
    [
        "*em* and **strong** and _under_",
        "# heading",
        "## heading",
        "- item",
        "+ item",
        "* item",
        "1. item",
        "12) item",
        "---",
        "===",
        "> quote",
        "`code`",
        "[link](https://example.com)",
        "![image](https://example.com/x.png)",
        "<b>tag</b> <!-- comment -->",
        "&amp; &copy; &#65;",
        "back\\slash \\*",
        "~~strike~~",
        "| a | b |",
        "<https://example.com>",
        "    indented code",
        "line one\n# line two\n- line three",
    ],
)
def test_markdown_escape_reads_back_as_plain_text(text: str) -> None:
    rendered = markdown_to_html(markdown_escape(text)).strip()

    assert rendered.startswith("<p>")
    assert rendered.endswith("</p>")
    assert rendered.count("<") == 2  # only the paragraph element: no other markup
    assert html.unescape(rendered[3:-4]) == "\n".join(line.lstrip() for line in text.split("\n"))


def test_markdown_escape_is_idempotent() -> None:
    once = markdown_escape("*a* <b>")

    assert markdown_escape(once) == once
    assert once == "\\*a\\* \\<b\\>"


@pytest.mark.parametrize(
    "hostile",
    [
        "</script><script>alert(1)</script>",
        "</SCRIPT ><script>alert(1)</script>",
        "<!--<script>",
        "]]> & '\" \\u003c",
    ],
)
def test_jsonld_cannot_break_out_of_its_script_element(hostile: str) -> None:
    data = make_input(company={"name": hostile}, job={"title": f"Engineer {hostile}"})

    page = render_html(data)

    block = jsonld_block(page)
    assert not re.search(r"[<>&\u2028\u2029]", block)
    assert len(re.findall(r"</script", page, flags=re.IGNORECASE)) == 1
    assert [t for t, _ in start_tags(page) if t == "script"] == ["script"]
    posting = json.loads(block)
    assert posting["hiringOrganization"]["name"] == hostile
    assert posting["title"] == f"Engineer {hostile}"


def test_html_is_an_article_fragment() -> None:
    page = render_html(make_input())

    assert page.startswith('<article class="job-description">\n<header>\n')
    assert page.endswith("</script>\n</article>\n")
    assert "<html" not in page
    assert "<body" not in page


# --- determinism -------------------------------------------------------------------------------

_DIGEST_SCRIPT = """
import hashlib, json
from tests.jobs.test_description import make_input
from rolecall.jobs.description import job_posting_jsonld, render_html, render_json, render_markdown
data = make_input()
parts = [render_markdown(data), render_html(data), json.dumps(render_json(data))]
parts.append(json.dumps(job_posting_jsonld(data)))
print(hashlib.sha256("\\x00".join(parts).encode()).hexdigest())
"""


def _digest(data: JobDescriptionInput) -> str:
    parts = [
        render_markdown(data),
        render_html(data),
        json.dumps(render_json(data)),
        json.dumps(job_posting_jsonld(data)),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def test_same_input_gives_identical_output_in_this_process() -> None:
    first = make_input()
    again = JobDescriptionInput.model_validate_json(first.model_dump_json())

    assert render_markdown(first) == render_markdown(first) == render_markdown(again)
    assert render_html(first) == render_html(again)
    assert render_json(first) == render_json(again)
    assert list(render_json(first)) == ["title", "company", "job", "meta", "sections"]
    assert _digest(first) == _digest(again)


def test_same_input_gives_identical_output_across_processes() -> None:
    expected = _digest(make_input())
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(result.stdout.strip())

    assert digests == {expected}


def test_output_does_not_depend_on_the_time_zone_of_the_clock() -> None:
    posted_elsewhere = POSTED.astimezone(timezone(timedelta(hours=5)))
    data = make_input(job={"date_posted": posted_elsewhere, "valid_through": None})

    assert job_posting_jsonld(data)["datePosted"] == "2026-11-02T14:30:00+05:00"
    assert "Posted 2026-11-02" in render_markdown(data)


# --- from_profile ------------------------------------------------------------------------------


def _company() -> Company:
    return Company(name="Northwind Labs")


def _job(**changes: Any) -> JobDetails:
    fields: dict[str, Any] = {
        "title": "Back-End Engineer",
        "work_arrangement": "remote",
        "remote_countries": ["GB"],
        "date_posted": POSTED,
        **changes,
    }
    return JobDetails.model_validate(fields)


def test_from_profile_picks_the_skills_of_the_level() -> None:
    profile = load_library().get("backend-engineer")

    junior = from_profile(profile, "junior", company=_company(), job=_job())
    lead = from_profile(profile, "lead", company=_company(), job=_job())

    junior_must = {s.name: s.proficiency for s in junior.role.must_have_skills}
    junior_nice = {s.name: s.proficiency for s in junior.role.nice_to_have_skills}
    lead_must = {s.name: s.proficiency for s in lead.role.must_have_skills}
    lead_nice = {s.name: s.proficiency for s in lead.role.nice_to_have_skills}
    assert junior_must["REST"] == 1
    assert junior_must["Docker"] == 2
    assert lead_must["REST"] == 4
    assert junior_nice["Postgres"] == 1
    # No proficiency at the level: not listed at all.
    assert "Event-driven architecture" not in junior_must | junior_nice
    assert lead_nice["Event-driven architecture"] == 4
    assert "Mentoring" not in junior_must | junior_nice
    assert lead_must["Mentoring"] == 4
    assert not set(lead_must) & set(lead_nice)
    expected = {s.name for s in profile.skills if "lead" in s.proficiency}
    assert set(lead_must) | set(lead_nice) == expected
    # Profile order is kept.
    assert [s.name for s in lead.role.must_have_skills][:3] == ["REST", "Microservices", "System design"]


def test_from_profile_takes_experience_scope_and_responsibilities_from_the_level() -> None:
    profile = load_library().get("backend-engineer")
    spec = profile.level("lead")
    assert spec is not None

    data = from_profile(profile, "lead", company=_company(), job=_job())

    role = data.role
    assert (role.experience_years.min, role.experience_years.max) == (7, 12)  # type: ignore[union-attr]
    assert (role.lead_experience_years.min, role.lead_experience_years.max) == (3, 5)  # type: ignore[union-attr]
    assert (role.direct_reports.min, role.direct_reports.max) == (4, 6)  # type: ignore[union-attr]
    assert role.scope == spec.scope
    assert role.level_responsibilities == tuple(spec.extra_responsibilities)
    assert role.primary_responsibilities == tuple(profile.responsibilities.primary)
    assert role.secondary_responsibilities == tuple(profile.responsibilities.secondary)
    assert role.summary == profile.summary
    assert role.education is not None
    assert role.education.minimum == profile.education.minimum
    assert list(role.tools) == list(profile.tools)
    assert data.job.level == "lead"
    assert data.job.department == "Engineering"
    junior = from_profile(profile, "junior", company=_company(), job=_job())
    assert (junior.role.experience_years.min, junior.role.experience_years.max) == (0, 2)  # type: ignore[union-attr]
    assert junior.role.direct_reports is None
    assert "Write unit tests for the code they change" in junior.role.level_responsibilities


def test_from_profile_keeps_what_the_caller_set_and_renders() -> None:
    profile = load_library().get("backend-engineer")

    data = from_profile(
        profile,
        "lead",
        company=_company(),
        job=_job(title="Lead Back-End Engineer", level="Staff", department="Platform"),
        salary=Salary(min=100000, max=160000, currency="USD"),
    )

    assert (data.job.level, data.job.department) == ("Staff", "Platform")
    markdown = render_markdown(data)
    assert "- **Level:** Staff" in markdown
    assert "- **Team:** 4\u20136 direct reports" in markdown
    assert (
        "7\u201312 years of relevant professional experience, including 3\u20135 years in a lead role"
        in markdown
    )
    assert "**Salary:** USD 100,000 \u2013 160,000 per year" in markdown


def test_every_level_of_every_starter_profile_renders() -> None:
    for profile in load_library():
        for level in profile.level_names:
            data = from_profile(profile, level, company=_company(), job=_job(title=profile.title))
            structured = render_json(data)
            keys = [s["key"] for s in structured["sections"]]
            assert keys == [
                k for k in SECTION_KEYS if k not in {"about_company", "compensation", "how_to_apply"}
            ]
            assert md_headings(render_markdown(data))[0] == "About the role", (profile.id, level)
            assert html_sections(render_html(data)) == keys


def test_from_profile_rejects_a_level_the_profile_does_not_have() -> None:
    profile = load_library().get("backend-engineer")

    with pytest.raises(ValueError, match="has no level 'staff'"):
        from_profile(profile, "staff", company=_company(), job=_job())


# --- overrides ---------------------------------------------------------------------------------


def test_section_override_replaces_that_section_and_keeps_escaping() -> None:
    source = "## Who we are\n\n{{ company.name }}: {{ section.paragraphs | join(' ') }}\n"
    data = make_input(company={"name": HOSTILE_NAME})

    markdown = render_markdown(data, overrides={"markdown.about_company": source})

    assert md_headings(markdown)[0] == "Who we are"
    assert "About " not in md_headings(markdown)[0]
    assert "\\*Acme\\* \\<script\\>alert(1)\\</script\\>: We make scheduling software" in markdown
    assert md_headings(markdown)[1:] == [HEADINGS[k] for k in SECTION_KEYS[1:]]


def test_html_section_override_is_autoescaped_and_feeds_the_jsonld_description() -> None:
    source = '<section data-section="how_to_apply"><h2>Join us</h2><p>{{ job.title }}</p></section>'
    data = make_input(job={"title": "Engineer <script>"})

    page = render_html(data, overrides={"html.how_to_apply": source})

    assert "<h2>Join us</h2><p>Engineer &lt;script&gt;</p>" in page
    assert "Join us" in job_posting_jsonld(data, overrides={"html.how_to_apply": source})["description"]
    assert "Join us" in json.loads(jsonld_block(page))["description"]


def test_document_override_receives_rendered_sections() -> None:
    markdown_source = "{{ title }} at {{ company.name }}\n{% for s in sections %}\n{{ s.body }}\n{% endfor %}"
    html_source = "<h1>{{ title }}</h1>{% for s in sections if s.key != 'skills' %}{{ s.body }}{% endfor %}"
    data = make_input()

    markdown = render_markdown(data, overrides={"markdown": markdown_source})
    page = render_html(data, overrides={"html": html_source})

    assert markdown.startswith("Senior Back-End Engineer at Northwind Labs\n")
    assert md_headings(markdown) == [HEADINGS[k] for k in SECTION_KEYS]
    assert page.startswith('<article class="job-description">\n<h1>Senior Back-End Engineer</h1>')
    assert "skills" not in html_sections(page)
    assert page.endswith("</script>\n</article>\n")
    assert json.loads(jsonld_block(page))["@type"] == "JobPosting"


def test_a_section_override_that_renders_nothing_removes_the_section() -> None:
    data = make_input()

    markdown = render_markdown(data, overrides={"markdown.equal_opportunity": "{# not for us #}\n  \n"})

    assert "Equal opportunity" not in markdown
    assert DEFAULT_EQUAL_OPPORTUNITY.split("\n")[0] not in markdown


def test_every_override_name_is_accepted() -> None:
    assert {"markdown", "html", "markdown.requirements", "html.equal_opportunity"} <= OVERRIDE_NAMES
    assert len(OVERRIDE_NAMES) == 2 + 2 * len(SECTION_KEYS)
    for name in sorted(OVERRIDE_NAMES):
        validate_override(name, "{{ job.title }}")


def test_syntax_error_names_the_template_and_line() -> None:
    source = "## Requirements\n\n{% for skill in section.must_have %}\n- {{ skill.text }\n{% endfor %}"

    with pytest.raises(TemplateOverrideError) as caught:
        validate_override("markdown.requirements", source)

    assert caught.value.name == "markdown.requirements"
    assert caught.value.line == 4
    assert str(caught.value).startswith("template override 'markdown.requirements', line 4: syntax error")
    assert isinstance(caught.value, ValueError)
    with pytest.raises(TemplateOverrideError, match="line 4"):
        render_markdown(make_input(), overrides={"markdown.requirements": source})


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ section.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ job.title.format.__globals__ }}",
        "{{ section.update({'heading': 'x'}) }}",
        "{{ section.paragraphs.append('x') }}",
        "{% include '/etc/passwd' %}",
        "{{ range(10000000) | list }}",
        "{{ 10 ** 100 }}",
        "{{ (2 ** 64 + 1) ** 2 }}",
        "{{ 'x' * 100000000 }}",
    ],
)
def test_sandbox_escapes_and_abuse_are_rejected(source: str) -> None:
    with pytest.raises(TemplateOverrideError, match=r"^template override 'html\.about_company', line 2: "):
        validate_override("html.about_company", "<section>\n" + source + "\n</section>")
    with pytest.raises(TemplateOverrideError):
        render_html(make_input(), overrides={"html.about_company": source})


def test_runtime_errors_found_on_sparse_jobs_are_caught_at_save_time() -> None:
    # Fine for a job with a visible salary, fails for one without: validation tries both.
    source = "## Pay\n\n{{ section.salary.text }}\n"
    render_markdown(make_input(), overrides={"markdown.compensation": source})

    with pytest.raises(TemplateOverrideError, match=r"line 3: undefined value"):
        validate_override("markdown.compensation", source)


def test_undefined_variables_and_unknown_names_are_rejected() -> None:
    with pytest.raises(TemplateOverrideError, match="undefined value: 'salary' is undefined"):
        validate_override("markdown", "{{ salary }}")
    with pytest.raises(TemplateOverrideError, match="unknown template name"):
        validate_override("markdown.benefits", "{{ job.title }}")
    with pytest.raises(TemplateOverrideError, match="unknown template name"):
        render_markdown(make_input(), overrides={"pdf": "x"})


def test_oversized_override_is_rejected() -> None:
    with pytest.raises(TemplateOverrideError, match="longer than 50000 characters"):
        validate_override("markdown", "x" * 50_001)


# --- the input model ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ({"work_arrangement": "remote", "locations": []}, "a remote job needs remote_countries"),
        ({"work_arrangement": "onsite", "locations": []}, "an onsite job needs at least one location"),
        ({"remote_countries": ["DE"]}, "apply to remote jobs only"),
        ({"locations": [{"city": "Leeds", "country": "XX"}]}, "'XX' is not an ISO 3166-1 alpha-2"),
        ({"valid_through": POSTED - timedelta(days=1)}, "valid_through must be later than date_posted"),
        ({"date_posted": datetime(2026, 11, 2, 9, 30)}, "timezone"),
        ({"apply_url": "javascript:alert(1)"}, "URL scheme should be 'http' or 'https'"),
        (
            {"work_arrangement": "remote", "remote_countries": ["DE"], "remote_time_zones": ["UTC+3..UTC-1"]},
            "western to the eastern",
        ),
        (
            {"work_arrangement": "remote", "remote_countries": ["DE"], "remote_time_zones": ["Mars/Olympus"]},
            "unknown time zone 'Mars/Olympus'",
        ),
        ({"work_arrangement": "remote", "remote_countries": ["DE", "de"]}, "duplicate remote countries: DE"),
    ],
)
def test_invalid_job_details_are_rejected(job: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        make_input(job=job)


def test_time_zones_are_normalised() -> None:
    data = make_input(
        job={
            "work_arrangement": "remote",
            "remote_countries": ["DE"],
            "remote_time_zones": ["UTC-05:00..UTC+02:00", "UTC+5:30", "Europe/Berlin", "UTC+0..UTC+0"],
        }
    )

    assert data.job.remote_time_zones == ("UTC-5..UTC+2", "UTC+5:30", "Europe/Berlin", "UTC+0")


def test_text_is_normalised_and_input_is_frozen() -> None:
    data = make_input(
        company={"about": "  One\n  line.\n\n\n\nSecond   paragraph. "},
        role={"primary_responsibilities": ["Split\nacross lines"]},
    )

    assert data.company.about == "One line.\n\nSecond paragraph."
    assert data.role.primary_responsibilities == ("Split across lines",)
    with pytest.raises(ValidationError, match="frozen"):
        data.company.name = "Other"  # type: ignore[misc]


def test_salary_bounds_are_checked() -> None:
    with pytest.raises(ValidationError, match="must not exceed max"):
        make_input(salary={"min": 200000, "max": 100000})
    with pytest.raises(ValidationError, match="String should match pattern"):
        make_input(salary={"currency": "US"})
