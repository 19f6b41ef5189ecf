"""The public careers board over HTTP: search, posting detail, caching, feeds and visibility.

Every request to ``/v1/board`` here is sent without an ``Authorization`` header: the board is public.
Adapter semantics (ranking, facet maths, analysis) live in ``test_search_index.py``; these tests check
what the HTTP layer adds: parameter parsing, skill normalisation, cursors, problems, caching headers,
which postings each board shows, and that hidden pay stays hidden everywhere.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.roles.taxonomy import default_taxonomy
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_job, create_tenant, create_user, deliver, fork_profile, open_job
from tests.factories import update_job_settings as _patch_settings
from tests.platform.problems import assert_problem

BASE = "http://rolecall.test"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# Distinctive pay figures (inside the back-end profile's lead USD band) that cannot occur by chance.
SALARY = {"min": 123_457, "max": 154_321, "currency": "USD"}
SALARY_MARKS = ("123,457", "123457", "154,321", "154321")


# --- helpers -------------------------------------------------------------------------------------


async def _search(
    client: httpx.AsyncClient, path: str = "/v1/board/postings", **params: Any
) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def _facet(body: dict[str, Any], name: str) -> dict[str, int]:
    return {entry["value"]: entry["count"] for entry in body["facets"][name]}


async def _slug(client: httpx.AsyncClient, tenant: Tenant) -> str:
    response = await client.get("/v1/job-settings", headers=tenant.headers)
    assert response.status_code == 200, response.text
    slug: str = response.json()["board_slug"]
    return slug


async def _patch_job(
    client: httpx.AsyncClient, tenant: Tenant, job_id: str, **changes: Any
) -> dict[str, Any]:
    current = await client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    assert current.status_code == 200, current.text
    response = await client.patch(
        f"/v1/jobs/{job_id}", headers={**tenant.headers, "If-Match": current.headers["etag"]}, json=changes
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _lifecycle(client: httpx.AsyncClient, tenant: Tenant, job_id: str, action: str) -> None:
    body = {"reason": "filled"} if action == "close" else None
    response = await client.post(f"/v1/jobs/{job_id}/{action}", headers=tenant.headers, json=body)
    assert response.status_code == 200, response.text


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _xml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own output, parsed to check it


async def _feeds(client: httpx.AsyncClient, slug: str, **headers: str) -> dict[str, httpx.Response]:
    return {
        name: await client.get(f"/v1/board/{slug}/{name}", headers=headers)
        for name in ("feed.xml", "feed.atom", "feed.rss", "sitemap.xml")
    }


def _feed_posting_ids(responses: dict[str, httpx.Response]) -> dict[str, list[str]]:
    """The posting ids each feed lists, read the way each format identifies a posting."""
    aggregator = _xml(responses["feed.xml"])
    atom = _xml(responses["feed.atom"])
    rss = _xml(responses["feed.rss"])
    urlset = _xml(responses["sitemap.xml"])
    prefix = f"{BASE}/jobs/"  # the tests' settings set ROLECALL_PUBLIC_BASE_URL: links go to job pages
    return {
        "feed.xml": [job.findtext("requisitionid") or "" for job in aggregator.findall("job")],
        "feed.atom": [
            (entry.findtext(f"{ATOM}id") or "").removeprefix("urn:uuid:")
            for entry in atom.findall(f"{ATOM}entry")
        ],
        "feed.rss": [(item.findtext("link") or "").removeprefix(prefix) for item in rss.iter("item")],
        "sitemap.xml": [(url.findtext(f"{SITEMAP}loc") or "").removeprefix(prefix) for url in urlset],
    }


async def _three_jobs(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> tuple[str, str, str]:
    """Three postings that differ in every facet, opened a minute apart (oldest first)."""
    backend = (await fork_profile(client, tenant))["id"]
    frontend = (await fork_profile(client, tenant, "frontend-engineer"))["id"]
    lead = await open_job(client, app, tenant, backend, salary=SALARY)
    clock.advance(minutes=1)
    remote = await open_job(
        client,
        app,
        tenant,
        backend,
        level="senior",
        department="Platform",
        employment_type="contract",
        work_arrangement="remote",
        locations=[],
        remote_countries=["PT"],
        salary={"min": 60_000, "max": 90_000, "currency": "EUR"},
    )
    clock.advance(minutes=1)
    web = await open_job(
        client,
        app,
        tenant,
        frontend,
        level="mid",
        department="Web",
        employment_type="part_time",
        work_arrangement="onsite",
        locations=[{"city": "London", "country": "GB"}],
        salary=None,
        title="Lantern Interface Engineer",
    )
    return lead["id"], remote["id"], web["id"]


# --- search --------------------------------------------------------------------------------------


async def test_every_filter_narrows_the_search_and_repeats_are_or(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    lead, remote, web = await _three_jobs(client, app, tenant, clock)
    slug = await _slug(client, tenant)

    everything = await _search(client)
    assert sorted(_ids(everything)) == sorted([lead, remote, web])
    assert everything["total"] == 3
    assert set(everything["facets"]) == {
        "location",
        "work_arrangement",
        "level",
        "department",
        "employment_type",
        "skills",
        "salary",
        "organisation",
    }
    assert _facet(everything, "level") == {"lead": 1, "senior": 1, "mid": 1}
    assert _facet(everything, "work_arrangement") == {"hybrid": 1, "remote": 1, "onsite": 1}
    assert _facet(everything, "location") == {"Berlin, DE": 1, "Remote": 1, "London, GB": 1}
    assert _facet(everything, "department") == {"Engineering": 1, "Platform": 1, "Web": 1}
    assert _facet(everything, "employment_type") == {"full_time": 1, "contract": 1, "part_time": 1}
    assert _facet(everything, "salary") == {"150000-200000": 1, "50000-100000": 1}
    assert _facet(everything, "organisation") == {slug: 3}
    assert len(everything["facets"]["skills"]) == 20  # the default facet_limit: the 20 most frequent
    assert _facet(await _search(client, facet_limit=1000), "skills")["postgresql"] == 2
    top = (await _search(client, facet_limit=2))["facets"]["skills"]
    assert [entry["count"] for entry in top] == [3, 3]  # skills every job's profile shares come first

    async def ids(**params: Any) -> list[str]:
        return sorted(_ids(await _search(client, **params)))

    assert await ids(location="Berlin, DE") == [lead]
    assert await ids(location="Remote") == [remote]
    assert await ids(location=["Berlin, DE", "London, GB"]) == sorted([lead, web])
    assert await ids(work_arrangement=["hybrid", "remote"]) == sorted([lead, remote])
    assert await ids(level="mid") == [web]
    assert await ids(level=["mid", "senior"]) == sorted([remote, web])
    assert await ids(department="Platform") == [remote]
    assert await ids(employment_type="part_time") == [web]
    assert await ids(salary="150000-200000") == [lead]
    assert await ids(salary=["150000-200000", "50000-100000"]) == sorted([lead, remote])
    assert await ids(organisation=slug) == sorted([lead, remote, web])
    assert await ids(organisation="no-such-organisation") == []
    assert await ids(level="lead", work_arrangement="remote") == []  # AND across facets
    assert await ids(salary_at_least=100_000) == [lead]  # the web job shows no pay at all
    assert await ids(salary_at_least=90_000) == sorted([lead, remote])
    assert await ids(q="Lantern") == [web]
    assert await ids(q="  lantern  INTERFACE ") == [web]
    assert await ids(q="lantern postgres") == []  # every word must match
    assert await ids(q="engineer") == sorted([lead, remote, web])
    assert await ids(q="engineer", level="senior") == [remote]

    narrowed = await _search(client, level="mid")
    assert narrowed["total"] == 1
    assert _facet(narrowed, "work_arrangement") == {"onsite": 1}

    # Skills: the index holds canonical taxonomy ids, the filter takes what people type.
    canonical = default_taxonomy().normalise("Postgres")
    assert canonical is not None
    assert canonical.id == "postgresql"
    detail = (await client.get(f"/v1/board/postings/{lead}")).json()
    assert "postgresql" in [skill["id"] for skill in detail["skills"]]

    for typed in ("Postgres", "postgres", "PostgreSQL", "postgresql"):
        assert sorted(_ids(await _search(client, skills=typed))) == sorted([lead, remote]), typed
    assert _ids(await _search(client, skills="TypeScript")) == [web]
    assert sorted(_ids(await _search(client, skills=["Postgres", "TypeScript"]))) == sorted(
        [lead, remote, web]
    )
    assert _ids(await _search(client, skills=["Postgres", "TypeScript"], level="mid")) == [web]
    assert _ids(await _search(client, skills="a skill nobody has")) == []


async def test_sort_by_date_pages_with_the_cursor(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    lead, remote, web = await _three_jobs(client, app, tenant, clock)

    first = await _search(client, sort="date", limit=2)
    assert _ids(first) == [web, remote]  # newest first
    assert first["total"] == 3
    assert first["next_cursor"]
    second = await _search(client, sort="date", limit=2, cursor=first["next_cursor"])
    assert _ids(second) == [lead]
    assert second["total"] == 3
    assert second["next_cursor"] is None

    one_by_one: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"sort": "date", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = await _search(client, **params)
        one_by_one += _ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert one_by_one == [web, remote, lead]

    slug = await _slug(client, tenant)
    org_page = await _search(client, f"/v1/board/{slug}/postings", sort="date", limit=1)
    assert _ids(org_page) == [web]
    org_next = await _search(
        client, f"/v1/board/{slug}/postings", sort="date", limit=1, cursor=org_page["next_cursor"]
    )
    assert _ids(org_next) == [remote]


async def test_bad_search_parameters_are_problems(client: httpx.AsyncClient, tenant: Tenant) -> None:
    slug = await _slug(client, tenant)
    for path in ("/v1/board/postings", f"/v1/board/{slug}/postings"):
        for cursor in (
            "not a cursor!",
            "%%%",
            _cursor({"o": -1}),
            _cursor([1]),
            _cursor({"o": "5"}),
            _cursor({"o": True}),
            _cursor({"o": 10_001}),
        ):
            response = await client.get(path, params={"cursor": cursor})
            assert_problem(response, 400, "bad-request")
        assert (await client.get(path, params={"cursor": _cursor({"o": 0})})).status_code == 200
        assert (await client.get(path, params={"limit": 100})).status_code == 200
        assert_problem(await client.get(path, params={"limit": 101}), 422, "validation-error")
        assert_problem(await client.get(path, params={"limit": 0}), 422, "validation-error")
        assert (await client.get(path, params={"q": "x" * 500})).status_code == 200
        assert_problem(await client.get(path, params={"q": "x" * 501}), 422, "validation-error")
        assert_problem(await client.get(path, params={"sort": "salary"}), 422, "validation-error")
        assert_problem(await client.get(path, params={"salary_at_least": -1}), 422, "validation-error")
    assert_problem(await client.get("/v1/board/no-such-board/postings"), 404, "not-found")


# --- which postings each board shows ------------------------------------------------------------


async def test_unlisted_organisations_only_appear_on_their_own_board(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    await _patch_settings(client, other_tenant, listed=False)
    listed_job = (await open_job(client, app, tenant))["id"]
    unlisted_job = (await open_job(client, app, other_tenant))["id"]
    listed_slug, unlisted_slug = await _slug(client, tenant), await _slug(client, other_tenant)

    board = await _search(client)
    assert _ids(board) == [listed_job]
    assert board["total"] == 1
    assert _facet(board, "organisation") == {listed_slug: 1}
    assert _ids(await _search(client, organisation=unlisted_slug)) == []
    assert _ids(await _search(client, q="back-end")) == [listed_job]

    own = await _search(client, f"/v1/board/{unlisted_slug}/postings")
    assert _ids(own) == [unlisted_job]
    assert own["items"][0]["organisation"]["slug"] == unlisted_slug
    assert _ids(await _search(client, f"/v1/board/{listed_slug}/postings")) == [listed_job]
    # The per-organisation board takes no organisation filter: another organisation cannot be mixed
    # in, and asking for one is refused rather than silently ignored (docs/api.md).
    mixed = await client.get(f"/v1/board/{listed_slug}/postings", params={"organisation": unlisted_slug})
    assert mixed.status_code == 400, mixed.text
    assert mixed.json()["unknown"] == ["organisation"]
    assert (await client.get(f"/v1/board/postings/{unlisted_job}")).status_code == 200

    for name in ("postings", "feed.xml", "feed.atom", "feed.rss", "sitemap.xml"):
        assert_problem(await client.get(f"/v1/board/no-such-board/{name}"), 404, "not-found")


async def test_settings_changes_reach_postings_that_are_already_open(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant, salary=SALARY))["id"]
    slug = await _slug(client, tenant)
    assert _ids(await _search(client)) == [job]
    assert (await client.get(f"/v1/board/postings/{job}")).json()["salary"] is not None

    await _patch_settings(client, tenant, listed=False, show_salary=False)
    await deliver(app)

    assert _ids(await _search(client)) == []  # off the cross-organisation board ...
    own = await _search(client, f"/v1/board/{slug}/postings")
    assert _ids(own) == [job]  # ... but still on its own
    assert own["items"][0]["salary"] is None
    assert (await client.get(f"/v1/board/postings/{job}")).json()["salary"] is None
    assert _ids(await _search(client, f"/v1/board/{slug}/postings", salary_at_least=1)) == []
    assert _xml(await client.get(f"/v1/board/{slug}/feed.xml")).find("job/salary") is None

    await _patch_settings(client, tenant, board_slug="renamed-board")
    await deliver(app)
    assert_problem(await client.get(f"/v1/board/{slug}/postings"), 404, "not-found")
    moved = await _search(client, "/v1/board/renamed-board/postings")
    assert _ids(moved) == [job]
    assert moved["items"][0]["organisation"]["slug"] == "renamed-board"
    assert _facet(moved, "organisation") == {"renamed-board": 1}
    feed = _xml(await client.get("/v1/board/renamed-board/feed.atom"))
    assert feed.findtext(f"{ATOM}id") == f"{BASE}/v1/board/renamed-board/feed.atom"
    assert feed.findtext(f"{ATOM}entry/{ATOM}id") == f"urn:uuid:{job}"


async def test_every_board_address_handed_out_serves_that_board(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await create_tenant(client, sessionmaker, "Postings")
    job = (await open_job(client, app, tenant))["id"]
    settings = (await client.get("/v1/job-settings", headers=tenant.headers)).json()

    board = await client.get(settings["board_url"])
    assert board.status_code == 200, board.text
    assert _ids(board.json()) == [job]
    feed = await client.get(f"/v1/board/{settings['board_slug']}/feed.atom")
    assert feed.status_code == 200, feed.text
    assert _xml(feed).findtext(f"{ATOM}entry/{ATOM}id") == f"urn:uuid:{job}"

    current = await client.get("/v1/job-settings", headers=tenant.headers)
    for taken_by_the_board in ("postings", "sitemap"):
        response = await client.patch(
            "/v1/job-settings",
            headers={**tenant.headers, "If-Match": current.headers["etag"]},
            json={"board_slug": taken_by_the_board},
        )
        assert_problem(response, 422)


async def test_pausing_removes_the_posting_and_reopening_brings_it_back(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    slug = await _slug(client, tenant)

    await _lifecycle(client, tenant, job, "pause")
    await deliver(app)
    assert (await _search(client))["total"] == 0
    assert (await _search(client, f"/v1/board/{slug}/postings"))["total"] == 0
    assert_problem(await client.get(f"/v1/board/postings/{job}"), 404, "not-found")
    assert _feed_posting_ids(await _feeds(client, slug))["feed.atom"] == []

    await _lifecycle(client, tenant, job, "open")
    await deliver(app)
    assert _ids(await _search(client)) == [job]
    assert _ids(await _search(client, f"/v1/board/{slug}/postings")) == [job]
    assert (await client.get(f"/v1/board/postings/{job}")).status_code == 200
    assert _feed_posting_ids(await _feeds(client, slug))["feed.atom"] == [job]


async def test_editing_an_open_job_updates_the_posting(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant, title="Marigold Systems Engineer"))["id"]
    assert _ids(await _search(client, q="marigold")) == [job]
    before = await client.get(f"/v1/board/postings/{job}")
    assert before.status_code == 200

    await _patch_job(client, tenant, job, title="Zephyrine Storage Engineer")
    assert _ids(await _search(client, q="zephyrine")) == []  # nothing changes before delivery
    await deliver(app)

    found = await _search(client, q="zephyrine")
    assert _ids(found) == [job]
    assert found["items"][0]["title"] == "Zephyrine Storage Engineer"
    assert _ids(await _search(client, q="marigold")) == []
    after = await client.get(f"/v1/board/postings/{job}", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["title"] == "Zephyrine Storage Engineer"
    assert after.headers["etag"] != before.headers["etag"]


# --- posting detail ------------------------------------------------------------------------------


async def test_posting_detail_is_the_public_view_of_the_job(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    recruiter_id, _token = await create_user(client, tenant, "recruiter")
    form = [
        {"key": "portfolio", "label": "Link to your work", "type": "short_text", "required": True},
        {"key": "notice", "label": "Notice period", "type": "single_choice", "options": ["None", "1 month"]},
    ]
    job = await open_job(
        client,
        app,
        tenant,
        salary=SALARY,
        application_form=form,
        hiring_team=[{"user_id": recruiter_id, "role": "recruiter"}],
    )
    draft = await create_job(client, tenant, job["role_profile_id"])
    await deliver(app)

    response = await client.get(f"/v1/board/postings/{job['id']}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()
    assert detail["id"] == job["id"]
    # With ROLECALL_PUBLIC_BASE_URL set (as in these tests) people are sent to the web pages;
    # the JSON resources stay named beside them.
    assert detail["url"] == f"{BASE}/jobs/{job['id']}"
    assert detail["apply_url"] == f"{BASE}/jobs/{job['id']}/apply"
    assert detail["api_url"] == f"/v1/board/postings/{job['id']}"
    assert detail["api_apply_url"] == f"/v1/board/postings/{job['id']}/applications"
    assert detail["json_ld"]["url"] == f"{BASE}/jobs/{job['id']}"
    assert detail["title"] == "Lead Back-End Engineer"
    assert [(q["key"], q["type"], q["required"]) for q in detail["application_form"]] == [
        ("portfolio", "short_text", True),
        ("notice", "single_choice", False),
    ]
    assert detail["application_form"][1]["options"] == ["None", "1 month"]
    description = detail["description"]
    assert set(description) == {"markdown", "html", "text"}
    assert "Lead Back-End Engineer" in description["markdown"]
    assert re.search(r"<h1>Lead Back-End Engineer</h1>", description["html"])
    assert description["text"].strip()
    assert detail["json_ld"]["@type"] == "JobPosting"
    assert detail["json_ld"]["title"] == "Lead Back-End Engineer"
    assert detail["json_ld"]["baseSalary"]["value"]["maxValue"] == SALARY["max"]
    assert detail["salary"] == {**SALARY, "period": "year"}
    assert "hiring_team" not in detail
    assert recruiter_id not in response.text
    assert "@example.com" not in response.text  # no staff e-mail address leaks through

    assert_problem(await client.get(f"/v1/board/postings/{draft['id']}"), 404, "not-found")
    assert_problem(await client.get(f"/v1/board/postings/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(await client.get("/v1/board/postings/not-a-uuid"), 422, "validation-error")


async def test_posting_description_text_is_plain_text(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    description = (await client.get(f"/v1/board/postings/{job}")).json()["description"]
    assert re.search(r"^#{1,6} ", description["markdown"], re.MULTILINE)  # the Markdown has headings
    assert not re.search(r"^#{1,6} ", description["text"], re.MULTILINE)
    assert "**" not in description["text"]
    slug = await _slug(client, tenant)
    summary = _xml(await client.get(f"/v1/board/{slug}/feed.atom")).findtext(f"{ATOM}entry/{ATOM}summary")
    assert summary is not None
    assert not summary.startswith("#")


async def test_hidden_pay_is_absent_from_detail_search_and_feeds(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    # Hidden by the job itself, or by the organisation's default (set before the job opens); the
    # third organisation shows pay, so every check below has a control that does carry it.
    showing = await create_tenant(client, sessionmaker, "Tenant C")
    shown = (await open_job(client, app, showing, salary=SALARY))["id"]
    hidden_by_job = (await open_job(client, app, tenant, salary=SALARY, show_salary=False))["id"]
    await _patch_settings(client, other_tenant, show_salary=False)
    hidden_by_org = (await open_job(client, app, other_tenant, salary=SALARY))["id"]

    shown_detail = await client.get(f"/v1/board/postings/{shown}")
    assert shown_detail.json()["salary"] is not None
    assert "baseSalary" in shown_detail.json()["json_ld"]
    assert all(mark in shown_detail.text for mark in ("123,457", "123457"))
    for job in (hidden_by_job, hidden_by_org):
        response = await client.get(f"/v1/board/postings/{job}")
        assert response.status_code == 200, response.text
        detail = response.json()
        assert detail["salary"] is None
        assert "baseSalary" not in detail["json_ld"]
        for mark in SALARY_MARKS:
            assert mark not in response.text

    everything = await _search(client, limit=10)
    items = {item["id"]: item for item in everything["items"]}
    assert items[shown]["salary"] is not None
    assert items[hidden_by_job]["salary"] is None
    assert items[hidden_by_org]["salary"] is None
    assert _facet(everything, "salary") == {"150000-200000": 1}
    assert _ids(await _search(client, salary_at_least=1)) == [shown]
    assert _ids(await _search(client, salary="150000-200000")) == [shown]

    control = await _feeds(client, await _slug(client, showing))
    assert _xml(control["feed.xml"]).findtext("job/salary") is not None
    assert "123,457" in control["feed.atom"].text
    for owner, hidden in ((tenant, hidden_by_job), (other_tenant, hidden_by_org)):
        feeds = await _feeds(client, await _slug(client, owner))
        assert all(ids == [hidden] for ids in _feed_posting_ids(feeds).values())
        assert _xml(feeds["feed.xml"]).find("job/salary") is None
        for name, response in feeds.items():
            for mark in SALARY_MARKS:
                assert mark not in response.text, name


# --- caching -------------------------------------------------------------------------------------


async def test_board_responses_are_cacheable_and_revalidate(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    job = (await open_job(client, app, tenant, title="Hornbeam Data Engineer"))["id"]
    slug = await _slug(client, tenant)
    paths = [
        f"/v1/board/postings/{job}",
        "/v1/board/postings?q=hornbeam",
        f"/v1/board/{slug}/postings",
        *(f"/v1/board/{slug}/{name}" for name in ("feed.xml", "feed.atom", "feed.rss", "sitemap.xml")),
    ]
    tags: dict[str, str] = {}
    for path in paths:
        first = await client.get(path)
        assert first.status_code == 200, (path, first.text)
        tag = first.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', tag), tag
        assert first.headers["cache-control"] == "public, max-age=60"
        again = await client.get(path)
        assert again.headers["etag"] == tag  # same content, same tag
        variants = (tag, f"W/{tag}", f'"other", {tag}', "*") if path == paths[0] else (tag,)
        for sent in variants:
            cached = await client.get(path, headers={"If-None-Match": sent})
            assert cached.status_code == 304, (path, sent)
            assert cached.content == b""
            assert cached.headers["etag"] == tag
            assert cached.headers["cache-control"] == "public, max-age=60"
        stale = await client.get(path, headers={"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
        assert stale.status_code == 200
        assert stale.content == first.content
        tags[path] = tag

    clock.advance(minutes=1)  # the sitemap only carries the posting's last-modified time
    await _patch_job(client, tenant, job, title="Quillwort Platform Engineer")
    await deliver(app)
    for path in paths:
        if "q=hornbeam" in path:
            continue  # that search no longer matches; its tag changes too, checked below
        changed = await client.get(path, headers={"If-None-Match": tags[path]})
        assert changed.status_code == 200, path
        assert changed.headers["etag"] != tags[path], path
        if "sitemap" not in path:
            assert b"Quillwort" in changed.content, path
    no_match = await client.get("/v1/board/postings?q=hornbeam", headers={"If-None-Match": tags[paths[1]]})
    assert no_match.status_code == 200
    assert no_match.json()["total"] == 0


# --- feeds ---------------------------------------------------------------------------------------


async def test_feeds_list_the_open_postings_of_one_organisation_with_absolute_urls(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    older = (await open_job(client, app, tenant, profile))["id"]
    clock.advance(minutes=1)
    newer = (await open_job(client, app, tenant, profile, title="Lead Ledger Engineer"))["id"]
    clock.advance(minutes=1)
    paused = (await open_job(client, app, tenant, profile))["id"]
    closed = (await open_job(client, app, tenant, profile))["id"]
    foreign = (await open_job(client, app, other_tenant))["id"]
    clock.advance(minutes=1)
    await _lifecycle(client, tenant, paused, "pause")
    await _lifecycle(client, tenant, closed, "close")
    await deliver(app)
    slug, other_slug = await _slug(client, tenant), await _slug(client, other_tenant)

    # A forged Host header must not change the published addresses: they come from public_base_url.
    feeds = await _feeds(client, slug, Host="attacker.example")
    assert feeds["feed.xml"].headers["content-type"].startswith("application/xml")
    assert feeds["feed.atom"].headers["content-type"].startswith("application/atom+xml")
    assert feeds["feed.rss"].headers["content-type"].startswith("application/rss+xml")
    assert feeds["sitemap.xml"].headers["content-type"].startswith("application/xml")
    for name, ids in _feed_posting_ids(feeds).items():
        assert ids == [newer, older], name  # newest first; paused, closed and foreign left out
    for name, response in feeds.items():
        assert "attacker.example" not in response.text, name
        urls = re.findall(r"https?://[^\s<\"'\]]+", response.text)
        posting_urls = [u for u in urls if "/jobs/" in u or "/v1/board/" in u]
        assert posting_urls, name
        assert all(u.startswith(BASE) for u in posting_urls), name
        assert not [u for u in posting_urls if "/v1/board/postings/" in u], name  # pages, not JSON
        for absent in (paused, closed, foreign):
            assert absent not in response.text, name

    atom = _xml(feeds["feed.atom"])
    assert atom.findtext(f"{ATOM}id") == f"{BASE}/v1/board/{slug}/feed.atom"
    entry = atom.find(f"{ATOM}entry")
    assert entry is not None
    links = {link.get("rel"): link.get("href") for link in entry.findall(f"{ATOM}link")}
    assert links == {"alternate": f"{BASE}/jobs/{newer}", "related": f"{BASE}/jobs/{newer}/apply"}
    assert entry.findtext(f"{ATOM}title") == "Lead Ledger Engineer"
    aggregator = _xml(feeds["feed.xml"])
    assert aggregator.findtext("publisherurl") == f"{BASE}/careers/{slug}"
    assert [job.findtext("url") for job in aggregator.findall("job")] == [
        f"{BASE}/jobs/{newer}",
        f"{BASE}/jobs/{older}",
    ]
    rss = _xml(feeds["feed.rss"])
    assert rss.findtext("channel/link") == f"{BASE}/careers/{slug}"

    other = _feed_posting_ids(await _feeds(client, other_slug))
    assert all(ids == [foreign] for ids in other.values()), other

    await _lifecycle(client, tenant, newer, "close")
    await deliver(app)
    assert all(ids == [older] for ids in _feed_posting_ids(await _feeds(client, slug)).values())
