"""Outbound calls to partners and vendors: only public https targets, checked before any request."""

from __future__ import annotations

import httpx
import pytest

from rolecall.assessments import outbound


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=[])


@pytest.mark.parametrize(
    "url",
    [
        "http://partner.example.com/api",
        "ftp://partner.example.com/api",
        "https://user:secret@partner.example.com/api",
        "https://127.0.0.1/api",
        "https://10.0.0.8/api",
        "https://172.16.4.2/api",
        "https://192.168.1.1/api",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/api",
        "https://[::1]/api",
        "https://[fd00::1]/api",
        "https://[::ffff:127.0.0.1]/api",
        "https://[2002:7f00:1::]/api",  # 6to4 wrapping 127.0.0.1
        "https://[64:ff9b::a00:1]/api",  # NAT64 wrapping 10.0.0.1
        "https://0.0.0.0/api",
        "https:///api",
        "https://partner.example.com/api#fragment",
    ],
)
def test_outbound_refuses_targets_that_are_not_public_https(url: str) -> None:
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url(url, outbound.Outbound())


def test_the_allow_list_admits_its_hosts_over_http_and_nothing_else() -> None:
    rules = outbound.outbound_policy(["Vendor.Internal.", " "])
    assert outbound.check_url("http://vendor.internal:8080/api", rules) == ("vendor.internal", 8080)
    assert outbound.check_url("https://partner.example.com/api", rules) == ("partner.example.com", None)
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url("http://other.internal/api", rules)
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url("https://127.0.0.1/api", rules)


async def test_a_host_name_that_resolves_inside_is_refused_before_any_request() -> None:
    recorder = Recorder()
    rules = outbound.Outbound(transport=httpx.MockTransport(recorder))
    with pytest.raises(outbound.OutboundRefused):
        await outbound.call(rules, "GET", "https://localhost/api/list_tests", api_key="k")
    assert recorder.requests == []


async def test_an_error_status_an_oversized_or_a_non_json_answer_is_a_failure() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/error":
            return httpx.Response(500, json={"error": "x"})
        if path == "/big":
            return httpx.Response(200, content=b"[" + b"1," * 600_000 + b"1]")
        return httpx.Response(200, content=b"<html>")

    rules = outbound.outbound_policy(["vendor.test"], transport=httpx.MockTransport(answer))
    for path in ("/error", "/big", "/html"):
        with pytest.raises(outbound.OutboundFailed):
            await outbound.call(rules, "GET", f"http://vendor.test{path}")


async def test_a_host_that_does_not_resolve_is_a_failure_to_retry_not_a_refusal() -> None:
    async def no_answer(host: str, port: int) -> list[str]:
        raise OSError("temporary failure in name resolution")

    recorder = Recorder()
    rules = outbound.outbound_policy(resolver=no_answer, transport=httpx.MockTransport(recorder))
    with pytest.raises(outbound.OutboundFailed, match="did not resolve"):
        await outbound.call(rules, "GET", "https://vendor.example.com/api/list_tests")
    assert recorder.requests == []


async def test_a_call_goes_to_the_address_that_was_checked_with_the_host_name_kept() -> None:
    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    recorder = Recorder()
    rules = outbound.outbound_policy(resolver=public, transport=httpx.MockTransport(recorder))
    await outbound.call(
        rules, "GET", "https://vendor.example.com/api/list_tests", api_key="k", params={"a": "1"}
    )
    [request] = recorder.requests
    assert request.url.host == "93.184.215.14"
    assert request.url.params["a"] == "1"
    assert request.headers["host"] == "vendor.example.com"
    assert request.extensions["sni_hostname"] == "vendor.example.com"
    assert request.headers["authorization"] == "Basic azo="  # the key as user name, no password
