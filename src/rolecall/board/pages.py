"""The public careers pages: the cross-organisation job board, each organisation's careers site,
its colours, and the job page.

They are the HTML face of the same board search and posting reads as ``/v1/board`` (same query
parameters, same service calls), carry no personal data, and are cached like the board API: a
strong ETag of the body and ``Cache-Control: public``. With htmx, a search or filter change asks
for the same URL and gets only the results region back.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from markupsafe import Markup

from rolecall.board import presentation as show
from rolecall.board import service, theme
from rolecall.board.branding import Brand, brand_of
from rolecall.board.params import BoardSearchParams, SearchParams, Values
from rolecall.board.search import FACETS, FacetName, SearchIndex
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.errors import NotFound
from rolecall.platform.http import public_base
from rolecall.platform.ratelimit import BOARD, RateLimitedRoute, limited
from rolecall.web.templating import is_htmx, render

router = APIRouter(
    include_in_schema=False, dependencies=[PUBLIC, limited(BOARD)], route_class=RateLimitedRoute
)
_BOARD_FACETS = FACETS
_CAREERS_FACETS = tuple(f for f in FACETS if f != "organisation")
_NAMES_KEPT = 20_000
_LOOKUPS_PER_PAGE = 20
_PLACE_FIELDS = {"locations", "work_arrangement", "remote_countries"}


def _public(request: Request, response: Response, seconds: int, *, vary: str | None = None) -> Response:
    """Cache a page like the board API's answers; a page that carries a cookie is never shared.
    The ETag is weak: the gzip middleware may send these bytes compressed, and adds
    ``Vary: Accept-Encoding`` when it does."""
    if "set-cookie" in response.headers:
        return response
    tag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    headers = {"ETag": "W/" + tag, "Cache-Control": f"public, max-age={seconds}"}
    if vary:
        headers["Vary"] = vary
    sent = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
    if tag in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _index(request: Request) -> SearchIndex:
    index: SearchIndex = request.app.state.search_index
    return index


def _names(request: Request) -> dict[str, dict[str, str]]:
    """Display names of skill ids and board slugs seen in results, kept by the app: facets count by
    id and slug, and a facet value is often not on the page of results being shown."""
    names: dict[str, dict[str, str]] | None = getattr(request.app.state, "board_page_names", None)
    if names is None or sum(len(v) for v in names.values()) > _NAMES_KEPT:
        names = {"skills": {}, "organisation": {}}
        request.app.state.board_page_names = names
    return names


async def _learn_names(
    request: Request, session: DbSession, found: dict[str, Any], *, lookup_organisations: bool
) -> dict[str, dict[str, str]]:
    names = _names(request)
    for item in found["items"]:
        names["organisation"][item["organisation"]["slug"]] = item["organisation"]["name"]
        for skill in item.get("skills") or []:
            names["skills"][skill["id"]] = skill["name"]
    if lookup_organisations:
        counted = [entry["value"] for entry in found["facets"].get("organisation", [])]
        for slug in [s for s in counted if s not in names["organisation"]][:_LOOKUPS_PER_PAGE]:
            try:
                _org_id, names["organisation"][slug] = await service.organisation(session, slug)
            except NotFound:  # the slug changed since the index was written: show it as it is
                names["organisation"][slug] = slug
    return names


def _search_page(
    request: Request,
    p: BoardSearchParams,
    found: dict[str, Any],
    names: show.Names,
    *,
    facets: tuple[FacetName, ...],
    brand: Brand | None,
    heading: str,
) -> Response:
    path = request.url.path
    items = found["items"]
    active = show.active_filters(path, p, names)
    context = {
        "brand": brand,
        "heading": heading,
        "action": path,
        "params": p,
        "items": items,
        "total": found["total"],
        "corrected_query": found.get("corrected_query"),
        "groups": show.facet_groups(found["facets"], p.filters, names, facets),
        "active": active,
        "board_empty": found["total"] == 0 and not active,
        "paging": show.paging(path, p, len(items), found["total"], found["next_cursor"]),
        "show_organisation": brand is None,
        "labels": show,
    }
    fragment = is_htmx(request) and not request.headers.get("hx-history-restore-request")
    template = "board/_results.html" if fragment else "board/search.html"
    # One address, two bodies (the page, or its results region for htmx): caches must tell them apart.
    return _public(request, render(request, template, context), 60, vary="HX-Request")


@router.get("/jobs")
async def job_board(
    request: Request,
    session: DbSession,
    p: SearchParams,
    organisation: Values = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    if organisation:
        p.filters["organisation"] = tuple(organisation)
    found = await service.search(session, _index(request), p.query(None), facet_limit=p.facet_limit)
    names = await _learn_names(request, session, found, lookup_organisations=True)
    return _search_page(request, p, found, names, facets=_BOARD_FACETS, brand=None, heading="Open jobs")


@router.get("/careers/{board_slug}")
async def careers_site(board_slug: str, request: Request, session: DbSession, p: SearchParams) -> Response:
    # Search first, then read the organisation (see the board API: SQLite's lock and the database index).
    found = await service.search(session, _index(request), p.query(board_slug), facet_limit=p.facet_limit)
    brand = await brand_of(session, board_slug)
    names = await _learn_names(request, session, found, lookup_organisations=False)
    heading = f"Careers at {brand.name}"
    return _search_page(request, p, found, names, facets=_CAREERS_FACETS, brand=brand, heading=heading)


@router.get("/careers/{board_slug}/theme.css")
async def careers_theme(board_slug: str, request: Request, session: DbSession) -> Response:
    brand = await brand_of(session, board_slug)
    css = theme.stylesheet(brand.accent_colour or "")
    if css is None:
        raise NotFound("This careers site has no colours of its own.")
    response = Response(css, media_type="text/css; charset=utf-8")
    return _public(request, response, 300)


def _base_url(request: Request) -> str:
    return public_base(request)  # never the request's Host header


@router.get("/jobs/{posting_id}")
async def job_page(posting_id: str, request: Request, session: DbSession) -> Response:
    try:
        key = uuid.UUID(posting_id)
    except ValueError:
        key = None
    if key is None:
        raise NotFound("There is no job at this address.")
    try:
        posting = await service.posting(session, key)
    except NotFound:
        raise NotFound(
            "This job is closed or never existed. The organisation's other openings are on the job board."
        ) from None
    try:
        brand: Brand | None = await brand_of(session, posting.organisation.slug)
    except NotFound:
        brand = None  # the board address moved since the posting was published
    canonical = f"{_base_url(request)}/jobs/{posting.id}"
    context = {
        "brand": brand,
        "posting": posting,
        "canonical": canonical,
        "summary": show.excerpt(posting.description.text),
        "site_name": f"{posting.organisation.name} careers",
        "places": show.places(posting.model_dump(include=_PLACE_FIELDS)),
        "salary": show.salary_text(posting.salary.model_dump() if posting.salary else None),
        # The jobs renderer's own output (escaped when it was rendered), without its JSON-LD block.
        "description": Markup(show.description_body(posting.description.html)),  # noqa: S704
        # Built here with json.dumps and every <, > and & escaped (presentation.json_ld).
        "json_ld": Markup(show.json_ld(posting.json_ld, canonical)),  # noqa: S704
        "labels": show,
    }
    return _public(request, render(request, "board/posting.html", context), 60)
