"""Organisation templates under attack: runaway loops and memory bombs are stopped within the
render budget, a slow render holds no database lock, and nothing an override writes can bypass
escaping on the public board or in the API's HTML."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs.description.budgeted import RENDER_BUDGET
from rolecall.jobs.models import JobSettings
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, create_job, deliver, open_job, update_job_settings
from tests.jobs.test_job_settings_api import patch_settings
from tests.platform.problems import assert_problem

NESTED_LOOPS = (
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
    "{{ a }}{% endfor %}{% endfor %}{% endfor %}"
)
# Stopped well inside this: the budget plus start-up of a child process and the test's own requests.
DEADLINE = RENDER_BUDGET.seconds + 3.0
QUICK = 1.0  # what "the API answers meanwhile" and "another writer proceeds" must take at most

HOSTILE_HTML = (
    '<section data-section="about_role"><h2>The role</h2><p>{{ job.title }}</p>'
    '<script>alert("x1")</script><img src="https://example.com/a.png" onerror="alert(\'x2\')">'
    '<a href="javascript:alert(\'x3\')">click</a> <a href="https://example.com/ok">fine</a>'
    '<p style="color:red" onclick="alert(\'x4\')">styled</p></section>'
)
HOSTILE_MARKDOWN = (
    "## The role\n\n<script>alert(\"x5\")</script> <img src=x onerror=alert('x6')>\n\n"
    "[bad](javascript:alert('x7')) [good](https://example.com/ok) <https://example.com/auto>\n"
)


async def _store_overrides(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, overrides: dict[str, str]
) -> None:
    """Put overrides in the database directly, as one saved before save-time checks existed."""
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        await session.execute(update(JobSettings).values(template_overrides=overrides))


async def _write_meanwhile(sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant) -> float:
    """Seconds another writer needs to commit (it waits for SQLite's writer lock if anyone holds it)."""
    began = time.monotonic()
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        await session.execute(update(JobSettings).values(careers_intro="Written meanwhile."))
    return time.monotonic() - began


def _assert_clean(text: str) -> None:
    for forbidden in ("alert(", "onerror", "onclick", "javascript:", "<script>alert", "style="):
        assert forbidden not in text, forbidden


async def test_a_runaway_override_is_refused_at_save_while_the_api_and_other_writers_carry_on(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await create_job(client, tenant)
    etag = (await client.get("/v1/job-settings", headers=tenant.headers)).headers["etag"]
    overrides = {
        "html.about_role": NESTED_LOOPS,
        "markdown.about_role": "{{ job.title|safe }}",
        "markdown.requirements": "{% for s in section.must_have %}",
    }
    began = time.monotonic()
    saving = asyncio.create_task(
        patch_settings(client, tenant, {"template_overrides": overrides}, etag), name="save"
    )
    await asyncio.sleep(0.5)

    asked = time.monotonic()
    other = await client.get("/v1/job-settings", headers=tenant.headers)
    assert other.status_code == 200
    assert time.monotonic() - asked < QUICK
    assert await _write_meanwhile(sessionmaker, tenant) < QUICK
    assert not saving.done()  # all of that happened while the trial render was still running

    body = assert_problem(await saving, 422, "unprocessable")
    assert time.monotonic() - began < DEADLINE
    problems = {error["field"]: error["message"] for error in body["errors"]}
    assert set(problems) == {f"template_overrides.{name}" for name in overrides}
    assert "budget" in problems["template_overrides.html.about_role"]
    assert "'safe' filter is not allowed" in problems["template_overrides.markdown.about_role"]
    assert "syntax error" in problems["template_overrides.markdown.requirements"]
    assert (await client.get("/v1/job-settings", headers=tenant.headers)).json()["template_overrides"] == {}


async def test_a_slow_render_holds_no_lock_and_is_stopped_within_the_budget(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await create_job(client, tenant)
    path = f"/v1/jobs/{job['id']}/description"
    # A warm render child first, so the timings below measure the render, not a process start.
    await _store_overrides(sessionmaker, tenant, {"markdown.about_role": "## Role\n\n{{ job.title }}\n"})
    assert "## Role" in (await client.get(path, headers=tenant.headers)).text
    await _store_overrides(sessionmaker, tenant, {"markdown.about_role": NESTED_LOOPS})

    began = time.monotonic()
    rendering = asyncio.create_task(client.get(path, headers=tenant.headers), name="render")
    await asyncio.sleep(0.5)

    assert await _write_meanwhile(sessionmaker, tenant) < QUICK  # SQLite's writer lock is free
    asked = time.monotonic()
    assert (await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)).status_code == 200
    assert time.monotonic() - asked < QUICK
    assert not rendering.done()

    body = assert_problem(await rendering, 422, "unprocessable")
    assert RENDER_BUDGET.seconds <= time.monotonic() - began < DEADLINE
    assert "time budget" in body["errors"][0]["message"] or "CPU" in body["errors"][0]["message"]


async def test_a_runaway_override_at_publication_falls_back_to_the_built_in_description(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _store_overrides(sessionmaker, tenant, {"html.about_role": NESTED_LOOPS})
    began = time.monotonic()
    job = await open_job(client, app, tenant)
    assert time.monotonic() - began < DEADLINE + 2.0
    posting = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    assert "About the role" in posting["description"]["html"]  # the built-in section took its place


async def test_memory_bombs_are_refused_at_save(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cases = {
        "markdown.about_role": '{{ "x"|center(1500000000) }}',
        "markdown.requirements": '{{ "%1500000000s"|format("x") }}',
        "html.about_role": '{{ "ab" * 900000000 }}',
    }
    began = time.monotonic()
    body = assert_problem(await patch_settings(client, tenant, {"template_overrides": cases}), 422)
    assert time.monotonic() - began < DEADLINE
    problems = {error["field"]: error["message"] for error in body["errors"]}
    assert "memory" in problems["template_overrides.markdown.about_role"]
    assert "memory" in problems["template_overrides.markdown.requirements"]
    assert "repetition" in problems["template_overrides.html.about_role"]


async def test_ways_around_escaping_are_refused_at_save(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cases = [
        "<p>{{ job.title|safe }}</p>",
        "{% autoescape false %}<p>{{ job.title }}</p>{% endautoescape %}",
        "{% filter safe %}<p>{{ job.title }}</p>{% endfilter %}",
        "<p>{{ job.title|urlize }}</p>",
        "<p>{{ job.title|forceescape }}</p>",
    ]
    for source in cases:
        response = await patch_settings(client, tenant, {"template_overrides": {"html.about_role": source}})
        body = assert_problem(response, 422, "unprocessable")
        assert "not allowed" in body["errors"][0]["message"], source
        assert body["errors"][0]["line"] == 1


async def test_an_override_cannot_put_script_or_unsafe_links_on_the_board(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    await update_job_settings(
        client,
        tenant,
        template_overrides={"html.about_role": HOSTILE_HTML, "markdown.about_role": HOSTILE_MARKDOWN},
    )
    job = await open_job(client, app, tenant)
    await deliver(app)

    page = await client.get(f"/jobs/{job['id']}")
    assert page.status_code == 200
    posting: dict[str, Any] = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    staff_html = await client.get(
        f"/v1/jobs/{job['id']}/description", headers=tenant.headers, params={"format": "html"}
    )
    for html in (
        page.text,
        posting["description"]["html"],
        posting["json_ld"]["description"],
        staff_html.text,
    ):
        assert "The role" in html
        assert "https://example.com/ok" in html
        _assert_clean(html)
    assert 'rel="noopener nofollow"' in posting["description"]["html"]

    markdown = posting["description"]["markdown"]
    assert "\\<script>" in markdown
    assert "\\<img" in markdown
    assert "[bad](#" in markdown
    assert "javascript:" not in markdown
    assert "[good](https://example.com/ok)" in markdown
    assert "<https://example.com/auto>" in markdown
    assert "<script>" not in posting["description"]["text"]


async def test_built_in_descriptions_are_unchanged_by_the_cleaning(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    from rolecall.jobs import description as jd
    from rolecall.jobs.description.budgeted import render
    from rolecall.jobs.description.validation import _samples

    for sample in _samples():
        rendered = await render(sample, {})
        assert rendered["html"] == jd.render_html(sample)
        assert rendered["markdown"] == jd.render_markdown(sample)
        # The same built-in section written as an override comes out of the cleaner unchanged.
        plain = await render(sample, {"markdown.about_role": "{{ section.heading }}\n"})
        assert plain["html"] == rendered["html"]


async def test_a_job_edit_renders_before_its_write_and_holds_no_lock_meanwhile(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    await _store_overrides(sessionmaker, tenant, {"html.about_role": NESTED_LOOPS})
    etag = (await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)).headers["etag"]

    began = time.monotonic()
    editing = asyncio.create_task(
        client.patch(
            f"/v1/jobs/{job['id']}",
            headers={**tenant.headers, "If-Match": etag},
            json={"title": "Principal Back-End Engineer"},
        )
    )
    await asyncio.sleep(0.5)
    assert await _write_meanwhile(sessionmaker, tenant) < QUICK
    assert not editing.done()

    edited = await editing
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Principal Back-End Engineer"
    # One budget, spent before the write: the write found the (built-in) fallback in the cache.
    assert time.monotonic() - began < 2 * RENDER_BUDGET.seconds
    await deliver(app)
    posting = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    assert posting["title"] == "Principal Back-End Engineer"
    assert "About the role" in posting["description"]["html"]


def test_markdown_cleaning_leaves_no_raw_html_and_no_unsafe_link() -> None:
    from rolecall.jobs.description.overrides import clean_markdown

    assert clean_markdown("a <b>x</b>") == "a \\<b>x\\</b>"
    assert clean_markdown("\\<b>") == "\\<b>"  # already escaped: left alone
    assert clean_markdown("\\\\<script>") == "\\\\\\<script>"  # an escaped backslash, then a bare "<"
    assert clean_markdown("<https://example.com/a?b=1>") == "<https://example.com/a?b=1>"
    assert clean_markdown("[x](JavaScript:alert(1))") == "[x](#alert(1))"
    assert clean_markdown("[x]( <data:text/html,hi>)") == "[x](#text/html,hi>)"
    assert clean_markdown("[x](mailto:jobs@example.com)") == "[x](mailto:jobs@example.com)"
    assert clean_markdown("[x][r]\n\n[r]: javascript:alert(1)") == "[x][r]\n\n[r]: #alert(1)"
    assert clean_markdown("[r]: https://example.com") == "[r]: https://example.com"
