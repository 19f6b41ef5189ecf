"""Calls to an organisation's identity provider that cannot be turned against our own network.

The issuer URL is typed in by a customer's administrator, and the discovery document it serves names
the token and key endpoints, so every call Rolecall makes for single sign-on is a possible server-side
request forgery. The guard is the platform's, shared with webhooks (:mod:`rolecall.platform.outbound`:
public addresses only unless the host name or address is allow-listed, IPv4-mapped, NAT64 and 6to4 forms
included; no user name, password or fragment; the connection goes to the address that was checked,
with the host name kept for ``Host`` and TLS, so DNS rebinding cannot swap in an inside address).
What single sign-on adds:

* ``https`` only; plain ``http`` only for hosts on ``ROLECALL_SSO_ALLOWED_HOSTS`` (host names and
  CIDR blocks, for an on-premise provider and for tests), and a URL of any other scheme is refused
  as "not an https URL";
* redirects are never followed;
* answers are read up to a size limit (discovery documents and key sets are a few KB, so a provider
  streaming without end cannot exhaust memory), within a timeout;
* the answers are JSON objects, read by :func:`get_json` and :func:`post_form`.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from rolecall.platform import outbound
from rolecall.platform.outbound import MAX_URL_LENGTH, Outbound, OutboundRefused, outbound_policy

__all__ = [
    "MAX_ANSWER_BYTES",
    "Outbound",
    "OutboundRefused",
    "check",
    "get_json",
    "outbound_policy",
    "post_form",
]

MAX_ANSWER_BYTES = 512 * 1024  # discovery documents and key sets are a few KB


def _https_only(url: str) -> None:
    """Single sign-on names the rule after https: a URL of another scheme is "not an https URL".
    (Plain http to an allow-listed host is let through by the platform guard.)"""
    if len(url) <= MAX_URL_LENGTH and urlsplit(url.strip()).scheme not in ("http", "https"):
        raise OutboundRefused("the URL must be an https URL")


async def check(url: str, policy: Outbound) -> None:
    """Refuse a URL that may not be called (static rules, then its addresses)."""
    _https_only(url)
    await outbound.check(url, policy)


async def _send(
    policy: Outbound,
    method: str,
    url: str,
    *,
    data: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> httpx.Response:
    _https_only(url)
    headers = {"Accept": "application/json"}
    if auth is not None:
        pair = f"{auth[0]}:{auth[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    async with httpx.AsyncClient(
        transport=policy.transport, timeout=policy.timeout_seconds, follow_redirects=False
    ) as client:
        request = await outbound.pinned_request(client, method, url, policy, headers=headers, data=data)
        try:
            response = await client.send(request, stream=True)
            try:
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise OutboundRefused("the identity provider's answer is too large")
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise OutboundRefused(
                f"the identity provider could not be reached ({type(exc).__name__})"
            ) from exc
    return httpx.Response(response.status_code, headers=response.headers, content=body)


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        value = json.loads(response.content)
    except ValueError as exc:
        raise OutboundRefused(f"the {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise OutboundRefused(f"the {what} is not a JSON object")
    return value


async def get_json(policy: Outbound, url: str, what: str) -> dict[str, Any]:
    """GET a JSON document (discovery, key set); anything but a 200 JSON object is refused."""
    response = await _send(policy, "GET", url)
    if response.status_code != 200:
        raise OutboundRefused(f"the {what} answered {response.status_code}")
    return _json_object(response, what)


async def post_form(
    policy: Outbound, url: str, data: dict[str, str], auth: tuple[str, str] | None
) -> tuple[int, dict[str, Any]]:
    """POST a form (the token request); returns the status and the JSON body, error bodies included."""
    response = await _send(policy, "POST", url, data=data, auth=auth)
    return response.status_code, _json_object(response, "token endpoint's answer")
