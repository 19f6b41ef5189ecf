"""Browser tests: the real app under uvicorn, driven by Debian's Chromium through Playwright.

Import the fixtures into a ``conftest.py`` (``tests/web/conftest.py`` does). A browser test is a
plain ``def`` test (never ``async def``) that asks for ``page``::

    def test_home(page: Page, live_api: LiveApi) -> None:
        tenant = live_api.create_tenant()
        page.goto("/")
        assert_accessible(page)
        screenshot(page, "home")

- ``live_settings``: the test's ``settings`` (so SQLite and PostgreSQL both), with the embedded
  worker on and the board index following every 0.2 s, as in production.
- ``live_server``: the base URL (``http://127.0.0.1:<port>``) of ``create_app(live_settings)`` under
  uvicorn in a thread with its own event loop. Tests cannot share that loop or the app's
  sessionmaker, so they make their data over HTTP: ``live_api`` (a sync ``httpx.Client``).
- ``browser``: one headless Chromium per test process (``/usr/bin/chromium``, never a downloaded
  build). Missing, it skips the browser tests, except in CI (``CI=true``), where it is an error.
- ``page``: a fresh browser context and page per test, opened on ``live_server``'s base URL;
  ``blank_page`` the same without a server or database (for ``set_content``).
- ``assert_accessible(page)``: axe-core's WCAG 2.2 AA rules on the current page; fails listing every
  violation. ``screenshot(page, name)``: ``docs/screenshots/<name>.png`` when ROLECALL_SCREENSHOTS=1.

Playwright's sync API runs its own event loop in a greenlet on the test's thread and marks that loop
as running between calls, which makes anyio refuse to run the async fixtures (``db_url``) and the
async tests that follow in the same process. The fixtures here therefore mark it running only while
they use Playwright (``playwright_turn``), and ``pytest_pyfunc_call`` does the same around the body of
each sync test: outside those, no event loop is marked running on the test thread. A fixture of
your own that calls Playwright must do so inside ``with playwright_turn():`` (a call outside one
finds no running loop and closes the Playwright connection for the rest of the process).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Coroutine, Generator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.identity import service as identity
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from tests.factories import PASSWORD, Tenant

__all__ = [
    "AXE_TAGS",
    "CHROMIUM",
    "LiveApi",
    "assert_accessible",
    "blank_page",
    "browser",
    "live_api",
    "live_server",
    "live_settings",
    "page",
    "playwright_turn",
    "pytest_pyfunc_call",
    "screenshot",
]

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
STARTUP_SECONDS = 30.0
SHUTDOWN_SECONDS = 15.0

# The event loop of this process's Playwright, once ``browser`` has started it.
_playwright_loop: asyncio.AbstractEventLoop | None = None


@contextmanager
def playwright_turn() -> Iterator[None]:
    """Use the sync Playwright API inside this block (the fixtures and each test body already do)."""
    if _playwright_loop is None or _playwright_loop.is_closed():
        yield
        return
    asyncio._set_running_loop(_playwright_loop)  # what the Playwright dispatcher expects on resuming
    try:
        yield
    finally:
        asyncio._set_running_loop(None)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """Run each sync test body with Playwright's loop marked running (see the module docstring)."""
    if asyncio.iscoroutinefunction(pyfuncitem.obj):
        return (yield)
    with playwright_turn():
        return (yield)


# --- The live server -------------------------------------------------------------------------------


@pytest.fixture
def live_settings(settings: Settings, anyio_backend: str) -> Settings:
    """``settings`` with events delivered and the board index synced in the background.

    ``anyio_backend`` is asked for so that anyio runs the async ``db_url`` fixture for these sync tests.
    """
    return settings.model_copy(
        update={"embedded_worker": True, "search_sync_seconds": 0.2, "public_base_url": None}
    )


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own signal handlers
        pass


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[str]:
    """The real app on 127.0.0.1 and a free port; yields its base URL, without a trailing slash."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(live_settings),
        lifespan="on",
        loop="asyncio",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = _ThreadedServer(config)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as error:  # reported by the fixture, not lost in the thread
            failure.append(error)

    thread = threading.Thread(target=serve, name=f"live-server-{port}", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread, failure)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_SECONDS)
        if thread.is_alive():
            server.force_exit = True
            thread.join(SHUTDOWN_SECONDS)
        sock.close()
    assert not thread.is_alive(), "the live server did not shut down"
    assert not failure, f"the live server failed: {failure[0]!r}"


def _wait_until_healthy(base_url: str, thread: threading.Thread, failure: list[BaseException]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=base_url, timeout=2) as http:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError(f"the live server stopped while starting: {failure or 'see the log'}")
            try:
                if http.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"the live server at {base_url} did not answer /healthz in {STARTUP_SECONDS:.0f} s")


# --- Data over HTTP --------------------------------------------------------------------------------


def _run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a new event loop in a thread of its own (never the live server's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class LiveApi:
    """Test data for browser journeys, made through the live server's public API.

    ``http`` is a sync ``httpx.Client`` on the live server. Only an organisation, which the API cannot
    create, is made through the identity service, on a connection of its own.
    """

    http: httpx.Client
    settings: Settings

    def create_tenant(self, name: str = "Example Ltd") -> Tenant:
        email = f"admin-{uuid.uuid4().hex[:8]}@example.test"

        async def create() -> identity.NewOrganisation:
            engine = create_engine(self.settings.database_url)
            try:
                async with transaction(create_sessionmaker(engine)) as session:
                    return await identity.create_organisation(
                        session, name=name, admin_email=email, admin_password=PASSWORD
                    )
            finally:
                await engine.dispose()

        created = _run_apart(create())
        tokens = self.login(email)
        return Tenant(
            created.organisation.id, created.admin.id, email, tokens["access_token"], tokens["refresh_token"]
        )

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.http.post(
            "/v1/oauth/token", data={"grant_type": "password", "username": email, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict[str, str] = response.json()
        return body

    def call(
        self,
        method: str,
        path: str,
        tenant: Tenant | None = None,
        *,
        expect: int | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One API call as the tenant's administrator; the JSON body (None when empty).

        ``expect`` defaults to 201 for POST and 200 otherwise; a different status fails the test.
        """
        sent = {**(tenant.headers if tenant else {}), **(headers or {})}
        response = self.http.request(method, path, headers=sent, **kwargs)
        wanted = expect if expect is not None else (201 if method.upper() == "POST" else 200)
        assert response.status_code == wanted, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


@pytest.fixture
def live_api(live_server: str, live_settings: Settings) -> Iterator[LiveApi]:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        yield LiveApi(http, live_settings)


# --- The browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole test process."""
    global _playwright_loop
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs Chromium at {CHROMIUM} (apt-get install chromium); it is not installed")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    playwright: Playwright = sync_playwright().start()
    _playwright_loop = asyncio.get_running_loop()
    asyncio._set_running_loop(None)
    try:
        with playwright_turn():
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        try:
            yield launched
        finally:
            with playwright_turn():
                launched.close()
    finally:
        # Stopping runs the loop to its end; a dispatcher that already died (the driver went away)
        # must not find the loop marked running.
        if not playwright._dispatcher_fiber.dead:
            asyncio._set_running_loop(_playwright_loop)
        try:
            playwright.stop()
        finally:
            asyncio._set_running_loop(None)
            _playwright_loop = None


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A new context (its own cookies and storage) and page, with relative URLs on the live server."""
    with playwright_turn():
        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-GB"
        )
        opened = context.new_page()
    try:
        yield opened
    finally:
        with playwright_turn():
            context.close()


@pytest.fixture
def blank_page(browser: Browser) -> Iterator[Page]:
    """A page with no server and no database behind it, for ``set_content`` and other sites."""
    with playwright_turn():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        opened = context.new_page()
    try:
        yield opened
    finally:
        with playwright_turn():
            context.close()


# --- Checks ----------------------------------------------------------------------------------------

_AXE_SCRIPT = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
_RUN_AXE = """([context, options]) => window.axe.run(context === null ? document : context, options)
  .then((results) => results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map((node) => node.target.map(String).join(' ')),
  })))"""


def assert_accessible(page: Page, *, context: str | list[Any] | dict[str, Any] | None = None) -> None:
    """Fail when axe-core finds any WCAG 2.0/2.1/2.2 A or AA violation on the current page.

    ``context`` is axe's: a selector, or ``{"include": [...], "exclude": [...]}``; None checks the page.
    axe is injected with ``page.evaluate`` (the DevTools protocol, which a page's CSP does not govern),
    not a script tag, which ``script-src 'self'`` would block.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, [context, options])
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
        for violation in violations:
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"
            )
            lines.extend(f"    at {target}" for target in violation["targets"])
        pytest.fail("\n".join(lines), pytrace=False)


def screenshot(page: Page, name: str) -> Path | None:
    """Save a full-page PNG to docs/screenshots/<name>.png, only when ROLECALL_SCREENSHOTS=1."""
    if os.environ.get("ROLECALL_SCREENSHOTS") != "1":
        return None
    target = SCREENSHOTS / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target
