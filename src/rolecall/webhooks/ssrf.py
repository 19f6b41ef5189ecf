"""Webhook targets that cannot point inside our network, checked when saved and again per call.

A webhook URL is typed in by a customer's administrator, so every delivery is a possible
server-side request forgery. The guard itself (allowed schemes, no credentials or fragment, public
addresses only, the checked address pinned at connect time) is the platform's, shared with single
sign-on: see :mod:`rolecall.platform.outbound`. What is the webhooks' own:

* the allow-list is ``ROLECALL_WEBHOOK_ALLOWED_HOSTS`` (host names and CIDR blocks, for
  on-premise receivers and tests); its targets may be private and may use plain ``http``;
* a URL is checked when an endpoint is saved (:func:`check`, which returns it stripped for storing),
  and again on every delivery (:func:`pinned_request`): the host is resolved once more, the answer
  checked again and the connection made to that exact address, so a DNS answer that changed since
  the URL was saved (rebinding) cannot swap in an inside address;
* a delivery is a POST of the signed body, and the delivery client follows no redirects.
"""

from __future__ import annotations

import httpx

from rolecall.platform import outbound
from rolecall.platform.outbound import Outbound, check, is_public, outbound_policy

# The webhooks' name for a refusal; the platform's class, so callers may catch either.
TargetRefused = outbound.OutboundRefused

__all__ = ["Outbound", "TargetRefused", "check", "is_public", "outbound_policy", "pinned_request"]


async def pinned_request(
    client: httpx.AsyncClient, url: str, policy: Outbound, *, content: bytes, headers: dict[str, str]
) -> httpx.Request:
    """A delivery POST to ``url`` that connects to the address checked just now, not to a second DNS
    answer."""
    return await outbound.pinned_request(client, "POST", url, policy, headers=headers, content=content)
