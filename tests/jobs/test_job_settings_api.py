"""Job settings over HTTP: defaults, optimistic updates, the board address, templates, republishing."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs.schemas import DEFAULT_STAGES
from tests.factories import Tenant, create_job, create_tenant, create_user, job_events
from tests.platform.problems import assert_problem

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


async def read_settings(client: httpx.AsyncClient, tenant: Tenant) -> httpx.Response:
    response = await client.get("/v1/job-settings", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response


async def patch_settings(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], etag: str | None = ""
) -> httpx.Response:
    """PATCH with the current ETag (``etag=""``), a given one, or none (``None``)."""
    headers = dict(tenant.headers)
    if etag == "":
        etag = (await read_settings(client, tenant)).headers["etag"]
    if etag is not None:
        headers["If-Match"] = etag
    return await client.patch("/v1/job-settings", headers=headers, json=body)


async def markdown_of(client: httpx.AsyncClient, tenant: Tenant, job_id: str) -> str:
    response = await client.get(f"/v1/jobs/{job_id}/description", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.text


async def test_first_read_creates_defaults_with_a_board_slug_from_the_name(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await create_tenant(client, sessionmaker, "Example Ltd")
    second = await create_tenant(client, sessionmaker, "Example Ltd")
    accented = await create_tenant(client, sessionmaker, "  Zürich Bäckerei & Co. GmbH ")

    response = await read_settings(client, first)

    assert response.json() == {
        "board_slug": "example-ltd",
        "listed": True,
        "show_salary": True,
        "about": None,
        "website": None,
        "logo_url": None,
        "benefits": [],
        "equal_opportunity": None,
        "template_overrides": {},
        "stage_template": [stage.model_dump() for stage in DEFAULT_STAGES],
        "accent_colour": None,
        "careers_intro": None,
        "version": 1,
        "board_url": "/v1/board/example-ltd/postings",
    }
    again = await read_settings(client, first)
    assert again.json() == response.json()
    assert again.headers["etag"] == response.headers["etag"]
    assert (await read_settings(client, second)).json()["board_slug"] == "example-ltd-2"
    assert (await read_settings(client, accented)).json()["board_slug"] == "zurich-backerei-co-gmbh"


async def test_admins_patch_with_the_current_etag(client: httpx.AsyncClient, tenant: Tenant) -> None:
    stale = (await read_settings(client, tenant)).headers["etag"]

    missing = await patch_settings(client, tenant, {"about": "We build robots."}, None)
    assert_problem(missing, 428, "precondition-required")

    body = {
        "about": "We build robots.",
        "website": "https://robots.example",
        "benefits": ["  Thirty days of leave ", "Learning budget"],
        "show_salary": False,
        "listed": False,
        "equal_opportunity": "Everyone is welcome.",
    }
    response = await patch_settings(client, tenant, body, stale)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["version"] == 2
    assert updated["about"] == "We build robots."
    assert updated["website"] == "https://robots.example/"
    assert updated["benefits"] == ["Thirty days of leave", "Learning budget"]
    assert updated["show_salary"] is False
    assert updated["listed"] is False
    assert updated["board_slug"] == "tenant-a"
    assert response.headers["etag"] != stale
    assert (await read_settings(client, tenant)).json() == updated

    refused = await patch_settings(client, tenant, {"about": "Stale write"}, stale)
    assert_problem(refused, 412, "precondition-failed")
    assert (await read_settings(client, tenant)).json()["about"] == "We build robots."

    cleared = await patch_settings(client, tenant, {"benefits": None, "about": None})
    assert cleared.json()["benefits"] == []
    assert cleared.json()["about"] is None
    assert cleared.json()["version"] == 3

    audit = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": "job_settings.updated"}
    )
    assert [e["details"]["changed_fields"] for e in audit.json()["items"]] == [
        ["about", "benefits", "equal_opportunity", "listed", "show_salary", "website"],
        ["about", "benefits"],
    ]

    # Only admins (jobs:settings) may change settings.
    _, token = await create_user(client, tenant, "recruiter")
    headers = {"Authorization": f"Bearer {token}"}
    read = await client.get("/v1/job-settings", headers=headers)
    assert read.status_code == 200, read.text
    assert read.json() == cleared.json()

    response = await client.patch(
        "/v1/job-settings", headers={**headers, "If-Match": read.headers["etag"]}, json={"show_salary": True}
    )

    assert "jobs:settings" in assert_problem(response, 403, "forbidden")["detail"]
    assert (await read_settings(client, tenant)).json() == cleared.json()


async def test_board_slug_must_be_valid_and_free(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    assert (await read_settings(client, other_tenant)).json()["board_slug"] == "tenant-b"

    taken = await patch_settings(client, tenant, {"board_slug": "tenant-b"})
    assert "'tenant-b' is taken" in assert_problem(taken, 409, "conflict")["detail"]
    for slug in ("Tenant-A", "-tenant", "tenant--a", "tenant a", "x" * 61):
        invalid = await patch_settings(client, tenant, {"board_slug": slug})
        body = assert_problem(invalid, 422, "validation-error")
        assert [e["field"] for e in body["errors"]] == ["body.board_slug"], slug
    empty = await patch_settings(client, tenant, {"board_slug": None})
    assert [e["field"] for e in assert_problem(empty, 422)["errors"]] == ["board_slug"]
    for reserved in ("postings", "feeds", "sitemap"):
        body = assert_problem(await patch_settings(client, tenant, {"board_slug": reserved}), 422)
        assert [e["field"] for e in body["errors"]] == ["board_slug"], reserved
        assert "reserved" in body["detail"]
    current = (await read_settings(client, tenant)).json()
    assert current["board_slug"] == "tenant-a"
    assert current["version"] == 1

    same = await patch_settings(client, tenant, {"board_slug": "tenant-a"})
    assert same.status_code == 200, same.text
    moved = await patch_settings(client, tenant, {"board_slug": "acme-careers"})
    assert moved.json()["board_slug"] == "acme-careers"
    assert moved.json()["board_url"] == "/v1/board/acme-careers/postings"
    # The old address is free again for anyone.
    assert (await patch_settings(client, other_tenant, {"board_slug": "tenant-a"})).status_code == 200


async def test_broken_template_overrides_are_refused_and_nothing_is_saved(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    before = await read_settings(client, tenant)
    good = "## Requirements\n\n{{ job.title }}\n"
    cases = [
        (
            {
                "markdown.about_role": good,
                "markdown.requirements": "## R\n\n{% for s in section.must_have %}\n- {{ s.text }\n",
            },
            "template_overrides.markdown.requirements",
            "line 4: syntax error",
        ),
        (
            {"html.about_company": "<section>\n{{ ''.__class__.__mro__ }}\n</section>"},
            "template_overrides.html.about_company",
            "line 2: not allowed",
        ),
        ({"pdf": good}, "template_overrides.pdf", "unknown template name"),
        ({"markdown": "{{ salary }}"}, "template_overrides.markdown", "undefined value"),
    ]
    for overrides, field, message in cases:
        response = await patch_settings(client, tenant, {"about": "Changed", "template_overrides": overrides})
        body = assert_problem(response, 422, "unprocessable")
        assert body["errors"][0]["field"] == field, overrides
        assert message in body["detail"], (message, body)

    after = await read_settings(client, tenant)
    assert after.json() == before.json()
    assert after.json()["template_overrides"] == {}
    assert after.json()["about"] is None


async def test_a_valid_override_changes_the_job_description(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    assert "## About the role" in await markdown_of(client, tenant, job["id"])
    overrides = {
        "markdown.about_role": "## The gig\n\n{{ job.title }} wanted, no fluff.\n",
        "html.about_role": (
            '<section data-section="about_role"><h2>The gig</h2><p>{{ job.title }}</p></section>'
        ),
    }

    response = await patch_settings(client, tenant, {"template_overrides": overrides})

    assert response.status_code == 200, response.text
    assert response.json()["template_overrides"] == overrides
    markdown = await markdown_of(client, tenant, job["id"])
    assert "## The gig\n\nLead Back-End Engineer wanted, no fluff." in markdown
    assert "## About the role" not in markdown
    page = await client.get(
        f"/v1/jobs/{job['id']}/description", headers=tenant.headers, params={"format": "html"}
    )
    assert "<h2>The gig</h2><p>Lead Back-End Engineer</p>" in page.text

    await patch_settings(client, tenant, {"template_overrides": None})
    assert "## About the role" in await markdown_of(client, tenant, job["id"])


async def test_changing_settings_republishes_open_jobs(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    draft = await create_job(client, tenant)
    job = await create_job(client, tenant, draft["role_profile_id"])
    opened = await client.post(f"/v1/jobs/{job['id']}/open", headers=tenant.headers)
    assert opened.json()["version"] == 2

    response = await patch_settings(
        client,
        tenant,
        {"about": "We build robots for hospitals.", "board_slug": "robot-works", "show_salary": False},
    )

    assert response.status_code == 200, response.text
    events = await job_events(sessionmaker, job["id"])
    assert [e.type for e in events] == ["job.created", "job.opened", "job.updated"]
    republished = events[-1].data
    assert republished["job"]["status"] == "open"
    assert republished["job"]["version"] == 3
    posting = republished["posting"]
    assert posting["organisation"]["slug"] == "robot-works"
    assert posting["organisation"]["name"] == "Tenant A"
    assert "We build robots for hospitals." in posting["description"]["markdown"]
    assert posting["salary"] is None  # the organisation now hides pay
    assert "110,000" not in posting["description"]["markdown"]
    assert (await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)).json()["version"] == 3
    # Drafts have no posting: nothing to republish.
    assert [e.type for e in await job_events(sessionmaker, draft["id"])] == ["job.created"]


# --- bugs -------------------------------------------------------------------------------------


async def test_null_for_a_required_setting_is_422(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await patch_settings(client, tenant, {"listed": None})

    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["listed"]


async def test_null_show_salary_with_an_open_paid_job_is_422_not_a_server_error(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """The descriptions are rendered ahead of the write; a null must be refused before that."""
    draft = await create_job(client, tenant)
    job = await create_job(client, tenant, draft["role_profile_id"])
    opened = await client.post(f"/v1/jobs/{job['id']}/open", headers=tenant.headers)
    assert opened.status_code == 200, opened.text

    response = await patch_settings(client, tenant, {"show_salary": None})

    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["show_salary"]


async def test_default_board_slug_of_a_long_name_is_a_valid_slug(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await create_tenant(client, sessionmaker, "A" * 49 + " Corporation")

    slug = (await read_settings(client, tenant)).json()["board_slug"]

    assert SLUG_PATTERN.match(slug), slug
    assert len(slug) <= 60


async def test_whitespace_only_about_does_not_break_descriptions(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)

    response = await patch_settings(client, tenant, {"about": "   \n  "})

    assert response.status_code in (200, 422), response.text
    described = await client.get(f"/v1/jobs/{job['id']}/description", headers=tenant.headers)
    assert described.status_code == 200, described.text
