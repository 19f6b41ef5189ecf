"""The browser harness itself: the live server, the data helper, the accessibility check, screenshots."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.web import browser as harness
from tests.web.browser import LiveApi, assert_accessible, screenshot

MISSING_ALT = (
    '<html lang="en"><head><title>t</title></head>'
    '<body><main><h1>Hi</h1><img src="x.png"></main></body></html>'
)
WITH_ALT = MISSING_ALT.replace('<img src="x.png">', '<img src="x.png" alt="A greeting">')
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"


class _Site(BaseHTTPRequestHandler):
    """A throwaway site for what the app does not serve: a page under a strict CSP, and a cookie."""

    def do_GET(self) -> None:
        if self.path == "/strict":
            self._answer(MISSING_ALT, {"Content-Security-Policy": STRICT_CSP})
        elif self.path == "/set-cookie":
            cookie = "__Host-t=1; Path=/; Secure; HttpOnly; SameSite=Lax"
            self._answer("<p>set</p>", {"Set-Cookie": cookie})
        elif self.path == "/cookies":
            self._answer(self.headers.get("Cookie", ""), {"Content-Type": "text/plain"})
        else:
            self.send_error(404)

    def _answer(self, body: str, headers: dict[str, str]) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", headers.pop("Content-Type", "text/html; charset=utf-8"))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_live_server_answers_the_browser(page: Page, live_server: str) -> None:
    response = page.goto("/healthz")

    assert response is not None
    assert response.status == 200
    assert page.url == f"{live_server}/healthz"
    assert '{"status":"ok"}' in page.locator("body").inner_text()


def test_live_api_makes_data_over_http(live_api: LiveApi) -> None:
    tenant = live_api.create_tenant("Harness Ltd")

    organisation = live_api.call("GET", "/v1/organisation", tenant)

    assert organisation["name"] == "Harness Ltd"
    live_api.call("GET", "/v1/organisation", expect=401)


def test_the_accessibility_check_fails_on_a_violation_and_passes_once_fixed(blank_page: Page) -> None:
    blank_page.set_content(MISSING_ALT)

    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(blank_page)

    message = str(failure.value)
    assert "image-alt (critical)" in message
    assert "at img" in message
    blank_page.set_content(WITH_ALT)
    assert_accessible(blank_page)


def test_the_accessibility_check_runs_under_a_strict_csp(blank_page: Page, site: str) -> None:
    blank_page.goto(f"{site}/strict")

    # A script tag (what add_script_tag inserts) is refused by script-src 'self' ...
    with pytest.raises(PlaywrightError, match=r"Content Security Policy"):
        blank_page.add_script_tag(content="window.injected = true")
    assert blank_page.evaluate("() => window.injected") is None
    # ... while axe, injected through the DevTools protocol, runs and finds the missing alt text.
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        assert_accessible(blank_page)


def test_chromium_keeps_a_secure_host_cookie_from_plain_http_on_loopback(blank_page: Page, site: str) -> None:
    """The sign-in form's ``__Host-`` CSRF cookie works in browser tests served over http://127.0.0.1."""
    blank_page.goto(f"{site}/set-cookie")
    blank_page.goto(f"{site}/cookies")

    assert blank_page.locator("body").inner_text() == "__Host-t=1"


def test_screenshots_are_written_only_when_asked_for(
    blank_page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "SCREENSHOTS", tmp_path)
    blank_page.set_content(WITH_ALT)

    monkeypatch.delenv("ROLECALL_SCREENSHOTS", raising=False)
    assert screenshot(blank_page, "skipped") is None
    monkeypatch.setenv("ROLECALL_SCREENSHOTS", "1")
    saved = screenshot(blank_page, "taken")

    assert saved == tmp_path / "taken.png"
    assert saved.read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "skipped.png").exists()
