"""Where the board sends people: the web pages under ROLECALL_PUBLIC_BASE_URL, or the JSON API.

The links are resolved when a posting is served, not stored: the same stored posting is served by
two apps on one database, one with the setting and one without, and nothing is republished between.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.app import create_app
from rolecall.board.models import BoardPosting
from rolecall.config import Settings
from rolecall.platform.db import transaction
from tests.factories import Tenant, open_job

PAGES = "https://jobs.example.com/hiring"  # a base with a path prefix, as behind a shared domain
REQUEST_BASE = "http://rolecall.test"  # the test client's base URL
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No public base URL (the API-only behaviour); the database index, so a second app can share it.
    return settings.model_copy(update={"public_base_url": None, "search_backend": "database"})


@pytest.fixture
async def pages_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process on the same database, configured with ROLECALL_PUBLIC_BASE_URL."""
    configured = Settings.model_validate({**settings.model_dump(), "public_base_url": PAGES + "/"})
    assert configured.public_base_url == PAGES  # the trailing slash is dropped when read
    application = create_app(configured)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=REQUEST_BASE) as http:
            yield http


async def _json(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def _xml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    return ET.fromstring(response.content)  # noqa: S314 - our own output, parsed to check it


async def _slug(client: httpx.AsyncClient, tenant: Tenant) -> str:
    slug: str = (await _json_with(client, "/v1/job-settings", tenant))["board_slug"]
    return slug


async def _json_with(client: httpx.AsyncClient, path: str, tenant: Tenant) -> Any:
    response = await client.get(path, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _feed_links(client: httpx.AsyncClient, slug: str) -> dict[str, Any]:
    feeds = {
        name: await client.get(f"/v1/board/{slug}/{name}") for name in ("feed.xml", "feed.atom", "feed.rss")
    }
    feeds["sitemap.xml"] = await client.get(f"/v1/board/{slug}/sitemap.xml")
    aggregator, atom = _xml(feeds["feed.xml"]), _xml(feeds["feed.atom"])
    rss, sitemap = _xml(feeds["feed.rss"]), _xml(feeds["sitemap.xml"])
    entry = atom.find(f"{ATOM}entry")
    assert entry is not None
    return {
        "aggregator": (
            aggregator.findtext("publisherurl"),
            [j.findtext("url") for j in aggregator.iter("job")],
        ),
        "atom_feed": {link.get("rel"): link.get("href") for link in atom.findall(f"{ATOM}link")},
        "atom_entry": {link.get("rel"): link.get("href") for link in entry.findall(f"{ATOM}link")},
        "rss": (rss.findtext("channel/link"), [i.findtext("link") for i in rss.iter("item")]),
        "sitemap": [u.findtext(f"{SITEMAP}loc") for u in sitemap],
    }


async def test_without_a_public_base_url_postings_link_to_the_json_api(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    slug = await _slug(client, tenant)
    api, apply = f"/v1/board/postings/{job}", f"/v1/board/postings/{job}/applications"

    for path in ("/v1/board/postings", f"/v1/board/{slug}/postings"):
        [item] = (await _json(client, path))["items"]
        assert (item["url"], item["api_url"]) == (api, api), path
    detail = await _json(client, api)
    assert (detail["url"], detail["api_url"]) == (api, api)
    assert (detail["apply_url"], detail["api_apply_url"]) == (apply, apply)
    assert "url" not in detail["json_ld"]

    links = await _feed_links(client, slug)
    assert links["aggregator"] == (f"{REQUEST_BASE}/v1/board/{slug}/postings", [f"{REQUEST_BASE}{api}"])
    assert links["atom_feed"]["alternate"] == f"{REQUEST_BASE}/v1/board/{slug}/postings"
    assert links["atom_entry"] == {"alternate": f"{REQUEST_BASE}{api}", "related": f"{REQUEST_BASE}{apply}"}
    assert links["rss"] == (f"{REQUEST_BASE}/v1/board/{slug}/postings", [f"{REQUEST_BASE}{api}"])
    assert links["sitemap"] == [f"{REQUEST_BASE}{api}"]


async def test_with_a_public_base_url_the_same_stored_posting_links_to_the_web_pages(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    pages_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    slug = await _slug(client, tenant)
    page, apply_page = f"{PAGES}/jobs/{job}", f"{PAGES}/jobs/{job}/apply"
    api = f"/v1/board/postings/{job}"

    for path in ("/v1/board/postings", f"/v1/board/{slug}/postings"):
        [item] = (await _json(pages_client, path))["items"]
        assert (item["id"], item["url"], item["api_url"]) == (job, page, api), path
    detail = await _json(pages_client, api)
    assert (detail["url"], detail["api_url"]) == (page, api)
    assert (detail["apply_url"], detail["api_apply_url"]) == (apply_page, f"{api}/applications")
    assert detail["json_ld"]["url"] == page
    assert detail["json_ld"]["@type"] == "JobPosting"

    links = await _feed_links(pages_client, slug)
    careers = f"{PAGES}/careers/{slug}"
    assert links["aggregator"] == (careers, [page])
    assert links["atom_feed"] == {"self": f"{PAGES}/v1/board/{slug}/feed.atom", "alternate": careers}
    assert links["atom_entry"] == {"alternate": page, "related": apply_page}
    assert links["rss"] == (careers, [page])
    assert links["sitemap"] == [page]

    # Nothing was written for it: the stored posting keeps the API paths the jobs context published,
    # and the process without the setting still serves those.
    async with transaction(sessionmaker) as session:
        row = (await session.scalars(select(BoardPosting).where(BoardPosting.id == uuid.UUID(job)))).one()
        assert (row.document or {})["url"] == api
        assert (row.summary or {})["url"] == api
        assert "url" not in (row.document or {})["json_ld"]
    assert (await _json(client, api))["url"] == api
