"""Single sign-on in Chromium: the sign-in page, the provider's own form, and back.

This is the check the HTTP tests cannot make: that a real browser follows the route from the
sign-in form to the provider under the pages' Content-Security-Policy (``form-action 'self'`` would
block a form post that redirects to another site), keeps the flow cookie across the provider's
redirect, and ends up signed in.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from rolecall.config import Settings
from tests.identity.sso_support import Provider, connection_body, run_provider
from tests.web.browser import LiveApi, assert_accessible, screenshot


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from run_provider()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sso_allowed_hosts": ("127.0.0.1",)})


def test_staff_sign_in_through_the_identity_provider(
    page: Page, live_api: LiveApi, live_server: str, live_settings: Settings, provider: Provider
) -> None:
    # The redirect URI follows the issuer, which `rolecall serve` sets to the address it listens on.
    live_settings.issuer = live_server
    tenant = live_api.create_tenant()
    created = live_api.call("PUT", "/v1/organisation/sso", tenant, json=connection_body(provider), expect=201)
    assert created["redirect_uri"] == f"{live_server}/app/login/sso/callback"
    address = "grace.hopper@acme.example.com"
    provider.set_user(address, {"email": address, "email_verified": True, "name": "Grace Hopper"})

    page.goto("/app/login?next=/app/account")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(address)
    page.get_by_role("button", name="Sign in").click()

    # The provider's own authorisation form (oidc-provider-mock's page).
    page.get_by_placeholder("sub").fill(address)
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    expect(page.get_by_text(address)).to_be_visible()
    assert page.url == f"{live_server}/app/account"


def test_a_refusal_is_a_readable_page(page: Page, live_server: str) -> None:
    page.goto("/app/login/sso?domain=nobody.example.com")
    expect(page.get_by_role("heading", name="Could not sign you in")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sso-refused")
