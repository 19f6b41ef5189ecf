"""Machine-readable views of open postings: job-aggregator XML, Atom, RSS and sitemaps.

Pure functions: they render exactly the postings they are given (choosing which postings are open
and public is the caller's job) and read no clock, so the same input always gives the same bytes,
which keeps ``ETag`` revalidation cheap. Every document is UTF-8 with an XML declaration.

How the XML is made safe:

* Trees are built with :mod:`xml.etree.ElementTree`; text and attribute values are never pasted
  into markup. The aggregator feed alone is written by :func:`_serialize_with_cdata`, a small
  serializer over the same tree that wraps job fields in CDATA sections, because the aggregator
  format documents every job field that way; a ``]]>`` inside the text is split across two
  sections, so no text can end a section early.
* Characters XML 1.0 forbids (C0 controls other than tab, line feed and carriage return, lone
  surrogates, U+FFFE, U+FFFF) and the discouraged C1 controls are removed from all text, and line
  breaks are normalised to ``\\n`` as an XML parser would do anyway.
* ``description_html`` is trusted to be sanitised already (the board renders it from Markdown
  elsewhere); here it is only ever *text*, escaped or wrapped in CDATA, never parsed into the tree.

Output order is newest first (``published_at`` descending, then id), whatever order the input
comes in. Timestamps must carry a time zone; they are written in UTC.

Aggregator format (the Indeed-style ``<source>`` feed): one ``<job>`` per place a posting is
offered in, because aggregators index a job by one city, state and country, and the format asks
for a distinct ``<referencenumber>`` per location. The reference number is the posting id plus a
short digest of the place, so it stays the same while that place stays on the posting, whatever
else changes; ``<requisitionid>`` is the bare posting id and ties the copies together. A remote
posting without offices gets one ``<job>`` per remote-eligible country, or a single ``<job>``
without location elements when it names none. ``<postalcode>`` is not written: postings do not
carry one. ``<salary>`` only appears when the posting carries a salary, i.e. when the organisation
shows pay.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "MAX_SITEMAP_BYTES",
    "MAX_SITEMAP_URLS",
    "FeedContext",
    "FeedPosting",
    "Location",
    "SitemapTooLarge",
    "aggregator_xml",
    "atom_feed",
    "rss_feed",
    "sitemap",
    "sitemap_index",
]

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
SITEMAP_NS: Final = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_SITEMAP_URLS: Final = 50_000  # per file, sitemaps.org protocol 0.9
MAX_SITEMAP_BYTES: Final = 50 * 1024 * 1024  # uncompressed, same protocol
MAX_URL_LENGTH: Final = 2_048
SUMMARY_CHARS: Final = 300
GENERATOR: Final = "Rolecall"

WORK_ARRANGEMENTS: Final = frozenset({"onsite", "hybrid", "remote"})
SALARY_PERIODS: Final = frozenset({"year", "month", "hour"})
# Rolecall's employment types and work arrangements in the aggregator's vocabulary. An on-site job
# has no <remotetype>; an unknown employment type gets no <jobtype>.
_JOB_TYPES: Final = {
    "full_time": "fulltime",
    "part_time": "parttime",
    "contract": "contract",
    "temporary": "temporary",
    "internship": "internship",
}
_REMOTE_TYPES: Final = {"remote": "Fully remote", "hybrid": "Hybrid remote"}

_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")

Location = tuple[str, str | None, str]
"""(city, region or ``None``, ISO 3166-1 alpha-2 country code)."""


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


def _require_url(value: str, name: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedPosting:
    """One open posting, reduced to what the feeds publish. Every field here is public.

    ``description_html`` must already be sanitised. Salary fields are all set or all ``None``;
    ``None`` means the organisation does not show pay, and no feed then mentions a salary.
    ``remote_countries`` lists where a remote posting hires (ISO codes); it is optional.
    """

    id: uuid.UUID
    title: str
    organisation_name: str
    organisation_slug: str
    url: str
    apply_url: str
    description_html: str
    description_text: str
    published_at: datetime
    updated_at: datetime
    valid_through: datetime | None = None
    employment_type: str
    work_arrangement: str
    locations: tuple[Location, ...] = ()
    remote_countries: tuple[str, ...] = ()
    salary_min: int | None = None
    salary_max: int | None = None
    salary_currency: str | None = None
    salary_period: str | None = None
    department: str
    level: str

    def __post_init__(self) -> None:
        for name in ("published_at", "updated_at", "valid_through"):
            value = getattr(self, name)
            if value is not None:
                _require_aware(value, name)
        _require_url(self.url, "url")
        _require_url(self.apply_url, "apply_url")
        if not self.title.strip() or not self.organisation_name.strip():
            raise ValueError("title and organisation_name must not be blank")
        if self.work_arrangement not in WORK_ARRANGEMENTS:
            raise ValueError(f"work_arrangement must be one of {sorted(WORK_ARRANGEMENTS)}")
        countries = [country for _, _, country in self.locations] + list(self.remote_countries)
        bad = [c for c in countries if not _COUNTRY.match(c)]
        if bad:
            raise ValueError(f"country codes must be ISO 3166-1 alpha-2 in upper case, got {bad}")
        salary = (self.salary_min, self.salary_max, self.salary_currency, self.salary_period)
        if any(v is not None for v in salary) and any(v is None for v in salary):
            raise ValueError("salary_min, salary_max, salary_currency and salary_period go together")
        if self.salary_period is not None and self.salary_period not in SALARY_PERIODS:
            raise ValueError(f"salary_period must be one of {sorted(SALARY_PERIODS)}")

    @property
    def has_salary(self) -> bool:
        return self.salary_currency is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedContext:
    """The feed as a whole: who publishes it, where it lives, and when its content last changed.

    ``base_url`` is the human-facing board the feed belongs to; ``self_url`` is the feed's own
    address (also the Atom feed id). ``generated_at`` is the feed's last-change time; pass the
    newest ``updated_at`` rather than the clock to keep repeated responses byte-identical.
    """

    title: str
    base_url: str
    self_url: str
    generated_at: datetime
    description: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.generated_at, "generated_at")
        _require_url(self.base_url, "base_url")
        _require_url(self.self_url, "self_url")


class SitemapTooLarge(ValueError):
    """More URLs or bytes than one sitemap file may hold; split the URLs and use a sitemap index."""


# --- shared helpers ----------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Text as XML 1.0 can carry it: forbidden and discouraged control characters removed."""
    return _ILLEGAL_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _utc(value: datetime) -> datetime:
    _require_aware(value, "timestamp")
    return value.astimezone(UTC).replace(microsecond=0)


def _rfc3339(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc822(value: datetime) -> str:
    return format_datetime(_utc(value), usegmt=True)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrib.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _ordered(postings: Iterable[FeedPosting]) -> list[FeedPosting]:
    items = sorted(postings, key=lambda p: (-_utc(p.published_at).timestamp(), str(p.id)))
    ids = [p.id for p in items]
    if len(set(ids)) != len(ids):
        raise ValueError("the same posting id appears more than once")
    return items


def _excerpt(text: str, limit: int = SUMMARY_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0] if " " in flat[: limit - 1] else flat[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def _salary_text(p: FeedPosting) -> str | None:
    if not p.has_salary:
        return None
    amounts = f"{p.salary_min}" if p.salary_min == p.salary_max else f"{p.salary_min} - {p.salary_max}"
    return f"{p.salary_currency} {amounts} per {p.salary_period}"


def _categories(p: FeedPosting) -> list[str]:
    values = (p.department, p.level, p.employment_type, p.work_arrangement)
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def _serialize(root: ET.Element) -> bytes:
    # Namespaces are declared by constant ``xmlns`` attributes on the root and element names are
    # written unqualified (or with a fixed ``atom:`` prefix), so the output does not depend on
    # ElementTree's process-wide prefix registry or on its ``ns0`` naming.
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return (_DECLARATION + body + "\n").encode("utf-8")


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _serialize_with_cdata(root: ET.Element, cdata_tags: frozenset[str]) -> bytes:
    """Serialize a namespace-free tree, writing the text of ``cdata_tags`` leaves as CDATA.

    Element names come from this module's constants and are checked anyway; all text passed
    through :func:`_clean` when the tree was built and is escaped or CDATA-wrapped here.
    """
    parts = [_DECLARATION]

    def write(element: ET.Element, depth: int) -> None:
        tag = element.tag
        if not isinstance(tag, str) or not _XML_NAME.match(tag):
            raise ValueError(f"not a plain XML element name: {tag!r}")
        attrs = "".join(f" {name}={quoteattr(value)}" for name, value in element.attrib.items())
        pad = "  " * depth
        children = list(element)
        if children:
            parts.append(f"{pad}<{tag}{attrs}>\n")
            for child in children:
                write(child, depth + 1)
            parts.append(f"{pad}</{tag}>\n")
            return
        text = element.text or ""
        body = _cdata(text) if text and tag in cdata_tags else escape(text)
        parts.append(f"{pad}<{tag}{attrs}>{body}</{tag}>\n")

    write(root, 0)
    return "".join(parts).encode("utf-8")


# --- job-aggregator XML ------------------------------------------------------------------------

_JOB_FIELDS: Final = frozenset(
    {
        "title",
        "date",
        "referencenumber",
        "requisitionid",
        "url",
        "company",
        "city",
        "state",
        "country",
        "description",
        "salary",
        "jobtype",
        "remotetype",
        "expirationdate",
    }
)


def _places(p: FeedPosting) -> list[tuple[str, Location | None]]:
    """(place key, location) pairs: one per office, else one per remote country, else one blank."""
    if p.locations:
        return [
            (f"{city}\x1f{region or ''}\x1f{country}", (city, region, country))
            for city, region, country in p.locations
        ]
    if p.remote_countries:
        return [(f"remote\x1f{country}", ("", None, country)) for country in p.remote_countries]
    return [("", None)]


def _reference(p: FeedPosting, place_key: str) -> str:
    digest = hashlib.sha256(place_key.casefold().encode("utf-8")).hexdigest()[:12]
    return f"{p.id}-{digest}"


def aggregator_xml(ctx: FeedContext, postings: Sequence[FeedPosting]) -> bytes:
    """The Indeed-style ``<source>`` job feed most aggregators read (see the module docstring)."""
    root = ET.Element("source")
    _add(root, "publisher", ctx.title)
    _add(root, "publisherurl", ctx.base_url)
    _add(root, "lastBuildDate", _rfc3339(ctx.generated_at))
    for p in _ordered(postings):
        seen: set[str] = set()
        for place_key, location in _places(p):
            reference = _reference(p, place_key)
            if reference in seen:  # the same place listed twice
                continue
            seen.add(reference)
            job = _add(root, "job")
            _add(job, "title", p.title)
            _add(job, "date", _rfc3339(p.published_at))
            _add(job, "referencenumber", reference)
            _add(job, "requisitionid", str(p.id))
            _add(job, "url", p.url)
            _add(job, "company", p.organisation_name)
            if location is not None:
                city, region, country = location
                if city:
                    _add(job, "city", city)
                if region:
                    _add(job, "state", region)
                _add(job, "country", country)
            _add(job, "description", p.description_html)
            salary = _salary_text(p)
            if salary is not None:
                _add(job, "salary", salary)
            if p.employment_type in _JOB_TYPES:
                _add(job, "jobtype", _JOB_TYPES[p.employment_type])
            if p.work_arrangement in _REMOTE_TYPES:
                _add(job, "remotetype", _REMOTE_TYPES[p.work_arrangement])
            if p.valid_through is not None:
                _add(job, "expirationdate", _rfc3339(p.valid_through))
    return _serialize_with_cdata(root, _JOB_FIELDS)


# --- Atom 1.0 (RFC 4287) -----------------------------------------------------------------------


def atom_feed(ctx: FeedContext, postings: Sequence[FeedPosting]) -> bytes:
    """An Atom 1.0 feed: one entry per posting, id ``urn:uuid:<posting id>``, HTML content."""
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _add(feed, "id", ctx.self_url)
    _add(feed, "title", ctx.title, type="text")
    if ctx.description:
        _add(feed, "subtitle", ctx.description, type="text")
    _add(feed, "updated", _rfc3339(ctx.generated_at))
    _add(feed, "link", rel="self", type="application/atom+xml", href=ctx.self_url)
    _add(feed, "link", rel="alternate", href=ctx.base_url)
    _add(feed, "generator", GENERATOR)
    for p in _ordered(postings):
        entry = _add(feed, "entry")
        _add(entry, "id", p.id.urn)
        _add(entry, "title", p.title, type="text")
        _add(entry, "updated", _rfc3339(p.updated_at))
        _add(entry, "published", _rfc3339(p.published_at))
        author = _add(entry, "author")
        _add(author, "name", p.organisation_name)
        _add(entry, "link", rel="alternate", href=p.url)
        _add(entry, "link", rel="related", href=p.apply_url, title="Apply")
        for term in _categories(p):
            _add(entry, "category", term=term)
        summary = _excerpt(p.description_text)
        if summary:
            _add(entry, "summary", summary, type="text")
        if p.description_html.strip():
            _add(entry, "content", p.description_html, type="html")
    return _serialize(feed)


# --- RSS 2.0 -----------------------------------------------------------------------------------


def rss_feed(ctx: FeedContext, postings: Sequence[FeedPosting]) -> bytes:
    """An RSS 2.0 feed: guid ``urn:uuid:<posting id>`` (not a permalink), RFC 822 dates."""
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _add(rss, "channel")
    _add(channel, "title", ctx.title)
    _add(channel, "link", ctx.base_url)
    _add(channel, "description", ctx.description or ctx.title)
    _add(channel, "lastBuildDate", _rfc822(ctx.generated_at))
    _add(channel, "generator", GENERATOR)
    _add(channel, "atom:link", href=ctx.self_url, rel="self", type="application/rss+xml")
    for p in _ordered(postings):
        item = _add(channel, "item")
        _add(item, "title", p.title)
        _add(item, "link", p.url)
        _add(item, "description", p.description_html)
        _add(item, "guid", p.id.urn, isPermaLink="false")
        _add(item, "pubDate", _rfc822(p.published_at))
        for term in _categories(p):
            _add(item, "category", term)
    return _serialize(rss)


# --- sitemaps ----------------------------------------------------------------------------------


def _sitemap_document(root_tag: str, entry_tag: str, entries: Sequence[tuple[str, datetime]]) -> bytes:
    if len(entries) > MAX_SITEMAP_URLS:
        raise SitemapTooLarge(
            f"{len(entries)} URLs; one sitemap file holds at most {MAX_SITEMAP_URLS}, split them"
        )
    root = ET.Element(root_tag, xmlns=SITEMAP_NS)
    for loc, lastmod in entries:
        _require_url(loc, "sitemap URL")
        if len(loc) >= MAX_URL_LENGTH:
            raise ValueError(f"sitemap URLs must be shorter than {MAX_URL_LENGTH} characters: {loc[:80]}…")
        entry = _add(root, entry_tag)
        _add(entry, "loc", loc)
        _add(entry, "lastmod", _rfc3339(lastmod))
    body = _serialize(root)
    if len(body) > MAX_SITEMAP_BYTES:
        raise SitemapTooLarge(f"{len(body)} bytes; one sitemap file holds at most {MAX_SITEMAP_BYTES}")
    return body


def sitemap(urls: Sequence[tuple[str, datetime]]) -> bytes:
    """A sitemaps.org 0.9 ``<urlset>`` of (absolute URL, last modified) pairs, in the given order.

    More than :data:`MAX_SITEMAP_URLS` URLs raise :class:`SitemapTooLarge` rather than being cut:
    a silently truncated sitemap hides postings from search engines with no sign anything is
    missing. Callers with more URLs split them and list the parts with :func:`sitemap_index`.
    """
    return _sitemap_document("urlset", "url", urls)


def sitemap_index(sitemaps: Sequence[tuple[str, datetime]]) -> bytes:
    """A sitemaps.org 0.9 ``<sitemapindex>`` of (sitemap URL, last modified) pairs."""
    return _sitemap_document("sitemapindex", "sitemap", sitemaps)
