"""Calls to other hiring systems and assessment vendors, refused when they point inside our network.

A vendor's base URL and a partner's callback URL are typed in by people outside our control, so
every outbound call here is a possible server-side request forgery. The guard is the platform's,
shared with webhooks and single sign-on (:mod:`rolecall.platform.outbound`: public addresses only
unless allow-listed, with IPv4-mapped, NAT64 and 6to4 forms and cloud metadata addresses refused;
no user name, password or fragment; the connection goes to the address that was checked, with the
host name kept for ``Host`` and TLS, so a second DNS answer cannot swap in an inside address).
What assessments add:

* ``https`` only; plain ``http`` only for hosts on ``ROLECALL_ASSESSMENT_PARTNER_ALLOWED_HOSTS``
  (intranet set-ups and tests), checked without DNS when a URL is saved (:func:`check_url`);
* no redirects followed, a timeout on every call and a cap on how much of an answer is read;
* a host name that does not resolve is a failure of the call (:class:`OutboundFailed`, retried like
  a timeout), not a refusal: DNS can be down for a moment.

Nothing here holds a database transaction: callers read what they need, close their transaction,
call out, and write the outcome in a new one. On SQLite every transaction holds the database's only
write lock, and a slow partner must not stall every other writer for the length of a network call.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from rolecall.platform import outbound as guard
from rolecall.platform.outbound import Outbound, OutboundRefused, outbound_policy

__all__ = [
    "MAX_RESPONSE_BYTES",
    "Outbound",
    "OutboundFailed",
    "OutboundRefused",
    "call",
    "check_url",
    "outbound_policy",
]

MAX_RESPONSE_BYTES = 1_000_000


class OutboundFailed(Exception):
    """The call was made and failed: network error, timeout, an error status or an unreadable body."""


def _allowed(target: guard.Target, policy: Outbound) -> bool:
    if policy.name_allowed(target.host):
        return True
    return target.literal is not None and policy.address_allowed(target.literal)


def check_url(url: str, policy: Outbound) -> tuple[str, int | None]:
    """The checks that need no DNS, for a URL being saved: returns its host and explicit port, or
    raises :class:`OutboundRefused`. Its addresses are checked when it is called."""
    target = guard.parse(url)
    allowed = _allowed(target, policy)
    if target.scheme != "https" and not allowed:
        raise OutboundRefused("the URL must use https")
    if target.literal is not None and not allowed and not guard.is_public(target.literal):
        raise OutboundRefused("the URL points at a private, loopback or reserved address")
    return target.host, urlsplit(target.url).port


async def call(
    policy: Outbound,
    method: str,
    url: str,
    *,
    api_key: str | None = None,
    params: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    parse: bool = True,
) -> Any:
    """Make one call and return its parsed JSON body (``None`` for an empty body, or when ``parse``
    is off: a call whose answer is only its status code).

    ``api_key`` is sent as HTTP Basic with the key as user name and an empty password, as the
    assessment partner contract has it.
    """
    check_url(url, policy)
    headers = {"Accept": "application/json", "User-Agent": "Rolecall assessment partner"}
    if api_key is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode("ascii")
    content = None
    if body is not None:
        content = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    target = str(httpx.URL(url, params=params)) if params else url
    try:
        async with httpx.AsyncClient(
            transport=policy.transport, timeout=policy.timeout_seconds, follow_redirects=False
        ) as client:
            request = await guard.pinned_request(
                client, method, target, policy, headers=headers, content=content
            )
            response = await client.send(request, stream=True)
            try:
                answer = await _read_capped(response, MAX_RESPONSE_BYTES)
            finally:
                await response.aclose()
    except guard.Unresolvable as exc:
        raise OutboundFailed("the host name did not resolve") from exc
    except httpx.HTTPError as exc:
        raise OutboundFailed(f"the call failed ({type(exc).__name__})") from exc
    if not 200 <= response.status_code < 300:
        raise OutboundFailed(f"the partner answered {response.status_code}")
    if not parse or not answer.strip():
        return None
    try:
        return json.loads(answer)
    except ValueError as exc:
        raise OutboundFailed("the partner's answer is not JSON") from exc


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise OutboundFailed("the partner's answer is too large")
        chunks.append(chunk)
    return b"".join(chunks)
