"""Calls to other hiring systems and assessment vendors, refused when they point inside our network.

A vendor's base URL and a partner's callback URL are typed in by people outside our control, so
every outbound call here is a possible server-side request forgery. The rules:

* only ``https`` (plain ``http`` only for hosts on the allow-list, for intranet set-ups and tests);
* no user name or password in the URL, no redirects followed;
* the host is resolved first and refused if any of its addresses is not a public one (loopback,
  private ranges, link-local, carrier-grade NAT, multicast, reserved), unless the host is on the
  allow-list; the connection then goes to the address that was checked, with the host name kept
  for the ``Host`` header and TLS, so a second DNS answer cannot swap in an inside address;
* a timeout on every call and a cap on how much of a response is read.

Nothing here holds a database transaction: callers read what they need, close their transaction,
call out, and write the outcome in a new one. On SQLite every transaction holds the database's only
write lock, and a slow partner must not stall every other writer for the length of a network call.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_URL_LENGTH = 2000


class OutboundRefused(Exception):
    """The target is not one we may call (scheme, credentials in the URL, an inside address)."""


class OutboundFailed(Exception):
    """The call was made and failed: network error, timeout, an error status or an unreadable body."""


@dataclass(frozen=True)
class Outbound:
    """How this process calls out. ``transport`` exists for tests (an in-process app, no network)."""

    allowed_hosts: frozenset[str] = frozenset()
    timeout_seconds: float = 10.0
    max_response_bytes: int = 1_000_000
    transport: httpx.AsyncBaseTransport | None = field(default=None, compare=False)

    def allows(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allowed_hosts


def outbound_policy(allowed_hosts: tuple[str, ...] | list[str] = (), **kwargs: Any) -> Outbound:
    """An :class:`Outbound` from a settings value (host names, compared case-insensitively)."""
    hosts = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip())
    return Outbound(allowed_hosts=hosts, **kwargs)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_url(url: str, policy: Outbound) -> tuple[str, int | None]:
    """Static checks (no DNS): returns the host and port, or raises :class:`OutboundRefused`."""
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused("the URL is too long")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise OutboundRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("the URL must not carry a user name or password")
    if parts.fragment:
        raise OutboundRefused("the URL must not have a fragment")
    allowed = policy.allows(host)
    if parts.scheme != "https" and not (parts.scheme == "http" and allowed):
        raise OutboundRefused("the URL must use https")
    try:
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused("the URL has an invalid port") from exc
    if not allowed:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not _public(literal):
            raise OutboundRefused("the URL points at a private, loopback or reserved address")
    return host, port


async def _resolve(host: str, port: int) -> str:
    """The one address the call will use; refused if any address of the host is not public."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise OutboundFailed("the host name did not resolve") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise OutboundFailed("the host name did not resolve")
    if not all(_public(a) for a in addresses):
        raise OutboundRefused("the host resolves to a private, loopback or reserved address")
    return str(addresses[0])


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
    host, port = check_url(url, policy)
    target = httpx.URL(url)
    headers = {"Accept": "application/json", "User-Agent": "Rolecall assessment partner"}
    extensions: dict[str, Any] = {}
    if not policy.allows(host):
        address = await _resolve(host, port or (443 if target.scheme == "https" else 80))
        headers["Host"] = target.netloc.decode("ascii")
        target = target.copy_with(host=address)
        if target.scheme == "https":
            extensions["sni_hostname"] = host
    auth = httpx.BasicAuth(api_key, "") if api_key is not None else None
    try:
        async with httpx.AsyncClient(
            transport=policy.transport, timeout=policy.timeout_seconds, follow_redirects=False
        ) as client:
            request = client.build_request(
                method, target, params=params, json=body, headers=headers, extensions=extensions
            )
            response = await client.send(request, auth=auth, stream=True)
            try:
                content = await _read_capped(response, policy.max_response_bytes)
            finally:
                await response.aclose()
    except httpx.HTTPError as exc:
        raise OutboundFailed(f"the call failed ({type(exc).__name__})") from exc
    if not 200 <= response.status_code < 300:
        raise OutboundFailed(f"the partner answered {response.status_code}")
    if not parse or not content.strip():
        return None
    try:
        return json.loads(content)
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
