"""The public careers board: no authentication, cacheable, stable URLs under ``/v1/board/``.

Responses carry a strong ``ETag`` of their body and ``Cache-Control: public``; a request whose
``If-None-Match`` matches gets ``304`` with no body, so careers pages and CDNs can revalidate cheaply.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from rolecall.board import feeds, service
from rolecall.board.params import BoardSearchParams, SearchParams, Values
from rolecall.board.schemas import PostingDetail, SearchResponse
from rolecall.board.search import SearchIndex
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.http import public_base
from rolecall.platform.ratelimit import BOARD, RateLimitedRoute, limited, rate_limit_responses

router = APIRouter(
    prefix="/v1/board",
    tags=["board"],
    dependencies=[PUBLIC, limited(BOARD, per_client=True)],
    responses=rate_limit_responses(),
    route_class=RateLimitedRoute,
)
XML = "application/xml"


def _cached(request: Request, body: bytes, media_type: str) -> Response:
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    seconds = request.app.state.settings.board_cache_seconds
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={seconds}", "Vary": "Accept-Encoding"}
    sent = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
    if tag in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def _json(request: Request, model: BaseModel) -> Response:
    return _cached(request, model.model_dump_json().encode(), "application/json")


def _index(request: Request) -> SearchIndex:
    index: SearchIndex = request.app.state.search_index
    return index


def _links(request: Request) -> service.Links:
    return service.Links(request.app.state.settings.public_base_url)


async def _search(request: Request, session: DbSession, p: BoardSearchParams, org: str | None) -> Response:
    index, links = _index(request), _links(request)
    found = await service.search(session, index, p.query(org), facet_limit=p.facet_limit, links=links)
    body = json.dumps(found, separators=(",", ":"), ensure_ascii=False).encode()
    return _cached(request, body, "application/json")


_SEARCH_DOC: dict[int | str, dict[str, Any]] = {
    200: {"model": SearchResponse},
    304: {"description": "Not modified"},
}


@router.get(
    "/postings", response_class=Response, responses=_SEARCH_DOC, summary="Search every listed posting"
)
async def search_postings(
    request: Request,
    session: DbSession,
    p: SearchParams,
    organisation: Values = [],  # noqa: B006
) -> Response:
    if organisation:
        p.filters["organisation"] = tuple(organisation)
    return await _search(request, session, p, None)


@router.get("/postings/{posting_id}", response_class=Response, responses={200: {"model": PostingDetail}})
async def read_posting(posting_id: uuid.UUID, request: Request, session: DbSession) -> Response:
    return _json(request, await service.posting(session, posting_id, links=_links(request)))


@router.get(
    "/{org_slug}/postings", response_class=Response, responses=_SEARCH_DOC, summary="One organisation's board"
)
async def search_organisation_postings(
    org_slug: str, request: Request, session: DbSession, p: SearchParams
) -> Response:
    # Search first, then check the address: the database index searches in its own transaction,
    # which on SQLite must not start while this request's session holds the write lock.
    response = await _search(request, session, p, org_slug)
    await service.organisation(session, org_slug)
    return response


def _base_url(request: Request) -> str:
    return public_base(request)  # never the request's Host header


async def _feed_items(
    request: Request, session: DbSession, org_slug: str
) -> tuple[feeds.FeedContext, list[feeds.FeedPosting]]:
    _org_id, name = await service.organisation(session, org_slug)
    links = _links(request)
    postings = await service.organisation_postings(session, _org_id, links=links)
    base = _base_url(request)
    generated = max((p.updated_at for p in postings), default=datetime(2000, 1, 1, tzinfo=UTC))
    context = feeds.FeedContext(
        title=f"{name} careers",
        base_url=service.feed_channel_url(links, base, org_slug),
        self_url=f"{base}{request.url.path}",
        generated_at=generated,
    )
    return context, [service.feed_posting(p, base) for p in postings]


@router.get("/{org_slug}/feed.xml", response_class=Response, summary="Job-aggregator XML feed")
async def aggregator_feed(org_slug: str, request: Request, session: DbSession) -> Response:
    context, items = await _feed_items(request, session, org_slug)
    return _cached(request, feeds.aggregator_xml(context, items), XML)


@router.get("/{org_slug}/feed.atom", response_class=Response, summary="Atom feed of open postings")
async def atom_feed(org_slug: str, request: Request, session: DbSession) -> Response:
    context, items = await _feed_items(request, session, org_slug)
    return _cached(request, feeds.atom_feed(context, items), "application/atom+xml")


@router.get("/{org_slug}/feed.rss", response_class=Response, summary="RSS 2.0 feed of open postings")
async def rss_feed(org_slug: str, request: Request, session: DbSession) -> Response:
    context, items = await _feed_items(request, session, org_slug)
    return _cached(request, feeds.rss_feed(context, items), "application/rss+xml")


@router.get("/{org_slug}/sitemap.xml", response_class=Response, summary="Sitemap of posting URLs")
async def sitemap(org_slug: str, request: Request, session: DbSession) -> Response:
    _context, items = await _feed_items(request, session, org_slug)
    return _cached(request, feeds.sitemap([(i.url, i.updated_at) for i in items]), XML)
