"""Helpers for page tests over HTTP: a browser-like client (cookies, https) and signing in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from tests.factories import PASSWORD, Tenant, create_user

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
    account = await pages.get("/app/account")
    assert account.status_code == 200, account.text
    return csrf_of(account.text)


async def create_staff(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> tuple[str, str]:
    """Create a staff user through the API; returns (user id, e-mail) for signing in on the pages."""
    user_id, _token = await create_user(client, tenant, *roles)
    response = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    email: str = response.json()["email"]
    return user_id, email


@contextmanager
def counted_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs, to prove a page makes no N+1."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
