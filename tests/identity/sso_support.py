"""A real OpenID Connect provider in the test process, and the browser steps of a single sign-on.

The provider is ``oidc-provider-mock`` (a Flask app on authlib) served by werkzeug on 127.0.0.1 in a
thread: Rolecall reaches it over a real socket with httpx, exactly as it reaches Okta or Keycloak.
It accepts any client id and secret, signs ID tokens with RS256, and issues a code for whichever
subject the test "types" into its authorisation form.

``Provider.tamper`` re-signs the next ID tokens with the provider's own key after changing claims,
which is how a token for another audience is produced: a provider only issues one when something
upstream is wrong, so the test plays that part, but the signature stays genuine.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import flask
import httpx
import jwt
import oidc_provider_mock
import werkzeug.serving
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.web.support import csrf_of

CLIENT_ID = "rolecall-test-client"
CLIENT_SECRET = "provider-secret-7f3a9c2e1b"
_START = re.compile(r'href="(/app/login/sso\?[^"]+)"')


class Provider:
    def __init__(self) -> None:
        self.app = oidc_provider_mock.app(require_nonce=True)
        self.tamper: dict[str, Any] = {}
        self.foreign_key = False  # sign the tampered tokens with a key the provider never published
        self.app.after_request(self._tamper)
        self.server = werkzeug.serving.make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _tamper(self, response: flask.Response) -> flask.Response:
        if (
            not (self.tamper or self.foreign_key)
            or flask.request.path != "/oauth2/token"
            or response.status_code != 200
        ):
            return response
        body = json.loads(response.get_data())
        header = jwt.get_unverified_header(body["id_token"])
        claims = jwt.decode(body["id_token"], options={"verify_signature": False})
        claims.update(self.tamper)
        key: Any = flask.g.oidc_provider_mock_storage.jwk.as_pem(is_private=True)
        if self.foreign_key:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        extra = {"kid": header["kid"]} if "kid" in header else None
        body["id_token"] = jwt.encode(claims, key, algorithm="RS256", headers=extra)
        response.set_data(json.dumps(body))
        return response

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        response = httpx.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims)
        assert response.status_code == 204, response.text


def run_provider() -> Iterator[Provider]:
    provider = Provider()
    provider.thread.start()
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.thread.join(5)
        provider.server.server_close()


def connection_body(provider: Provider, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "domains": ["acme.example.com"],
        "mode": "jit",
        "default_role": "recruiter",
        "enabled": True,
    }
    body.update(overrides)
    return body


def with_query(url: str, **changes: str) -> str:
    """The URL with some query parameters replaced (a tampered request or callback)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


async def route_at_sign_in(pages: httpx.AsyncClient, email: str, next_path: str = "/app") -> str:
    """Type the address into the sign-in page; returns the start URL the page moves on to."""
    form = await pages.get("/app/login")
    routed = await pages.post(
        "/app/login",
        data={"email": email, "password": "", "csrf_token": csrf_of(form.text), "next": next_path},
    )
    assert routed.status_code == 200, routed.text
    found = _START.search(routed.text)
    assert found, routed.text
    return html.unescape(found.group(1))


async def authorise(pages: httpx.AsyncClient, start: str, sub: str, **request_changes: str) -> str:
    """Open the start URL, let the provider authorise ``sub``; returns Rolecall's callback path."""
    started = await pages.get(start)
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    if request_changes:
        location = with_query(location, **request_changes)
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(location, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["location"])
    assert callback.netloc == "rolecall.test", callback
    assert callback.path == "/app/login/sso/callback", callback
    return f"{callback.path}?{callback.query}"


async def sso_sign_in(
    pages: httpx.AsyncClient, provider: Provider, email: str, claims: dict[str, Any], **request_changes: str
) -> httpx.Response:
    """The whole browser round trip, from the sign-in page to Rolecall's answer to the callback."""
    provider.set_user(email, {"email": email, **claims})
    start = await route_at_sign_in(pages, email, "/app/account")
    callback = await authorise(pages, start, email, **request_changes)
    return await pages.get(callback)


def refusal_reason(response: httpx.Response) -> str:
    found = re.search(r"Reference: <code>([a-z_]+)</code>", response.text)
    assert found, response.text
    return found.group(1)
