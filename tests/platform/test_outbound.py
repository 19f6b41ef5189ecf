"""Outbound URLs cannot point inside the network, whatever form the address takes, and the call goes
to the address that was checked."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from rolecall.platform import outbound

INSIDE = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "169.254.10.10",
    "100.64.0.1",  # carrier-grade NAT
    "100.100.100.200",  # Alibaba metadata
    "0.0.0.0",  # noqa: S104 - the unspecified address, as a target
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
]
OUTSIDE = ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.215.14"]


class FakeResolver:
    """Answers from a table (host -> addresses); an unknown name does not resolve."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    async def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.answers:
            raise OSError(f"{host} does not resolve")
        return list(self.answers[host])


@pytest.mark.parametrize("address", INSIDE)
def test_inside_addresses_are_not_public(address: str) -> None:
    assert not outbound.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", OUTSIDE)
def test_public_addresses_are(address: str) -> None:
    assert outbound.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "https://hooks.example.com/x#frag",
        "https:///nohost",
        "https://hooks.example.com:99999/x",
        "http://hooks.example.com/x",  # plain http to a public host
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://[::ffff:10.0.0.1]/x",
        "https://169.254.169.254/latest/meta-data",
        "https://inside.example.com/x",  # resolves to a private address
        "https://mixed.example.com/x",  # one public, one private address
        "https://nowhere.example.com/x",  # does not resolve
        "https://" + "a" * 1990 + ".example.com/x",  # too long
    ],
)
async def test_refused_urls(url: str) -> None:
    resolver = FakeResolver(
        {
            "hooks.example.com": ["93.184.215.14"],
            "inside.example.com": ["10.0.0.7"],
            "mixed.example.com": ["93.184.215.14", "192.168.0.2"],
        }
    )
    with pytest.raises(outbound.OutboundRefused):
        await outbound.check(url, outbound.outbound_policy(resolver=resolver))


async def test_a_name_the_idna_codec_refuses_does_not_resolve() -> None:
    # The system resolver raises UnicodeError (a ValueError) for an over-long label, before any lookup.
    with pytest.raises(outbound.OutboundRefused, match="does not resolve"):
        await outbound.check("https://" + "a" * 64 + ".example.com/x", outbound.outbound_policy())


async def test_the_allow_list_takes_names_and_blocks_and_permits_plain_http() -> None:
    resolver = FakeResolver({"hr.corp.example": ["10.20.0.5"], "other.corp.example": ["10.30.0.5"]})
    policy = outbound.outbound_policy(["hr.corp.example", "10.30.0.0/16", " "], resolver=resolver)
    assert await outbound.check("http://hr.corp.example/in", policy) == "http://hr.corp.example/in"
    assert await outbound.check("http://other.corp.example/in", policy)
    assert await outbound.check("http://10.30.1.1:8080/in", policy)
    with pytest.raises(outbound.OutboundRefused):
        await outbound.check("http://10.31.0.1/in", policy)


async def test_the_call_goes_to_the_address_that_was_checked_with_the_host_name_kept() -> None:
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"]})
    policy = outbound.outbound_policy(resolver=resolver)
    async with httpx.AsyncClient() as client:
        request = await outbound.pinned_request(
            client, "POST", "https://hooks.example.com:8443/in?x=1", policy, content=b"{}", headers={}
        )
    assert request.method == "POST"
    assert request.url.host == "93.184.215.14"
    assert request.url.port == 8443
    assert request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


async def test_an_allow_listed_name_is_called_by_name() -> None:
    resolver = FakeResolver({"hr.corp.example": ["10.20.0.5"]})
    policy = outbound.outbound_policy(["hr.corp.example"], resolver=resolver)
    async with httpx.AsyncClient() as client:
        request = await outbound.pinned_request(
            client, "GET", "http://hr.corp.example/in", policy, headers={"Accept": "application/json"}
        )
    assert request.url.host == "hr.corp.example"
    assert "sni_hostname" not in request.extensions
