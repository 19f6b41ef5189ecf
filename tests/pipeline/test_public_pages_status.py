"""The candidate's status link as a page: where the application stands, withdrawing, expiry."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.pipeline.candidate_words import in_words, plain_status
from tests.conftest import FrozenClock
from tests.factories import Tenant, apply, create_tenant, move_application, open_job


async def test_the_status_page_says_where_the_application_stands_in_plain_words(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    result = await apply(client, job["id"])
    url = f"/status/{result['status_token']}"
    first = await pages.get(url)
    assert first.status_code == 200
    assert "Your application has been received" in first.text
    assert "Application received" not in first.text  # the success panel is for the landing only

    application = {"id": result["application_id"]}
    await move_application(client, tenant, application, "Technical interview")
    page = await pages.get(url)
    html = page.text
    assert f"<h1>Your application for {job['title']}</h1>" in html
    assert '<h2 id="now-title">You have been invited to interview</h2>' in html
    assert re.search(
        r'<li aria-current="step"[^>]*>Technical interview <strong>\(you are here\)</strong>', html
    )
    assert "Rejected" not in html
    assert '<meta name="robots" content="noindex">' in html
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-robots-tag"] == "noindex"
    assert f'href="{url}/withdraw"' in html

    rejected = await client.post(
        f"/v1/applications/{result['application_id']}/reject",
        headers=tenant.headers,
        json={"reason": "skills_gap"},
    )
    assert rejected.status_code == 200, rejected.text
    html = (await pages.get(url)).text
    assert "The team has decided not to continue" in html
    assert "skills" not in html.lower()  # never the reason
    assert "/withdraw" not in html


async def test_withdrawing_asks_first_then_withdraws(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    result = await apply(client, job["id"])
    url = f"/status/{result['status_token']}"
    confirm = await pages.get(f"{url}/withdraw")
    assert confirm.status_code == 200
    assert "Are you sure? This cannot be undone." in confirm.text
    assert re.search(rf'<form method="post" action="{re.escape(url)}/withdraw">', confirm.text)
    assert (await client.get(f"/v1/application-status/{result['status_token']}")).json()["status"] == "active"

    done = await pages.post(f"{url}/withdraw")
    assert (done.status_code, done.headers["location"]) == (303, url)
    after = await pages.get(url)
    assert 'class="flash" role="status">Your application has been withdrawn.' in after.text
    assert "You have withdrawn this application" in after.text
    assert "/withdraw" not in after.text
    api = (await client.get(f"/v1/application-status/{result['status_token']}")).json()
    assert (api["status"], api["can_withdraw"]) == ("withdrawn", False)

    again = await pages.get(f"{url}/withdraw")
    assert (again.status_code, again.headers["location"]) == (303, url)
    twice = await pages.post(f"{url}/withdraw")
    assert twice.status_code == 303
    assert "Your application has been withdrawn." not in (await pages.get(url)).text


async def test_expired_and_unknown_status_links(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    job = await open_job(client, app, tenant)
    result = await apply(client, job["id"])
    url = f"/status/{result['status_token']}"
    unknown = await pages.get("/status/" + "x" * 43)
    assert unknown.status_code == 404
    assert "<h1>Page not found</h1>" in unknown.text
    clock.advance(days=366)
    for response in (
        await pages.get(url),
        await pages.get(f"{url}/withdraw"),
        await pages.post(f"{url}/withdraw"),
    ):
        assert response.status_code == 410
        assert "<h1>This link has expired</h1>" in response.text
        assert "contact the recruiter" in response.text


def test_waits_and_stages_are_said_in_words() -> None:
    assert [in_words(s) for s in (5, 61, 1500, 3599, 3600, 3601, 7300)] == [
        "a minute",
        "about 2 minutes",
        "about 25 minutes",
        "about an hour",
        "about an hour",
        "about 2 hours",
        "about 3 hours",
    ]
    stages = [{"name": "Offer", "type": "offer", "current": True}]
    assert (
        plain_status({"status": "active", "stages": stages})["headline"]
        == "The team is preparing an offer for you"
    )
    assert plain_status({"status": "hired", "stages": stages})["headline"] == "You have been hired"


async def test_a_hostile_organisation_name_is_text_on_both_pages(
    pages: httpx.AsyncClient,
    client: httpx.AsyncClient,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    name = '<script>alert(1)</script> "Acme" \u202eabc'
    hostile = await create_tenant(client, sessionmaker, name=name)
    job = await open_job(client, app, hostile)
    result = await apply(client, job["id"])
    for url in (f"/jobs/{job['id']}/apply", f"/status/{result['status_token']}"):
        html = (await pages.get(url)).text
        assert "<script>alert(1)</script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;Acme&#34; \u202eabc" in html, url
