"""One Jinja environment for every page, and the function pages use to answer with HTML.

Templates are found in ``rolecall/web/templates`` (layouts, macros, error pages) and in every
context's ``templates/`` folder, where page templates sit under the context's own name
(``board/careers.html``), so names never collide. Autoescaping is on for everything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from rolecall.platform.auth import Principal
from rolecall.web import assets
from rolecall.web.nav import visible_nav
from rolecall.web.security import PAGE_CSP, csrf_token

_PACKAGE = Path(__file__).resolve().parent.parent
FLASH_COOKIE = "rolecall-flash"


def _template_dirs() -> list[str]:
    dirs = [str(_PACKAGE / "web" / "templates")]
    dirs += [str(p) for p in sorted(_PACKAGE.glob("*/templates")) if p.parent.name != "web"]
    return dirs


def _when(value: datetime | str | None, fmt: str = "%d %b %Y") -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.strftime(fmt)


def _money(amount: int | float | None, currency: str = "") -> str:
    if amount is None:
        return ""
    return f"{currency} {amount:,.0f}".strip()


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["static"] = assets.url_for
    env.filters["when"] = _when
    env.filters["money"] = _money
    return env


def principal_of(request: Request) -> Principal | None:
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) and found.kind == "user" else None


def _flash_key(request: Request) -> bytes:
    secret: str = request.app.state.settings.secret_key
    return hashlib.sha256(f"rolecall page flash|{secret}".encode()).digest()


def flash(request: Request, response: Response, message: str) -> None:
    """Carry one short message to the next page (after a POST that redirects)."""
    data = message.encode()[:300]
    mac = hmac.new(_flash_key(request), data, hashlib.sha256).hexdigest()[:32]
    value = base64.urlsafe_b64encode(data).decode() + "." + mac
    response.set_cookie(FLASH_COOKIE, value, max_age=60, path="/", secure=True, httponly=True, samesite="lax")


def _read_flash(request: Request) -> str | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return None
    encoded, _, mac = raw.rpartition(".")
    try:
        data = base64.urlsafe_b64decode(encoded)
    except ValueError:
        return None
    expected = hmac.new(_flash_key(request), data, hashlib.sha256).hexdigest()[:32]
    return data.decode(errors="replace") if hmac.compare_digest(mac, expected) else None


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page. Pages of the staff app are never cached; public pages pass their own policy."""
    principal = principal_of(request)
    message = _read_flash(request)
    values: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "csrf_token": csrf_token(request, principal.session_id) if principal and principal.session_id else "",
        "nav": visible_nav(principal),
        "flash": message,
        "path": request.url.path,
    }
    values.update(context or {})
    body = environment().get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    if message is not None:
        response.delete_cookie(FLASH_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
