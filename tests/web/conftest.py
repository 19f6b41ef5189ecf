"""Fixtures of the web tests: the browser harness (see tests/web/browser.py)."""

from __future__ import annotations

from tests.web.browser import (
    blank_page,
    browser,
    live_api,
    live_server,
    live_settings,
    page,
    pytest_pyfunc_call,
)

__all__ = ["blank_page", "browser", "live_api", "live_server", "live_settings", "page", "pytest_pyfunc_call"]
