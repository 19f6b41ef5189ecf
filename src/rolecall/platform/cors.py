"""CORS for public, read-only routes: scripts on the configured origins may read them, nothing more.

Only ``GET`` and ``HEAD`` requests to the given path prefixes take part. For those, a response to a
request whose ``Origin`` is configured gets ``Access-Control-Allow-Origin`` naming that origin (never
``*``) and ``Access-Control-Expose-Headers: ETag``; every response on those paths gets
``Vary: Origin``, so a shared cache never hands one origin's answer to another. A preflight
(``OPTIONS`` with ``Access-Control-Request-Method``) from a configured origin asking for ``GET`` or
``HEAD`` is answered here with 204; any other ``OPTIONS`` request goes on to the routes as usual.
Credentials are never allowed. Other paths and methods pass through untouched, and with no origins
configured the middleware changes nothing at all.

The routes it covers are chosen by the caller (``rolecall.app``): the platform knows no context.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD"})
ALLOWED_HEADERS = "If-None-Match"
EXPOSED_HEADERS = "ETag"
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
_DEFAULT_PORTS = {"http": 80, "https": 443}
_RULE = "an origin is scheme://host[:port] with no path, such as https://careers.example.com"


def normalise_origin(value: str, position: int = 1) -> str:
    """An origin as browsers send it in ``Origin``: lower-case, no default port, no trailing slash.

    Raises ``ValueError`` naming the entry's position (not its value) and the rule it breaks.
    """
    what = f"origin {position}"
    if value == "*":
        raise ValueError(f"{what} is '*'; list every origin that may read the board instead")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{what} cannot be read as a URL; {_RULE}") from exc
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError(f"{what} does not start with http:// or https://; {_RULE}")
    if not parts.hostname:
        raise ValueError(f"{what} has no host; {_RULE}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{what} contains a user name or password; {_RULE}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"{what} has a path, query or fragment; {_RULE}")
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def parse_origins(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A comma-separated list (or an iterable) of origins, normalised, without duplicates or blanks."""
    if value is None:
        return ()
    entries = value.split(",") if isinstance(value, str) else list(value)
    origins = [
        normalise_origin(entry.strip(), position)
        for position, entry in enumerate(entries, start=1)
        if entry.strip()
    ]
    return tuple(dict.fromkeys(origins))


def _add_vary(headers: MutableHeaders, *names: str) -> None:
    present = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
    if "*" in present:
        return
    known = {v.lower() for v in present}
    merged = present + [n for n in names if n.lower() not in known]
    headers["Vary"] = ", ".join(merged)


class ReadOnlyCorsMiddleware:
    """See the module docstring. ``paths`` are path prefixes, e.g. ``("/v1/board/",)``."""

    def __init__(self, app: ASGIApp, *, origins: Iterable[str], paths: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(parse_origins(origins))
        self.paths = tuple(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.origins or not str(scope["path"]).startswith(self.paths):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        request = Headers(scope=scope)
        origin = request.get("origin")
        allowed = origin is not None and origin in self.origins
        if method == "OPTIONS" and "access-control-request-method" in request:
            wanted = request["access-control-request-method"].strip().upper()
            if allowed and wanted in READ_METHODS:
                await self._preflight(send, str(origin))
                return
        if method not in READ_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                _add_vary(headers, "Origin")
                if allowed:
                    headers["Access-Control-Allow-Origin"] = str(origin)
                    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(send: Send, origin: str) -> None:
        headers = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", b"GET, HEAD"),
            (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
            (b"access-control-max-age", str(PREFLIGHT_MAX_AGE).encode()),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
