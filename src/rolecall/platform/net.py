"""Client address resolution (for throttling and audit), honouring proxies only when told to."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    """The caller's address; with ``trust_forwarded_for``, the one our reverse proxy saw.

    A proxy appends the address it received the connection from to ``X-Forwarded-For``, so only the
    last entry was written by the trusted proxy. Everything before it came from the client and is
    spoofable; taking the first entry would let anyone pick a fresh address per request and walk
    around per-address login throttling.
    """
    peer = request.client.host if request.client else "unknown"
    if not trust_forwarded_for:
        return peer
    entries = [entry.strip() for entry in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    last = next((entry for entry in reversed(entries) if entry), None)
    if last is None:
        return peer
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return peer
