"""The public careers pages over HTTP: /jobs, /careers/<slug>, its theme and the job page.

Postings reach the board the way they do in production: jobs opened through the API, the outbox
delivered and the search index synced (``open_job`` does all three). Pages are fetched without
signing in: they are public.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import FrozenClock
from tests.factories import Tenant, create_tenant, deliver, fork_profile, open_job, update_job_settings

BASE = "http://rolecall.test"  # settings.public_base_url in the test settings
HOSTILE = '<script>alert(1)</script> "quoted" \u202eabc'
_TITLE = re.compile(r'<li class="job-card">\s*<h3><a href="/jobs/([0-9a-f-]+)">(.*?)</a></h3>', re.DOTALL)
_BOX = re.compile(
    r'<input type="checkbox" id="[^"]+" name="(\w+)" value="([^"]*)"( checked)?> (.*?)'
    r'(?: <span class="facet-count">\((\d+)\)</span>)?</label>'
)
_HIDDEN = re.compile(r'<span aria-hidden="true">.*?</span>')
DASH = "\u2013"  # en dash, as in "Showing 1 to 20 of 132" with a dash
_JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


# --- helpers -------------------------------------------------------------------------------------


async def _slug(client: httpx.AsyncClient, tenant: Tenant) -> str:
    response = await client.get("/v1/job-settings", headers=tenant.headers)
    assert response.status_code == 200, response.text
    slug: str = response.json()["board_slug"]
    return slug


async def _page(pages: httpx.AsyncClient, url: str, status: int = 200, **headers: str) -> str:
    response = await pages.get(url, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _titles(page: str) -> list[str]:
    return [html.unescape(title) for _id, title in _TITLE.findall(page)]


def _posting_ids(page: str) -> list[str]:
    return [posting_id for posting_id, _title in _TITLE.findall(page)]


def _facets(page: str) -> dict[str, dict[str, tuple[int | None, bool]]]:
    """facet -> label -> (count, ticked), as the checkboxes show them."""
    found: dict[str, dict[str, tuple[int | None, bool]]] = {}
    for name, _value, checked, label, count in _BOX.findall(page):
        found.setdefault(name, {})[html.unescape(label)] = (int(count) if count else None, bool(checked))
    return found


def _links(page: str, css_class: str | None = None) -> dict[str, str]:
    """Link text -> href (text without markup, unescaped)."""
    attrs = rf'class="{css_class}"' if css_class else ""
    pattern = re.compile(rf'<a href="([^"]*)"[^>]*{attrs}[^>]*>(.*?)</a>', re.DOTALL)
    return {
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", _HIDDEN.sub("", text))).split()): html.unescape(href)
        for href, text in pattern.findall(page)
    }


def _meta(page: str, attribute: str, name: str) -> str:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    assert found, f"no <meta {attribute}={name!r}>"
    return html.unescape(found.group(1))


async def _three_jobs(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> dict[str, str]:
    """Three postings that differ in arrangement, level and department (oldest first); title -> id."""
    backend = (await fork_profile(client, tenant))["id"]
    jobs: list[dict[str, Any]] = [
        {"title": "Lead Lantern Engineer"},
        {
            "title": "Remote Harbour Engineer",
            "level": "senior",
            "department": "Platform",
            "work_arrangement": "remote",
            "locations": [],
            "remote_countries": ["PT"],
            "salary": {"min": 60_000, "max": 90_000, "currency": "EUR"},
        },
        {
            "title": "Onsite Orchard Engineer",
            "level": "senior",
            "department": "Web",
            "work_arrangement": "onsite",
            "locations": [{"city": "London", "country": "GB"}],
            "salary": None,
        },
    ]
    ids = {}
    for fields in jobs:
        ids[str(fields["title"])] = (await open_job(client, app, tenant, backend, **fields))["id"]
        clock.advance(minutes=1)
    return ids


# --- search pages ----------------------------------------------------------------------------------


async def test_a_facet_narrows_the_results_and_counts_are_shown(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    ids = await _three_jobs(client, app, tenant, clock)
    slug = await _slug(client, tenant)

    for path in ("/jobs", f"/careers/{slug}"):
        everything = await _page(pages, f"{path}?sort=date")
        # Newest first, like the API's sort=date.
        assert _titles(everything) == [
            "Onsite Orchard Engineer",
            "Remote Harbour Engineer",
            "Lead Lantern Engineer",
        ]
        assert f"Showing 1{DASH}3 of 3 jobs" in everything
        facets = _facets(everything)
        assert facets["work_arrangement"] == {
            "Hybrid": (1, False),
            "Remote": (1, False),
            "On-site": (1, False),
        }
        assert facets["level"] == {"Senior": (2, False), "Lead": (1, False)}
        assert facets["department"] == {"Engineering": (1, False), "Platform": (1, False), "Web": (1, False)}
        assert facets["employment_type"] == {"Full-time": (3, False)}
        assert facets["salary"] == {"150,000 to 200,000": (1, False), "50,000 to 100,000": (1, False)}
        assert facets["location"]["London, GB"] == (1, False)
        assert ("organisation" in facets) is (path == "/jobs")

        senior = await _page(pages, f"{path}?level=senior&sort=date")
        assert _titles(senior) == ["Onsite Orchard Engineer", "Remote Harbour Engineer"]
        narrowed = _facets(senior)
        assert narrowed["level"] == {"Senior": (2, True), "Lead": (1, False)}  # disjunctive counts
        assert narrowed["work_arrangement"] == {"Remote": (1, False), "On-site": (1, False)}

        both = await _page(pages, f"{path}?level=senior&work_arrangement=remote")
        assert _posting_ids(both) == [ids["Remote Harbour Engineer"]]
        assert f"Showing 1{DASH}1 of 1 job" in both
        assert "Remote (PT)" in both
        assert f"EUR 60,000{DASH}90,000 a year" in both

    # The organisation facet of the cross-organisation board names the organisation.
    board = _facets(await _page(pages, f"/jobs?organisation={slug}"))
    assert board["organisation"] == {"Tenant A": (3, True)}
    # Text search goes through the same search as the API.
    assert _titles(await _page(pages, "/jobs?q=harbour")) == ["Remote Harbour Engineer"]


async def test_no_results_lists_each_filter_with_a_link_that_removes_it(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    await _three_jobs(client, app, tenant, clock)
    slug = await _slug(client, tenant)
    path = f"/careers/{slug}"

    page = await _page(pages, f"{path}?q=harbour&level=lead&sort=date")
    assert _titles(page) == []
    assert "No jobs match" in page
    assert "Remove one to see more" in page
    removable = _links(page, "active-filter")
    assert removable == {
        "Search: “harbour” (remove this filter)": f"{path}?level=lead&sort=date",
        "Level: Lead (remove this filter)": f"{path}?q=harbour&sort=date",
    }
    assert _links(page)["Clear all"] == path
    # The ticked value stays visible (and ticked) even though nothing matches.
    assert _facets(page)["level"]["Lead"][1] is True

    without_level = await _page(pages, removable["Level: Lead (remove this filter)"])
    assert _titles(without_level) == ["Remote Harbour Engineer"]
    without_text = await _page(pages, removable["Search: “harbour” (remove this filter)"])
    assert _titles(without_text) == ["Lead Lantern Engineer"]
    assert len(_titles(await _page(pages, path))) == 3


async def test_a_board_without_openings_says_so(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    page = await _page(pages, f"/careers/{await _slug(client, tenant)}")
    assert "Tenant A has no open positions right now" in page
    assert "No jobs match" not in page
    assert "Clear all" not in page


async def test_an_htmx_request_gets_only_the_results_region(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    await _three_jobs(client, app, tenant, clock)
    full = await pages.get("/jobs?level=senior")
    assert "<html" in full.text
    assert 'hx-get="/jobs" hx-trigger="submit, change"' in full.text
    assert 'hx-push-url="true"' in full.text
    fragment = await pages.get("/jobs?level=senior", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="board-results"')
    assert "<html" not in fragment.text
    assert "<h1" not in fragment.text
    assert sorted(_titles(fragment.text)) == ["Onsite Orchard Engineer", "Remote Harbour Engineer"]
    # One URL, two bodies: shared caches must key on the header.
    assert "HX-Request" in fragment.headers["vary"]
    assert fragment.headers["etag"] != full.headers["etag"]
    # htmx restoring history after a cache miss needs the whole page.
    restore = await pages.get("/jobs", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


async def test_paging_moves_through_the_results_and_back(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    await _three_jobs(client, app, tenant, clock)
    first = await _page(pages, "/jobs?sort=date&limit=2&level=senior&level=lead")
    assert _titles(first) == ["Onsite Orchard Engineer", "Remote Harbour Engineer"]
    assert f"Showing 1{DASH}2 of 3 jobs" in first
    links = _links(first)
    assert "← Previous page" not in links
    second_url = links["Next page →"]
    assert second_url.startswith("/jobs?level=senior&level=lead&sort=date&limit=2&cursor=")

    second = await _page(pages, second_url)
    assert _titles(second) == ["Lead Lantern Engineer"]
    assert f"Showing 3{DASH}3 of 3 jobs" in second
    links = _links(second)
    assert "Next page →" not in links
    back = links["← Previous page"]
    assert "cursor=" not in back
    assert _titles(await _page(pages, back)) == _titles(first)
    # A cursor that is not one of ours is a 400 page, not a crash.
    assert "could not be understood" in await _page(pages, "/jobs?cursor=%25%25", status=400)


async def test_search_pages_are_cached_and_revalidated(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    await open_job(client, app, tenant)
    first = await pages.get("/jobs")
    assert first.headers["cache-control"] == "public, max-age=60"
    again = await pages.get("/jobs", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_an_unknown_careers_site_is_a_404_page(pages: httpx.AsyncClient, tenant: Tenant) -> None:
    page = await _page(pages, "/careers/no-such-board", status=404)
    assert "Page not found" in page
    assert 'href="/jobs"' in page


# --- the job page ----------------------------------------------------------------------------------


async def test_the_job_page_has_structured_data_canonical_link_previews_and_apply(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, salary={"min": 123_457, "max": 154_321, "currency": "USD"})
    slug = await _slug(client, tenant)
    response = await pages.get(f"/jobs/{job['id']}")
    assert response.status_code == 200, response.text
    page = response.text

    blocks = _JSON_LD.findall(page)
    assert len(blocks) == 1
    data: dict[str, Any] = json.loads(blocks[0])
    assert data["@type"] == "JobPosting"
    assert data["title"] == job["title"]
    assert page.count("<h1") == 1
    assert re.search(rf"<h1>{re.escape(job['title'])}</h1>", page)

    url = f"{BASE}/jobs/{job['id']}"
    assert f'<link rel="canonical" href="{url}">' in page
    assert _meta(page, "property", "og:url") == url
    assert _meta(page, "property", "og:type") == "website"
    assert _meta(page, "property", "og:title") == f"{job['title']} at Tenant A"
    assert _meta(page, "property", "og:site_name") == "Tenant A careers"
    description = _meta(page, "property", "og:description")
    assert 50 < len(description) <= 200
    assert "<" not in description
    assert _meta(page, "name", "description") == description

    assert _links(page)["Apply for this job"] == f"/jobs/{job['id']}/apply"
    assert _links(page)["Tenant A"] == f"/careers/{slug}"
    assert f"USD 123,457{DASH}154,321 a year" in page
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    assert facts["Work arrangement"] == "Hybrid"
    assert facts["Level"] == "Lead"
    assert facts["Location"] == "Berlin, DE"
    assert facts["Department"] == "Engineering"

    assert response.headers["cache-control"] == "public, max-age=60"
    again = await pages.get(f"/jobs/{job['id']}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_hidden_pay_stays_hidden_on_the_pages(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    await update_job_settings(client, tenant, show_salary=False)
    job = await open_job(client, app, tenant, salary={"min": 123_457, "max": 154_321, "currency": "USD"})
    for url in (f"/jobs/{job['id']}", "/jobs", f"/careers/{await _slug(client, tenant)}"):
        page = await _page(pages, url)
        assert job["title"] in page
        for mark in ("123,457", "123457", "154,321", "154321"):
            assert mark not in page, (url, mark)
        assert "<dt>Salary</dt>" not in page


async def test_a_closed_or_unknown_posting_is_a_404_page(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    assert (await pages.get(f"/jobs/{job['id']}")).status_code == 200
    closed = await client.post(
        f"/v1/jobs/{job['id']}/close", headers=tenant.headers, json={"reason": "filled"}
    )
    assert closed.status_code == 200, closed.text
    await deliver(app)

    page = await _page(pages, f"/jobs/{job['id']}", status=404)
    assert "This job is closed or never existed" in page
    assert _links(page)["See open jobs"] == "/jobs"
    assert "application/ld+json" not in page
    await _page(pages, "/jobs/01a20858-0000-7000-8000-000000000000", status=404)
    await _page(pages, "/jobs/not-a-posting", status=404)
    assert job["title"] not in await _page(pages, "/jobs")


# --- hostile data ----------------------------------------------------------------------------------


async def test_hostile_job_and_organisation_text_is_escaped_everywhere(
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    tenant = await create_tenant(client, sessionmaker, "Evil " + HOSTILE)
    long_city = "Ä" * 200
    job = await open_job(
        client,
        app,
        tenant,
        title="Engineer " + HOSTILE,
        department="Dept " + HOSTILE,
        locations=[
            {"city": '<img src=x onerror="alert(2)">', "country": "DE"},
            {"city": long_city, "country": "FR"},
        ],
    )
    slug = await _slug(client, tenant)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; \u202eabc"
    for url in ("/jobs", f"/careers/{slug}", f"/jobs/{job['id']}", f"/jobs?department=Dept+{HOSTILE}"):
        page = await _page(pages, url)
        assert "<script>alert(1)" not in page, url
        assert "<img src=x" not in page, url
        assert escaped in page, url
        assert long_city in page, url
        # The only scripts are the bundle and, on the job page, its JSON-LD block.
        assert len(re.findall(r"<script\b", page)) == (2 if url.startswith("/jobs/") else 1), url
    job_page = await _page(pages, f"/jobs/{job['id']}")
    assert f"<h1>Engineer {escaped}</h1>" in job_page
    assert f'content="Engineer {escaped} at Evil {escaped}"' in job_page
    data = json.loads(_JSON_LD.findall(job_page)[0])
    assert data["title"] == "Engineer " + HOSTILE
    board = await _page(pages, "/jobs")
    assert _facets(board)["department"] == {"Dept " + HOSTILE: (1, False)}
    assert _facets(board)["organisation"] == {"Evil " + HOSTILE: (1, False)}


# --- branding ----------------------------------------------------------------------------------------


async def test_the_careers_site_carries_the_organisations_branding_and_colours(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    await update_job_settings(
        client,
        tenant,
        accent_colour="#0B6E4F",
        careers_intro="We build <b>tools</b> for harbours.\n\nCome and work with us.",
        logo_url="https://cdn.example.com/logo.png",
    )
    job = await open_job(client, app, tenant)
    slug = await _slug(client, tenant)

    for url in (f"/careers/{slug}", f"/jobs/{job['id']}"):
        page = await _page(pages, url)
        theme = re.search(r'<link rel="stylesheet" href="(/careers/[^"]+/theme\.css\?v=[0-9a-f]+)">', page)
        assert theme, url
        assert theme.group(1).startswith(f"/careers/{slug}/theme.css?v=")
        assert '<img src="https://cdn.example.com/logo.png"' in page
        assert f'<a href="/careers/{slug}" class="brand">' in page
    careers = await _page(pages, f"/careers/{slug}")
    found = re.search(r'<link rel="stylesheet" href="(/careers/[^"]+/theme\.css\?v=[0-9a-f]+)">', careers)
    assert found
    theme_url = found.group(1)
    assert "<h1>Careers at Tenant A</h1>" in careers
    assert '<p class="lead">We build &lt;b&gt;tools&lt;/b&gt; for harbours.</p>' in careers
    assert '<p class="lead">Come and work with us.</p>' in careers

    css = await pages.get(theme_url)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=300"
    variables = dict(re.findall(r"(--pico-[a-z-]+): ([^;]+);", css.text))
    assert variables["--pico-primary"] == "#0b6e4f"
    assert variables["--pico-primary-background"] == "#0b6e4f"
    assert variables["--pico-primary-border"] == "#0b6e4f"
    assert variables["--pico-primary-inverse"] == "#fff"
    assert variables["--pico-primary-focus"] == "rgba(11, 110, 79, 0.5)"
    assert variables["--pico-primary-underline"] == "rgba(11, 110, 79, 0.5)"
    assert variables["--pico-primary-hover"] == variables["--pico-primary-hover-background"] != "#0b6e4f"
    again = await pages.get(theme_url, headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304

    # A new colour is a new stylesheet address, so no cached copy of the old one is used.
    await update_job_settings(client, tenant, accent_colour="#7A1FA2")
    recoloured = await _page(pages, f"/careers/{slug}")
    assert theme_url not in recoloured
    new_theme = re.search(r'href="(/careers/[^"]+/theme\.css\?v=[0-9a-f]+)"', recoloured)
    assert new_theme
    assert "--pico-primary: #7a1fa2;" in (await pages.get(new_theme.group(1))).text


async def test_without_an_accent_colour_there_is_no_theme(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = await _slug(client, tenant)
    assert "theme.css" not in await _page(pages, f"/careers/{slug}")
    assert (await pages.get(f"/careers/{slug}/theme.css")).status_code == 404
    assert (await pages.get("/careers/no-such-board/theme.css")).status_code == 404
