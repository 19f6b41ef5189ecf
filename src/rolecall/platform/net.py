"""Client address resolution (for throttling and audit), honouring proxies only when told to."""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.client.host if request.client else "unknown"
