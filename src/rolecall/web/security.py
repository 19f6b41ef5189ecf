"""Page security: the Content-Security-Policy of every page, CSRF tokens and safe redirects.

CSRF tokens are an HMAC of the login's id under a key derived from the secret key, so they need no
storage and die with the login. The sign-in form, which has no login yet, uses a double-submit
cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from urllib.parse import urlsplit

from fastapi import Request

# No inline script or style anywhere: scripts and styles come from /static, data blocks (JSON-LD)
# are not executed. Logos may come from the organisation's own https site.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "__Host-rolecall-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _key(request: Request) -> bytes:
    secret: str = request.app.state.settings.secret_key
    return hashlib.sha256(f"rolecall page csrf|{secret}".encode()).digest()


def csrf_token(request: Request, login_id: uuid.UUID) -> str:
    return hmac.new(_key(request), login_id.bytes, hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


async def submitted_csrf(request: Request) -> str:
    """The token a request carries: the htmx header, or the hidden field of a plain form."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def same_token(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def safe_next(target: str | None, default: str = "/app") -> str:
    """Where to go after signing in: only a path inside the staff app, never another site."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/app") or target.startswith("//"):
        return default
    if parts.path not in ("/app",) and not parts.path.startswith("/app/"):
        return default
    return target
