"""A webhook URL is checked when it is saved and again when a delivery is made, so a name that
resolves elsewhere in between is refused. (The guard itself, shared with single sign-on, is tested
in tests/platform/test_outbound.py.)"""

from __future__ import annotations

import httpx
import pytest

from rolecall.webhooks import ssrf
from tests.webhooks.support import FakeResolver


async def test_the_delivery_goes_to_the_address_that_was_checked_with_the_host_name_kept() -> None:
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"]})
    policy = ssrf.outbound_policy(resolver=resolver)
    async with httpx.AsyncClient() as client:
        request = await ssrf.pinned_request(
            client, "https://hooks.example.com:8443/in?x=1", policy, content=b"{}", headers={}
        )
    assert request.method == "POST"
    assert request.content == b"{}"
    assert request.url.host == "93.184.215.14"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


async def test_a_rebound_name_is_refused_at_call_time() -> None:
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"]})
    policy = ssrf.outbound_policy(resolver=resolver)
    await ssrf.check("https://hooks.example.com/in", policy)
    resolver.answers["hooks.example.com"] = ["169.254.169.254"]
    async with httpx.AsyncClient() as client:
        with pytest.raises(ssrf.TargetRefused):
            await ssrf.pinned_request(
                client, "https://hooks.example.com/in", policy, content=b"{}", headers={}
            )
