"""Public role guides: the starter library as pages a candidate or a hiring manager can read.

Only the packaged library is public. An organisation's own profiles stay behind ``roles:read``; the
issue lets an organisation publish them "if they choose", which needs a setting that does not exist
yet. The pages are the same for everyone and carry no personal data, so they are cached for an hour.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rolecall.platform.auth import PUBLIC
from rolecall.roles import guide as guides
from rolecall.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])
_CACHE = {"Cache-Control": "public, max-age=3600"}


@router.get("/roles")
async def role_index(request: Request) -> Response:
    return render(request, "roles/index.html", {"groups": guides.index()}, headers=_CACHE)


@router.get("/roles/{profile_id}")
async def role_guide(profile_id: str, request: Request) -> Response:
    found = guides.guide(profile_id)  # NotFound becomes the 404 page
    return render(request, "roles/guide.html", {"guide": found}, headers=_CACHE)
