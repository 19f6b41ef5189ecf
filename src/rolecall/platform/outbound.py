"""Outbound calls to URLs typed in by customers, refused when they could reach inside our network.

A webhook target, a single sign-on issuer (and the endpoints its discovery document names), an
assessment vendor's base URL and a partner's callback URL are chosen by people outside our control,
so every call Rolecall makes to them is a possible server-side request forgery. This is the one
guard those contexts build on; each adds its own rules on top (``rolecall.webhooks.ssrf``,
``rolecall.identity.sso_outbound``, ``rolecall.assessments.outbound``). The rules:

* ``http`` or ``https`` only, and plain ``http`` only for targets on the caller's allow-list (host
  names and CIDR blocks, for on-premise receivers and providers, and for tests);
* no user name or password in the URL, no fragment; the guard builds requests for a client that
  follows no redirects (a redirect would skip the address check);
* every address the host resolves to must be a public one: not private, loopback, link-local,
  carrier-grade NAT, multicast, reserved, unspecified, nor a cloud metadata address, for IPv4 and
  IPv6 alike, IPv4-mapped, NAT64 and 6to4 forms included (an address inside an allow-listed block,
  or any address of an allow-listed host name, passes);
* at call time the host is resolved once more, the answer checked again, and the connection made
  to that exact address, the host name kept for the ``Host`` header and TLS (SNI and certificate
  check): a DNS answer that changed since the URL was saved (rebinding) cannot swap in an inside
  address.

The resolver is injectable so that tests resolve names without a DNS server.
"""

from __future__ import annotations

import asyncio
import ipaddress
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
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_6TO4 = ipaddress.ip_network("2002::/16")


class OutboundRefused(Exception):
    """The URL may not be called, or the call failed; the message is safe to show to an administrator."""


class Unresolvable(OutboundRefused):
    """The host name did not resolve. A refusal like the others for a URL being saved, but a caller
    retrying a call later may treat it as a passing failure (DNS can be down for a moment)."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


@dataclass(frozen=True)
class Outbound:
    """How a context calls out. ``transport`` and ``resolver`` exist for tests."""

    allowed_names: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()
    timeout_seconds: float = 10.0
    resolver: Resolver = field(default=system_resolver, compare=False)
    transport: httpx.AsyncBaseTransport | None = field(default=None, compare=False)

    def name_allowed(self, host: str) -> bool:
        return host in self.allowed_names

    def address_allowed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed_networks)


def outbound_policy(allowed: Iterable[str] = (), **kwargs: Any) -> Outbound:
    """An :class:`Outbound` from an allow-list setting: each entry a CIDR block, an address or a host name."""
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


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (and not a metadata service)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: IPAddress | None = address.ipv4_mapped
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address in _6TO4:
            embedded = address.sixtofour
        if embedded is not None:
            return is_public(embedded)
    if address in METADATA_ADDRESSES:
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    literal: IPAddress | None


def parse(url: str) -> Target:
    """The checks that need no DNS: length, scheme, credentials, fragment, port."""
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused("the URL is too long")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("the URL must be an http(s) URL")
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
    return Target(url.strip(), parts.scheme, host, port, literal)


async def resolve(target: Target, policy: Outbound) -> IPAddress | None:
    """The one address a call goes to, checked; ``None`` for an allow-listed host name (the
    operator vouched for whatever it resolves to, so the normal connection is made)."""
    if policy.name_allowed(target.host):
        return None
    if target.literal is not None:
        addresses: list[IPAddress] = [target.literal]
    else:
        try:
            answers = await policy.resolver(target.host, target.port)
        except (OSError, ValueError) as exc:
            # ValueError: the IDNA codec refuses some names (an empty or over-long label) with a
            # UnicodeError before any lookup is made; such a name resolves to nothing we can call.
            raise Unresolvable("the host name does not resolve") from exc
        addresses = []
        for answer in answers:
            try:
                addresses.append(ipaddress.ip_address(answer))
            except ValueError as exc:
                raise OutboundRefused("the host name resolves to something that is not an address") from exc
        if not addresses:
            raise Unresolvable("the host name does not resolve")
    inside = [a for a in addresses if policy.address_allowed(a)]
    if len(inside) != len(addresses) and not all(is_public(a) for a in addresses):
        raise OutboundRefused("the URL points at a private, loopback, link-local or reserved address")
    if target.scheme != "https" and len(inside) != len(addresses):
        raise OutboundRefused("the URL must use https")
    return addresses[0]


async def check(url: str, policy: Outbound) -> str:
    """Validate a URL before it is saved or called (static rules, then its addresses); returns it
    stripped."""
    target = parse(url)
    await resolve(target, policy)
    return target.url


async def pinned_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    policy: Outbound,
    *,
    headers: dict[str, str],
    content: bytes | None = None,
    data: dict[str, str] | None = None,
) -> httpx.Request:
    """A request to ``url`` that connects to the address checked just now, not to a second DNS
    answer. Send it with a client that does not follow redirects."""
    target = parse(url)
    address = await resolve(target, policy)
    request_url = httpx.URL(target.url)
    extensions: dict[str, Any] = {}
    if address is not None and target.literal is None:
        headers = {**headers, "Host": request_url.netloc.decode("ascii")}
        request_url = request_url.copy_with(host=str(address))
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
    return client.build_request(
        method, request_url, content=content, data=data, headers=headers, extensions=extensions
    )
