"""Which address throttling and audit see: the peer, or with a trusted proxy what that proxy saw."""

from __future__ import annotations

from starlette.requests import Request

from rolecall.platform.net import client_address


def request(forwarded: list[str], peer: tuple[str, int] | None = ("10.0.0.2", 4000)) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": peer})


def test_forwarded_for_is_ignored_unless_trusted() -> None:
    assert client_address(request(["198.51.100.7"]), trust_forwarded_for=False) == "10.0.0.2"
    assert client_address(request([], peer=None), trust_forwarded_for=False) == "unknown"


def test_a_trusted_proxy_contributes_only_the_last_hop() -> None:
    # The client sent "1.2.3.4" itself; our proxy appended the address it actually saw.
    assert client_address(request(["1.2.3.4, 198.51.100.7"]), trust_forwarded_for=True) == "198.51.100.7"
    assert client_address(request(["1.2.3.4", "198.51.100.7"]), trust_forwarded_for=True) == "198.51.100.7"
    assert client_address(request(["2001:db8::1"]), trust_forwarded_for=True) == "2001:db8::1"


def test_a_missing_or_garbled_forwarded_for_falls_back_to_the_peer() -> None:
    for forwarded in ([], [""], [" , "], ["not-an-address"], ["1.2.3.4, <script>"]):
        assert client_address(request(forwarded), trust_forwarded_for=True) == "10.0.0.2", forwarded
