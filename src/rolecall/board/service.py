"""Use cases of the public board: search, posting detail, and an organisation's feeds.

Everything here is public and cross-organisation: rows come from the board projection, never from
the jobs tables, and only live postings are ever returned.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rolecall.board import feeds, spelling, theme
from rolecall.board.documents import summary_of
from rolecall.board.models import BoardPosting
from rolecall.board.schemas import PostingDetail, PostingSummary
from rolecall.board.search import InvalidQuery, SearchIndex, SearchQuery
from rolecall.jobs import service as jobs
from rolecall.platform.errors import BadRequest, NotFound
from rolecall.roles import service as roles

# Feeds carry the description, not the page's structured data (aggregators read their own fields).
_JSON_LD = re.compile(r'<script type="application/ld\+json">.*?</script>\s*', re.DOTALL)
MAX_OFFSET = 10_000  # deep paging past this is a crawler's job: use the feeds or the sitemap
MAX_FEED_POSTINGS = 5_000


@dataclass(frozen=True, slots=True)
class Links:
    """Where a posting sends people: the careers web pages or, without them, the JSON API.

    ``public_base`` is ``ROLECALL_PUBLIC_BASE_URL``. When it is set, a posting's ``url`` and
    ``apply_url`` are the absolute addresses of its job page and apply page, and the JSON-LD gets
    the job page as ``url``; when it is not, they stay the API paths the stored document holds.
    Resolved when a posting is served, so changing the setting needs no republishing.
    """

    public_base: str | None = None

    @staticmethod
    def api_posting(posting_id: uuid.UUID | str) -> str:
        return f"/v1/board/postings/{posting_id}"

    @staticmethod
    def api_apply(posting_id: uuid.UUID | str) -> str:
        return f"/v1/board/postings/{posting_id}/applications"

    def posting(self, posting_id: uuid.UUID | str) -> str:
        if self.public_base is None:
            return self.api_posting(posting_id)
        return f"{self.public_base}/jobs/{posting_id}"

    def apply(self, posting_id: uuid.UUID | str) -> str:
        if self.public_base is None:
            return self.api_apply(posting_id)
        return f"{self.public_base}/jobs/{posting_id}/apply"

    def careers(self, slug: str) -> str | None:
        """The organisation's careers site, when there are web pages to link to."""
        return None if self.public_base is None else f"{self.public_base}/careers/{slug}"

    def summary(self, stored: dict[str, Any], posting_id: uuid.UUID | str) -> dict[str, Any]:
        """A stored search summary with its links; a shallow copy, the stored one is not changed."""
        return {**stored, "url": self.posting(posting_id), "api_url": self.api_posting(posting_id)}

    def detail(self, document: dict[str, Any]) -> dict[str, Any]:
        """A stored posting document with its links, ready to validate as :class:`PostingDetail`."""
        posting_id = document["id"]
        linked = {
            **document,
            "url": self.posting(posting_id),
            "api_url": self.api_posting(posting_id),
            "apply_url": self.apply(posting_id),
            "api_apply_url": self.api_apply(posting_id),
        }
        if self.public_base is not None and isinstance(document.get("json_ld"), dict):
            linked["json_ld"] = {**document["json_ld"], "url": linked["url"]}
        return linked


API_LINKS = Links()


def theme_url(board_slug: str, accent_colour: str | None) -> str | None:
    """The colour sheet of a careers site, for other contexts' pages of the same organisation."""
    return theme.stylesheet_url(board_slug, accent_colour)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    malformed = BadRequest("The cursor is malformed; use next_cursor from a previous page.")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise malformed from exc
    offset = data.get("o") if isinstance(data, dict) else None
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise malformed
    return offset


def normalise_skills(values: Sequence[str]) -> tuple[str, ...]:
    """Filters accept what people type ("Postgres"); the index holds canonical ids."""
    return tuple(dict.fromkeys(roles.normalise_skill(v) or v.strip().lower() for v in values))


def summary(document: dict[str, Any], links: Links = API_LINKS) -> PostingSummary:
    return PostingSummary.model_validate(links.summary(document, document["id"]))


async def _live(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, BoardPosting]:
    if not ids:
        return {}
    stmt = select(BoardPosting).where(BoardPosting.id.in_(ids), BoardPosting.live.is_(True))
    return {row.id: row for row in (await session.scalars(stmt)).all()}


async def _summaries(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Stored list-view summaries by id. They were built from a validated posting when projected,
    so they are served as stored: validating twenty of them again on every search cost more than
    the search itself."""
    if not ids:
        return {}
    stmt = select(BoardPosting.id, BoardPosting.summary).where(
        BoardPosting.id.in_(ids), BoardPosting.live.is_(True)
    )
    rows = (await session.execute(stmt)).all()
    found = {row_id: data for row_id, data in rows if data}
    # Rows written without a summary (loaded by hand, e.g. the benchmark) fall back to the document.
    missing = [row_id for row_id, data in rows if not data]
    if missing:
        for row_id, posting in (await _live(session, missing)).items():
            if posting.document:
                found[row_id] = summary_of(posting.document)
    return found


async def search(
    session: AsyncSession,
    index: SearchIndex,
    query: SearchQuery,
    *,
    facet_limit: int = 20,
    links: Links = API_LINKS,
) -> dict[str, Any]:
    """One page of hits plus, per facet, the ``facet_limit`` most frequent values, JSON-ready in
    the shape of :class:`SearchResponse`.

    A broad query on a large board has hundreds of locations and organisations; a page shows a
    handful, and shipping all of them made serialisation the most expensive part of a search.
    """
    if query.offset > MAX_OFFSET:
        raise BadRequest(f"Results past {MAX_OFFSET} are not paged; narrow the search or use the feeds.")
    try:
        result = await index.search(query)
    except InvalidQuery as exc:
        raise BadRequest(f"The search query cannot be understood: {exc}") from exc
    corrected = None
    if result.total == 0 and query.q.strip():
        # Nothing found: forgive one typo per long word (``spelling``) and say so in the answer.
        engine = session.bind
        assert isinstance(engine, AsyncEngine)
        suggestion = await spelling.correct(engine, query.q)
        if suggestion is not None:
            retried = await index.search(dataclasses.replace(query, q=suggestion))
            if retried.total:
                result, corrected = retried, suggestion
    summaries = await _summaries(session, [hit.id for hit in result.hits])
    # A hit without a live row was closed between the index read and this one: drop it.
    items = [links.summary(summaries[h.id], h.id) for h in result.hits if h.id in summaries]
    end = query.offset + len(result.hits)
    cursor = encode_cursor(end) if end < result.total and end <= MAX_OFFSET else None
    facets = {
        name: [{"value": c.value, "count": c.count} for c in counts[:facet_limit]]
        for name, counts in result.facets.items()
    }
    return {
        "items": items,
        "total": result.total,
        "facets": facets,
        "next_cursor": cursor,
        "corrected_query": corrected,
    }


async def posting(session: AsyncSession, posting_id: uuid.UUID, *, links: Links = API_LINKS) -> PostingDetail:
    row = (await _live(session, [posting_id])).get(posting_id)
    if row is None or row.document is None:
        raise NotFound("There is no open posting with this id.")
    return PostingDetail.model_validate(links.detail(row.document))


async def live_posting_owner(session: AsyncSession, posting_id: uuid.UUID) -> uuid.UUID:
    """The organisation of an open posting, for the public apply route (404 once it is closed)."""
    row = (await _live(session, [posting_id])).get(posting_id)
    if row is None or row.document is None:
        raise NotFound("There is no open posting with this id.")
    return row.organisation_id


async def organisation(session: AsyncSession, slug: str) -> tuple[uuid.UUID, str]:
    found = await jobs.board_organisation(session, slug)
    if found is None:
        raise NotFound(f"There is no careers board {slug!r}.")
    return found


async def organisation_postings(
    session: AsyncSession, organisation_id: uuid.UUID, *, links: Links = API_LINKS
) -> list[PostingDetail]:
    stmt = (
        select(BoardPosting)
        .where(BoardPosting.organisation_id == organisation_id, BoardPosting.live.is_(True))
        .order_by(BoardPosting.published_at.desc(), BoardPosting.id)
        .limit(MAX_FEED_POSTINGS)
    )
    return [
        PostingDetail.model_validate(links.detail(r.document))
        for r in (await session.scalars(stmt)).all()
        if r.document
    ]


def absolute(base_url: str, url: str) -> str:
    """``url`` as an absolute URL: page URLs already are; API paths are put under ``base_url``."""
    return url if urlsplit(url).scheme else f"{base_url}{url}"


def feed_channel_url(links: Links, base_url: str, slug: str) -> str:
    """The human-facing board a feed belongs to: the careers site, or else the board's JSON search."""
    return links.careers(slug) or f"{base_url}/v1/board/{slug}/postings"


def feed_posting(posting: PostingDetail, base_url: str) -> feeds.FeedPosting:
    """A posting as the feeds publish it, with absolute URLs (relative ones go under ``base_url``)."""
    salary = posting.salary
    return feeds.FeedPosting(
        id=posting.id,
        title=posting.title,
        organisation_name=posting.organisation.name,
        organisation_slug=posting.organisation.slug,
        url=absolute(base_url, posting.url),
        apply_url=absolute(base_url, posting.apply_url),
        description_html=_JSON_LD.sub("", posting.description.html),
        description_text=posting.description.text,
        published_at=posting.published_at,
        updated_at=posting.updated_at,
        valid_through=posting.valid_through,
        employment_type=posting.employment_type,
        work_arrangement=posting.work_arrangement,
        locations=tuple((loc.city, loc.region, loc.country) for loc in posting.locations),
        remote_countries=tuple(posting.remote_countries),
        salary_min=salary.min if salary else None,
        salary_max=salary.max if salary else None,
        salary_currency=salary.currency if salary else None,
        salary_period=salary.period if salary else None,
        department=posting.department,
        level=posting.level,
    )
