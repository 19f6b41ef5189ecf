"""Calls to an organisation's identity provider that cannot be turned against our own network.

The issuer URL is typed in by a customer's administrator, and the discovery document it serves names
the token and key endpoints, so every call Rolecall makes for single sign-on is a possible server-side
request forgery. The rules, the same as for webhooks (whose guard this context may not import):

* ``https`` only; plain ``http`` only for hosts on ``ROLECALL_SSO_ALLOWED_HOSTS`` (host names and
  CIDR blocks, for an on-premise provider and for tests);
* no user name, password or fragment in the URL; redirects are never followed;
* every address the host resolves to must be public (not private, loopback, link-local, reserved,
  multicast, unspecified or a cloud metadata address, IPv4-mapped and NAT64 forms included), unless
  the host name or the address is allow-listed;
* the connection goes to the address that was checked, with the host name kept for ``Host`` and TLS,
  so a DNS answer that changes between the check and the call (rebinding) cannot swap in an inside
  address;
* answers are read up to a size limit, within a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH = 2000
MAX_ANSWER_BYTES = 512 * 1024  # discovery documents and key sets are a few KB
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The URL may not be called, or the call failed; the message is safe to show an administrator."""


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


@dataclass(frozen=True)
class Outbound:
    """How single sign-on calls out. ``resolver`` exists for tests that need a fake DNS."""

    allowed_names: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()
    timeout_seconds: float = 10.0
    resolver: Resolver = field(default=_system_resolver, compare=False)


def outbound_policy(allowed: Iterable[str] = (), **kwargs: Any) -> Outbound:
    """An :class:`Outbound` from ``ROLECALL_SSO_ALLOWED_HOSTS``: CIDR blocks, addresses, host names."""
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in (e.strip().lower().rstrip(".") for e in allowed):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)
    return Outbound(allowed_names=frozenset(names), allowed_networks=tuple(networks), **kwargs)


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return _is_public(embedded)
    if address in _METADATA:
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    literal: IPAddress | None


def _parse(url: str) -> _Target:
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused("the URL is too long")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("the URL must be an https URL")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise OutboundRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("the URL must not carry a user name or password")
    if parts.fragment:
        raise OutboundRefused("the URL must not have a fragment")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise OutboundRefused("the URL has an invalid port") from exc
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    return _Target(url, parts.scheme, host, port, literal)


async def _address(target: _Target, policy: Outbound) -> IPAddress | None:
    """The one address to connect to, checked; ``None`` for an allow-listed host name."""
    if target.host in policy.allowed_names:
        return None
    if target.literal is not None:
        addresses = [target.literal]
    else:
        try:
            answers = await policy.resolver(target.host, target.port)
            addresses = [ipaddress.ip_address(answer) for answer in answers]
        except (OSError, ValueError) as exc:
            raise OutboundRefused("the host name does not resolve") from exc
        if not addresses:
            raise OutboundRefused("the host name does not resolve")
    inside = [a for a in addresses if any(a in network for network in policy.allowed_networks)]
    if len(inside) != len(addresses) and not all(_is_public(a) for a in addresses):
        raise OutboundRefused("the URL points at a private, loopback, link-local or reserved address")
    if target.scheme != "https" and len(inside) != len(addresses):
        raise OutboundRefused("the URL must use https")
    return addresses[0]


async def check(url: str, policy: Outbound) -> None:
    """Refuse a URL that may not be called (static rules, then its addresses)."""
    await _address(_parse(url), policy)


async def _send(
    policy: Outbound,
    method: str,
    url: str,
    *,
    data: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> httpx.Response:
    target = _parse(url)
    address = await _address(target, policy)
    request_url = httpx.URL(target.url)
    headers = {"Accept": "application/json"}
    if auth is not None:
        pair = f"{auth[0]}:{auth[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    extensions: dict[str, Any] = {}
    if address is not None and target.literal is None:
        headers["Host"] = request_url.netloc.decode("ascii")
        request_url = request_url.copy_with(host=str(address))
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
    async with httpx.AsyncClient(timeout=policy.timeout_seconds, follow_redirects=False) as client:
        request = client.build_request(method, request_url, data=data, headers=headers, extensions=extensions)
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
