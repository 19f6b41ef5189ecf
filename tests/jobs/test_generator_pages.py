"""The public job-description generator: form, live preview, copy sources and downloads; nothing stored."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit.models import AuditEntry
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant

ACME: dict[str, str] = {
    "profile": "backend-engineer",
    "level": "senior",
    "company": "Acme Robotics",
    "about": "We build warehouse robots.\n\nWe are 40 people in Berlin.",
    "arrangement": "hybrid",
    "city": "Berlin",
    "country": "de",
    "salary_min": "90000",
    "salary_max": "120,000",
    "currency": "eur",
    "period": "year",
    "show_salary": "yes",
    "benefits": "30 days of paid leave\nA bike lease\n",
}
HOSTILE = '<script>alert(1)</script> "quoted" \u202eabc ' + "x" * 150


def textarea(html: str, element_id: str) -> str:
    found = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert found, f"no textarea {element_id}"
    return unescape(found.group(1))


def preview_region(html: str) -> str:
    found = re.search(
        r'<div class="description-preview">(.*?)</div>\n<div class="copy-block">', html, re.DOTALL
    )
    assert found, "no description preview"
    return found.group(1)


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<small id="error-{name}"[^>]*>(.*?)</small>', html, re.DOTALL)
    assert found, f"no message slot for {name}"
    return unescape(found.group(1)).strip()


def input_value(html: str, name: str) -> str:
    found = re.search(rf'<input id="field-{name}" name="{name}" type="text" value="([^"]*)"', html)
    assert found, f"no input {name}"
    return unescape(found.group(1))


async def test_the_form_preselects_the_profile_and_level_from_the_link(pages: httpx.AsyncClient) -> None:
    response = await pages.get("/tools/job-description", params={"profile": "qa-engineer", "level": "lead"})

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert '<option value="qa-engineer" selected>' in response.text
    assert '<option value="lead" selected>' in response.text
    assert "# Lead QA Engineer / SDET" in textarea(response.text, "markdown-source")
    assert "Your company" in textarea(response.text, "markdown-source")  # no name given
    assert response.text.count("<h1") == 1  # the description's own title is demoted in the preview
    assert 'hx-get="/tools/job-description/preview"' in response.text
    assert 'hx-trigger="input changed delay:400ms, change"' in response.text


async def test_the_description_carries_the_company_place_and_visible_pay(pages: httpx.AsyncClient) -> None:
    html = (await pages.get("/tools/job-description", params=ACME)).text

    markdown = textarea(html, "markdown-source")
    assert markdown.startswith(
        "# Senior Back-End Engineer\n\nAcme Robotics · Berlin, DE (hybrid) · Full-time"
    )
    assert "## About Acme Robotics\n\nWe build warehouse robots.\n\nWe are 40 people in Berlin." in markdown
    assert "**Salary:** EUR 90,000 \u2013 120,000 per year" in markdown
    assert "- 30 days of paid leave\n- A bike lease" in markdown
    preview = preview_region(html)
    assert "EUR 90,000 \u2013 120,000 per year" in preview
    assert "application/ld+json" not in preview  # an example is not a job posting for search engines
    source = textarea(html, "html-source")
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', source, re.DOTALL).group(1)
    )  # type: ignore[union-attr]
    assert data["hiringOrganization"]["name"] == "Acme Robotics"
    assert data["baseSalary"]["value"] == {
        "@type": "QuantitativeValue",
        "minValue": 90000,
        "maxValue": 120000,
        "unitText": "YEAR",
    }


async def test_hidden_pay_appears_nowhere_in_the_description(pages: httpx.AsyncClient) -> None:
    html = (await pages.get("/tools/job-description", params={**ACME, "show_salary": "no"})).text

    for text in (textarea(html, "markdown-source"), textarea(html, "html-source"), preview_region(html)):
        assert "90,000" not in text
        assert "90000" not in text
        assert "baseSalary" not in text
        assert "Benefits" in text
    assert input_value(html, "salary_min") == "90000"  # kept in the form, not published
    assert 'value="no" checked' in html


async def test_the_preview_fragment_is_a_region_with_out_of_band_messages(pages: httpx.AsyncClient) -> None:
    response = await pages.get("/tools/job-description/preview", params={**ACME, "salary_max": "10"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<body" not in response.text
    assert "<h1" not in response.text
    assert '<small id="error-salary_max" hx-swap-oob="innerHTML">' in response.text
    assert field_error(response.text, "salary_max") == "The highest pay must not be less than the lowest."
    assert field_error(response.text, "company") == ""  # emptied when fixed
    markdown = textarea(response.text, "markdown-source")
    assert "Acme Robotics" in markdown
    assert "Salary" not in markdown


async def test_downloads_are_attachments_and_the_markdown_is_the_previewed_one(
    pages: httpx.AsyncClient,
) -> None:
    previewed = textarea(
        (await pages.get("/tools/job-description/preview", params=ACME)).text, "markdown-source"
    )

    markdown = await pages.get("/tools/job-description/download", params={**ACME, "format": "md"})
    assert markdown.status_code == 200
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.headers["content-disposition"] == 'attachment; filename="senior-back-end-engineer.md"'
    assert markdown.text == previewed

    page = await pages.get("/tools/job-description/download", params={**ACME, "format": "html"})
    assert page.status_code == 200
    assert page.headers["content-disposition"] == 'attachment; filename="senior-back-end-engineer.html"'
    assert page.text.startswith("<!doctype html>")
    assert page.text.rstrip().endswith("</html>")
    assert "<title>Senior Back-End Engineer</title>" in page.text
    assert '<article class="job-description">' in page.text
    assert '<script type="application/ld+json">' in page.text
    assert "sandbox" in page.headers["content-security-policy"]

    assert (
        await pages.get("/tools/job-description/download", params={**ACME, "format": "pdf"})
    ).status_code == 400


async def test_invalid_pay_is_explained_next_to_the_field_and_keeps_everything_typed(
    pages: httpx.AsyncClient,
) -> None:
    response = await pages.get(
        "/tools/job-description", params={**ACME, "salary_min": "lots", "salary_max": "900000000000"}
    )

    assert response.status_code == 200
    html = response.text
    assert field_error(html, "salary_min") == "Enter the amount as a number, such as 85000."
    assert field_error(html, "salary_max") == "Enter an amount from 1 to 100,000,000."
    assert re.search(r'<input id="field-salary_min"[^>]*aria-invalid="true"', html)
    assert 'id="error-summary"' in html
    assert 'href="#field-salary_min"' in html
    assert input_value(html, "salary_min") == "lots"
    assert input_value(html, "company") == "Acme Robotics"
    assert input_value(html, "city") == "Berlin"
    assert textarea(html, "field-about") == ACME["about"]
    assert "Salary" not in textarea(html, "markdown-source")

    refused = await pages.get(
        "/tools/job-description/download", params={**ACME, "salary_min": "lots", "format": "md"}
    )
    assert refused.status_code == 422
    assert "content-disposition" not in refused.headers
    assert field_error(refused.text, "salary_min") == "Enter the amount as a number, such as 85000."


async def test_a_level_the_role_does_not_have_is_refused_by_name(pages: httpx.AsyncClient) -> None:
    html = (
        await pages.get(
            "/tools/job-description", params={"profile": "engineering-manager", "level": "junior"}
        )
    ).text

    assert (
        field_error(html, "level")
        == "The Engineering Manager role has these levels: Senior, Lead, Principal."
    )
    assert "markdown-source" not in html


async def test_odd_input_never_breaks_the_page(pages: httpx.AsyncClient) -> None:
    odd: list[dict[str, Any]] = [
        {"profile": "no-such-role"},
        {"profile": "x" * 5000, "level": "\x00"},
        {"arrangement": "moon"},
        {"arrangement": "remote"},
        {"arrangement": "onsite", "city": "Paris"},
        {"city": "Paris", "country": "FR"},
        {"country": "XX", "arrangement": "remote"},
        {"salary_min": "NaN", "salary_max": "Infinity"},
        {"salary_min": "1e5", "salary_max": "-3"},
        {"salary_min": "100.001", "salary_max": "200"},
        {"salary_min": "100"},
        {"salary_min": "1", "salary_max": "2", "currency": "€€€", "period": "fortnight"},
        {"benefits": "\n".join(["Pension"] * 2)},
        {"benefits": "\n".join(f"Benefit {n}" for n in range(60))},
        {"company": "   ", "about": "\n\n\n"},
        {"company": "c" * 201},
        {"show_salary": "maybe"},
    ]
    for params in odd:
        for path in ("/tools/job-description", "/tools/job-description/preview"):
            response = await pages.get(path, params={**ACME, **params})
            assert response.status_code == 200, (path, params, response.text[:300])
    remote = (
        await pages.get(
            "/tools/job-description/preview", params={**ACME, "arrangement": "remote", "city": ""}
        )
    ).text
    assert "This is a fully remote role. You can work from any of the countries listed below." in textarea(
        remote, "markdown-source"
    )
    empty = (await pages.get("/tools/job-description/preview", params={**ACME, "company": "  "})).text
    assert "Your company · Berlin" in textarea(empty, "markdown-source")


async def test_hostile_text_is_escaped_in_the_preview_the_copies_and_the_download(
    pages: httpx.AsyncClient,
) -> None:
    params = {**ACME, "company": HOSTILE[:200], "about": HOSTILE * 3, "benefits": f"{HOSTILE}\nPension"}

    page = (await pages.get("/tools/job-description", params=params)).text
    fragment = (await pages.get("/tools/job-description/preview", params=params)).text
    document = (await pages.get("/tools/job-description/download", params={**params, "format": "html"})).text

    for html in (page, fragment):
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; \u202eabc" in preview_region(html)
    assert "<script>alert(1)" not in document
    assert document.count("<script") == 1  # the JSON-LD block and nothing else
    jsonld = re.search(r'<script type="application/ld\+json">(.*?)</script>', document, re.DOTALL)
    assert jsonld
    assert "\\u003cscript\\u003e" in jsonld.group(1)
    assert json.loads(jsonld.group(1))["hiringOrganization"]["name"].startswith("<script>alert(1)</script>")
    markdown = (await pages.get("/tools/job-description/download", params={**params, "format": "md"})).text
    assert "<script>" not in markdown
    assert "\\<script\\>alert(1)\\</script\\>" in markdown


async def _count(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessionmaker() as session:
        audit = (
            await session.execute(
                select(func.count()).select_from(AuditEntry).execution_options(**all_tenants())
            )
        ).scalar_one()
        outbox = (
            await session.execute(
                select(func.count()).select_from(OutboxEvent).execution_options(**all_tenants())
            )
        ).scalar_one()
    return audit, outbox


async def test_nothing_is_stored(
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    before = await _count(sessionmaker)
    assert before[0] > 0  # creating the tenant was audited, so the count can see rows

    await pages.get("/tools/job-description", params=ACME)
    await pages.get("/tools/job-description/preview", params=ACME)
    await pages.get("/tools/job-description/download", params={**ACME, "format": "md"})
    await pages.get("/tools/job-description/download", params={**ACME, "format": "html"})

    assert await _count(sessionmaker) == before
