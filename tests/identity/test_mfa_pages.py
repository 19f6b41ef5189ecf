"""The second factor on the pages: turning it on and off from the account, and the code step of sign-in."""

from __future__ import annotations

import re

import httpx

from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant, login
from tests.identity.mfa_support import code_at, enrol
from tests.web.support import create_staff, csrf_of, sign_in

_SECRET = re.compile(r"instead: <code>([A-Z2-7]+)</code>")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")
_RECOVERY = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


async def _password_step(
    pages: httpx.AsyncClient, email: str, next_path: str = "/app/account"
) -> httpx.Response:
    form = await pages.get("/app/login")
    return await pages.post(
        "/app/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": next_path},
    )


async def _require_mfa(client: httpx.AsyncClient, tenant: Tenant) -> None:
    current = await client.get("/v1/organisation", headers=tenant.headers)
    changed = await client.patch(
        "/v1/organisation",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"require_mfa": True},
    )
    assert changed.status_code == 200, changed.text


async def test_turning_two_step_sign_in_on_and_off_from_the_account_page(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email = await create_staff(client, tenant, "recruiter")
    csrf = await sign_in(pages, email)
    account = await pages.get("/app/account")
    assert 'href="/app/account/mfa"' in account.text

    off = await pages.get("/app/account/mfa")
    assert off.status_code == 200
    assert "Set up two-step sign-in" in off.text
    started = await pages.post("/app/account/mfa/start", data={"csrf_token": csrf})
    assert started.status_code == 303
    pending = await pages.get("/app/account/mfa")
    assert "<svg" in pending.text
    assert not _INLINE_SCRIPT.search(pending.text)  # the CSP allows no inline script
    assert 'for="field-code"' in pending.text
    secret = _SECRET.search(pending.text)
    assert secret, pending.text
    # Reloading shows the same secret: the enrolment is pending, not restarted.
    assert secret.group(1) in (await pages.get("/app/account/mfa")).text

    wrong = await pages.post("/app/account/mfa/confirm", data={"csrf_token": csrf, "code": "000000"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.text
    confirmed = await pages.post(
        "/app/account/mfa/confirm", data={"csrf_token": csrf, "code": code_at(secret.group(1), clock)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    assert len(_RECOVERY.findall(confirmed.text)) == 10
    on = await pages.get("/app/account/mfa")
    assert "Two-step sign-in is <strong>on</strong>" in on.text
    assert "10 unused recovery codes" in on.text

    clock.advance(seconds=30)
    disabled = await pages.post(
        "/app/account/mfa/disable", data={"csrf_token": csrf, "code": code_at(secret.group(1), clock)}
    )
    assert disabled.status_code == 303
    assert "Two-step sign-in is <strong>off</strong>" in (await pages.get("/app/account/mfa")).text


async def test_the_sign_in_page_asks_for_a_code_after_the_password(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email = await create_staff(client, tenant, "recruiter")
    token = (await login(client, email))["access_token"]
    secret, _codes = await enrol(client, token, clock)

    password = await _password_step(pages, email)
    assert password.status_code == 303
    assert password.headers["location"] == "/app/login/mfa?next=/app/account"
    assert "__Host-rolecall-session" not in password.headers.get("set-cookie", "")
    assert (await pages.get("/app/account")).status_code == 303  # not signed in yet

    form = await pages.get(password.headers["location"])
    assert form.status_code == 200
    assert 'autocomplete="one-time-code"' in form.text
    assert 'for="field-code"' in form.text
    data = {"csrf_token": csrf_of(form.text), "next": "/app/account"}
    wrong = await pages.post("/app/login/mfa", data={**data, "code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.text

    done = await pages.post("/app/login/mfa", data={**data, "code": code_at(secret, clock)})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/app/account"
    assert (await pages.get("/app/account")).status_code == 200

    # The token in the cookie was spent and removed: the code page sends people back to sign in.
    again = await pages.get("/app/login/mfa")
    assert again.status_code == 303
    assert again.headers["location"] == "/app/login"


async def test_a_required_enrolment_happens_on_the_sign_in_pages(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email = await create_staff(client, tenant, "hiring_manager")
    await _require_mfa(client, tenant)

    password = await _password_step(pages, email, "/app")
    assert password.status_code == 303
    assert password.headers["location"] == "/app/login/mfa/enrol?next=/app"
    page = await pages.get(password.headers["location"])
    assert page.status_code == 200
    assert "<svg" in page.text
    secret = _SECRET.search(page.text)
    assert secret, page.text
    assert secret.group(1) in (await pages.get("/app/login/mfa/enrol?next=/app")).text

    done = await pages.post(
        "/app/login/mfa",
        data={"csrf_token": csrf_of(page.text), "next": "/app", "code": code_at(secret.group(1), clock)},
    )
    assert done.status_code == 200, done.text
    assert len(_RECOVERY.findall(done.text)) == 10
    assert 'href="/app"' in done.text
    assert (await pages.get("/app/account")).status_code == 200

    # The next sign-in asks for a code, no longer for an enrolment.
    await pages.post("/app/logout", data={"csrf_token": csrf_of((await pages.get("/app/account")).text)})
    clock.advance(seconds=30)
    assert (await _password_step(pages, email)).headers["location"] == "/app/login/mfa?next=/app/account"
