"""Public role guides: the starter library as an index and one readable guide per profile."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import httpx

from rolecall.roles.library import load_library
from tests.factories import Tenant, fork_profile


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts (header and data cells alike)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, object]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self.tables:
            rows = self.tables[-1]["rows"]
            assert isinstance(rows, list)
            rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            rows = self.tables[-1]["rows"]
            assert isinstance(rows, list)
            rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    found: dict[str, list[list[str]]] = {}
    for table in parser.tables:
        rows = table["rows"]
        assert isinstance(rows, list)
        found[str(table["caption"])] = rows
    return found


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<a [^>]*href="([^"]+)"', html)]


async def test_the_index_lists_every_library_profile_with_a_link_to_its_guide(
    pages: httpx.AsyncClient,
) -> None:
    response = await pages.get("/roles")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    hrefs = links(response.text)
    library = load_library()
    assert len(library) == 12
    for profile in library:
        assert f"/roles/{profile.id}" in hrefs, profile.id
        assert unescape(profile.title) in unescape(response.text)
    assert response.text.count("<h1") == 1
    assert "Levels:</span> Mid-level, Senior, Lead, Principal" in response.text  # SRE: no junior level
    assert "Building products" in response.text


async def test_a_guide_shows_skills_by_level_in_words(pages: httpx.AsyncClient) -> None:
    response = await pages.get("/roles/backend-engineer")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    found = tables(response.text)
    skills = found["Technical skills"]
    assert skills[0] == ["Skill", "Requirement", "Junior", "Mid-level", "Senior", "Lead", "Principal"]
    rows = {row[0]: row[1:] for row in skills[1:]}
    assert rows["REST"] == [
        "Must have",
        "1 · foundational",
        "2 · working",
        "3 · proficient",
        "4 · advanced",
        "5 · expert",
    ]
    assert rows["Event-driven architecture"][:2] == ["Nice to have", "Not expected"]
    assert '<th scope="col">Senior</th>' in response.text
    assert '<th scope="row">REST</th>' in response.text
    soft = {row[0]: row[1:] for row in found["Working skills"][1:]}
    assert soft["Mentoring"] == [
        "Must have",
        "Not expected",
        "Not expected",
        "3 · proficient",
        "4 · advanced",
        "5 · expert",
    ]
    assert response.text.count("<h1") == 1


async def test_a_guide_shows_its_salary_band_and_the_oews_benchmark_with_their_sources(
    pages: httpx.AsyncClient,
) -> None:
    html = (await pages.get("/roles/backend-engineer")).text
    found = tables(html)

    bands = found["Salary bands in this profile (annual base pay)"]
    assert bands[1][:3] == ["Lead", "Unspecified (US dollar range)", "USD 100,000\u2013160,000 per year"]
    assert bands[1][3].startswith("Career guide seed")
    assert bands[1][4] == "2026-11-01"
    benchmark_caption = next(c for c in found if c.startswith("Market benchmark"))
    assert "Software Developers (15-1252)" in benchmark_caption
    assert "BLS OEWS May 2025" in benchmark_caption
    assert found[benchmark_caption][1][2] == "$135,980"  # the national median
    assert "BLS.gov cannot vouch for the data" in unescape(html)
    assert "O*NET 29.2 Database" in unescape(html)


async def test_a_profile_without_bands_says_so_and_still_shows_the_benchmark(
    pages: httpx.AsyncClient,
) -> None:
    html = (await pages.get("/roles/engineering-manager")).text

    assert "This profile has no salary bands of its own yet." in html
    caption = next(c for c in tables(html) if c.startswith("Market benchmark"))
    assert "Computer and Information Systems Managers" in caption
    # Management has no junior level: the table has only the profile's own levels.
    assert tables(html)["Technical skills"][0][2:] == ["Senior", "Lead", "Principal"]


async def test_career_paths_link_both_ways_and_every_link_on_a_guide_resolves(
    pages: httpx.AsyncClient,
) -> None:
    html = (await pages.get("/roles/backend-engineer")).text
    hrefs = links(html)

    # Written on the back-end profile: lead advances to engineering manager; and in reverse, the
    # engineering-manager guide shows back-end lead as an entry, though that profile never says so.
    assert "/roles/engineering-manager#level-senior" in hrefs
    assert "/roles/software-architect#level-lead" in hrefs
    manager = (await pages.get("/roles/engineering-manager")).text
    assert "/roles/backend-engineer#level-lead" in links(manager)
    assert "/tools/job-description?profile=backend-engineer&level=senior" in hrefs

    for href in sorted({h.split("#")[0] for h in hrefs if h.startswith("/") and h.split("#")[0]}):
        if href.startswith("/app"):
            continue
        answer = await pages.get(href)
        assert answer.status_code == 200, href
    for anchor in {h.split("#")[1] for h in hrefs if h.startswith("/roles/backend-engineer#")}:
        assert f'id="{anchor}"' in html, anchor


async def test_every_library_guide_renders(pages: httpx.AsyncClient) -> None:
    for profile in load_library():
        response = await pages.get(f"/roles/{profile.id}")
        assert response.status_code == 200, profile.id
        assert f"<h1>{profile.title}</h1>" in unescape(response.text)


async def test_an_unknown_guide_is_a_404_page(pages: httpx.AsyncClient) -> None:
    response = await pages.get("/roles/<script>alert(1)")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text  # the message names the id, escaped


async def test_an_organisations_own_profiles_are_not_public(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    profile = await fork_profile(client, tenant, "platform-engineer", slug="acme-internal-platform")

    assert (await pages.get("/roles/acme-internal-platform")).status_code == 404
    assert (await pages.get(f"/roles/{profile['id']}")).status_code == 404
    assert "acme-internal-platform" not in (await pages.get("/roles")).text
