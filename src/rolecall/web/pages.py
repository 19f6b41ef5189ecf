"""The front door (``/``) and the static files every page uses."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from rolecall.platform.auth import PUBLIC
from rolecall.platform.errors import Forbidden, NotFound
from rolecall.web import assets
from rolecall.web.auth import SignedIn
from rolecall.web.nav import visible_nav
from rolecall.web.templating import render

router = APIRouter(include_in_schema=False)
_YEAR = "public, max-age=31536000, immutable"


@router.get("/", dependencies=[PUBLIC])
async def home(request: Request) -> Response:
    return render(request, "home.html", headers={"Cache-Control": "public, max-age=300"})


@router.get("/static/{name}", dependencies=[PUBLIC])
async def static_file(name: str, request: Request) -> Response:
    found = assets.find(name)
    if found is None:
        raise NotFound("There is no such file.")
    asset, current = found
    headers = {
        "Cache-Control": _YEAR if current else "public, max-age=300",
        "ETag": f'"{asset.digest}"',
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/app")
async def staff_home(principal: SignedIn) -> Response:
    """The staff app opens on the first area the person's role can use."""
    items = visible_nav(principal)
    return RedirectResponse(items[0].href if items else "/app/interviews", status_code=303)


SETTINGS_SECTIONS = (
    (
        "Careers site",
        "/app/settings/careers",
        "jobs:settings",
        "Address, listing, branding and company facts.",
    ),
    ("Stage template", "/app/settings/stages", "jobs:settings", "The stages every new job starts with."),
    (
        "Pipeline",
        "/app/settings/pipeline",
        "pipeline:settings",
        "Reasons for rejection and the consent text.",
    ),
    ("Staff", "/app/settings/users", "users:read", "Who signs in, with which roles."),
    (
        "Sign-in security",
        "/app/settings/security",
        "organisation:write",
        "Whether everyone must use two-step sign-in.",
    ),
)


@router.get("/app/settings")
async def settings_home(request: Request, principal: SignedIn) -> Response:
    sections = [s for s in SETTINGS_SECTIONS if s[2] in principal.scopes]
    if not sections:
        raise Forbidden("Your role does not allow changing settings.")
    return render(request, "settings.html", {"sections": sections})
