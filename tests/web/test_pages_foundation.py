"""What every page shares: the security policy, error pages, assets, and templates free of inline code."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform.auth import PUBLIC
from rolecall.web import assets
from rolecall.web.security import safe_next

SRC = Path(__file__).resolve().parents[2] / "src" / "rolecall"
TEMPLATES = sorted(SRC.glob("*/templates/**/*.html"))


async def test_pages_send_a_strict_content_security_policy(pages: httpx.AsyncClient) -> None:
    response = await pages.get("/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_html_pages_are_compressed_and_api_answers_are_not(pages: httpx.AsyncClient) -> None:
    page = await pages.get("/", headers={"Accept-Encoding": "gzip"})
    api = await pages.get("/v1/board/postings", headers={"Accept-Encoding": "gzip"})

    assert page.headers.get("content-encoding") == "gzip"
    assert "content-encoding" not in api.headers


async def test_a_missing_page_is_an_html_page_and_a_missing_api_route_a_problem(
    pages: httpx.AsyncClient,
) -> None:
    page = await pages.get("/careers/no-such-board/nothing/here")
    api = await pages.get("/v1/no-such-route")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


async def test_assets_are_served_compressed_under_a_content_hash_for_a_year(pages: httpx.AsyncClient) -> None:
    css = assets.catalogue()["app.css"]

    fresh = await pages.get(css.url, headers={"Accept-Encoding": "gzip, br"})
    stale = await pages.get("/static/app.000000000000.css")
    missing = await pages.get("/static/nothing.css")

    assert fresh.status_code == 200
    assert fresh.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert fresh.headers["content-encoding"] == "gzip"
    assert fresh.content == css.body  # httpx undoes the gzip
    assert b"--pico-" in css.body, "the CSS framework is part of the bundle"
    assert stale.status_code == 200
    assert "immutable" not in stale.headers["cache-control"]
    assert missing.status_code == 404
    revalidated = await pages.get(css.url, headers={"If-None-Match": f'"{css.digest}"'})
    assert revalidated.status_code == 304


def test_every_bundle_carries_its_vendored_library() -> None:
    catalogue = assets.catalogue()

    assert b"htmx" in catalogue["app.js"].body
    assert b"Sortable" in catalogue["board.js"].body


def test_no_template_has_inline_script_or_style() -> None:
    """The CSP would block them in the browser; this finds them before a person does."""
    assert TEMPLATES, "no templates found"
    for path in TEMPLATES:
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/ld+json"' in tag, f"{path}: inline script {tag}"
        assert not re.search(r"\sstyle\s*=", text), f"{path}: inline style attribute"
        assert "<style" not in text, f"{path}: style element"
        assert not re.search(r"\bhx-on\b|hx-on:", text), f"{path}: hx-on needs eval"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path}: inline event handler"


def test_safe_next_only_returns_paths_inside_the_staff_app() -> None:
    assert safe_next("/app/jobs?status=open") == "/app/jobs?status=open"
    assert safe_next("/app") == "/app"
    for hostile in (
        "https://evil.example/app",
        "//evil.example",
        "/application",
        "/app\\..",
        "/app\nx",
        None,
        "",
    ):
        assert safe_next(hostile) == "/app", hostile


async def test_an_unexpected_failure_on_a_page_is_a_page_and_on_the_api_a_problem(settings: Settings) -> None:
    application = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("secret internals")

    application.add_api_route("/app/test-only-boom", boom, dependencies=[PUBLIC], include_in_schema=False)
    application.add_api_route("/v1/test-only-boom", boom, dependencies=[PUBLIC], include_in_schema=False)
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with (
        LifespanManager(application),
        httpx.AsyncClient(transport=transport, base_url="https://t") as http,
    ):
        page = await http.get("/app/test-only-boom")
        api = await http.get("/v1/test-only-boom")

    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in page.text
    assert "secret internals" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-request-id"]
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"
