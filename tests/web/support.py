"""Helpers for page tests over HTTP: a browser-like client (cookies, https) and signing in."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_HX_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (hidden field or htmx header)."""
    found = _CSRF.search(html) or _HX_CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


async def sign_in(pages: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the sign-in page; returns the CSRF token for the staff pages' forms."""
    form = await pages.get("/app/login")
    response = await pages.post(
        "/app/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text), "next": "/app"},
    )
    assert response.status_code == 303, response.text
    landing = await pages.get(response.headers["location"], follow_redirects=True)
    assert landing.status_code == 200, landing.text
    return csrf_of(landing.text)
