"""Board feeds: structure of each format, hostile text, hidden pay, determinism and sitemap limits."""

from __future__ import annotations

import random
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from rolecall.board.feeds import (
    MAX_SITEMAP_URLS,
    FeedContext,
    FeedPosting,
    SitemapTooLarge,
    aggregator_xml,
    atom_feed,
    rss_feed,
    sitemap,
    sitemap_index,
)

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
HOSTILE = "Engineer <script>alert('x')</script> ]]> & \"co\"\x00\x07\x1b\ufffe\ud800 done"
HOSTILE_CLEAN = "Engineer <script>alert('x')</script> ]]> & \"co\" done"
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _ctx(**overrides: Any) -> FeedContext:
    values: dict[str, Any] = {
        "title": "Acme careers",
        "base_url": "https://jobs.example.org/v1/board/acme/postings",
        "self_url": "https://jobs.example.org/v1/board/acme/feed.atom",
        "generated_at": T0 + timedelta(days=1),
    }
    values.update(overrides)
    return FeedContext(**values)


def _posting(n: int = 1, **overrides: Any) -> FeedPosting:
    pid = uuid.UUID(int=n)
    values: dict[str, Any] = {
        "id": pid,
        "title": f"Back-End Engineer {n}",
        "organisation_name": "Acme GmbH",
        "organisation_slug": "acme",
        "url": f"https://jobs.example.org/v1/board/postings/{pid}",
        "apply_url": f"https://jobs.example.org/v1/board/postings/{pid}/apply",
        "description_html": "<p>Build <strong>services</strong>.</p>",
        "description_text": "Build services.",
        "published_at": T0 + timedelta(hours=n),
        "updated_at": T0 + timedelta(hours=n, minutes=5),
        "employment_type": "full_time",
        "work_arrangement": "onsite",
        "locations": (("Berlin", None, "DE"),),
        "department": "Engineering",
        "level": "senior",
    }
    values.update(overrides)
    return FeedPosting(**values)


def _parse(body: bytes) -> ET.Element:
    assert body.startswith(DECLARATION)
    return ET.fromstring(body)  # noqa: S314 - our own output, parsed to check it


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, f"no {path} in <{element.tag}>"
    return found.text or ""


def _salaried(**overrides: Any) -> FeedPosting:
    return _posting(
        salary_min=60_000, salary_max=80_000, salary_currency="EUR", salary_period="year", **overrides
    )


ALL_FEEDS = [
    pytest.param(aggregator_xml, id="aggregator"),
    pytest.param(atom_feed, id="atom"),
    pytest.param(rss_feed, id="rss"),
]


# --- job-aggregator XML -------------------------------------------------------------------------


def test_aggregator_feed_has_the_source_shape() -> None:
    posting = _salaried(valid_through=T0 + timedelta(days=30))
    root = _parse(aggregator_xml(_ctx(), [posting]))
    assert root.tag == "source"
    assert [child.tag for child in root][:3] == ["publisher", "publisherurl", "lastBuildDate"]
    assert _text(root, "publisher") == "Acme careers"
    assert _text(root, "publisherurl") == "https://jobs.example.org/v1/board/acme/postings"
    assert _text(root, "lastBuildDate") == "2026-03-02T09:30:00Z"
    (job,) = root.findall("job")
    assert [child.tag for child in job] == [
        "title",
        "date",
        "referencenumber",
        "requisitionid",
        "url",
        "company",
        "city",
        "country",
        "description",
        "salary",
        "jobtype",
        "expirationdate",
    ]
    assert _text(job, "title") == "Back-End Engineer 1"
    assert _text(job, "date") == "2026-03-01T10:30:00Z"
    assert _text(job, "requisitionid") == str(posting.id)
    assert _text(job, "referencenumber").startswith(f"{posting.id}-")
    assert _text(job, "url") == posting.url
    assert _text(job, "company") == "Acme GmbH"
    assert (_text(job, "city"), _text(job, "country")) == ("Berlin", "DE")
    assert _text(job, "description") == "<p>Build <strong>services</strong>.</p>"
    assert _text(job, "salary") == "EUR 60000 - 80000 per year"
    assert _text(job, "jobtype") == "fulltime"
    assert _text(job, "expirationdate") == "2026-03-31T09:30:00Z"


def test_aggregator_job_fields_are_cdata_sections() -> None:
    body = aggregator_xml(_ctx(), [_salaried()]).decode()
    job = body[body.index("<job>") : body.index("</job>")]
    leaves = re.findall(r"<(\w+)>(.*?)</\1>", job, flags=re.DOTALL)
    assert len(leaves) >= 10
    for tag, inner in leaves:
        assert inner.startswith("<![CDATA["), tag
        assert inner.endswith("]]>"), tag


def test_aggregator_writes_one_job_per_location_with_stable_reference_numbers() -> None:
    berlin, oslo = ("Berlin", None, "DE"), ("Oslo", "Oslo", "NO")
    one = _parse(aggregator_xml(_ctx(), [_posting(locations=(berlin,))])).findall("job")
    two = _parse(aggregator_xml(_ctx(), [_posting(locations=(oslo, berlin))])).findall("job")
    assert len(one) == 1
    assert len(two) == 2
    assert [_text(j, "city") for j in two] == ["Oslo", "Berlin"]
    assert _text(two[0], "state") == "Oslo"
    assert two[1].find("state") is None
    refs = [_text(j, "referencenumber") for j in two]
    assert len(set(refs)) == 2
    # Berlin keeps its reference number when Oslo is added in front of it.
    assert refs[1] == _text(one[0], "referencenumber")
    assert {_text(j, "requisitionid") for j in two} == {str(uuid.UUID(int=1))}


def test_a_place_listed_twice_gives_one_job() -> None:
    berlin = ("Berlin", None, "DE")
    jobs = _parse(aggregator_xml(_ctx(), [_posting(locations=(berlin, berlin))])).findall("job")
    assert len(jobs) == 1


@pytest.mark.parametrize(
    ("arrangement", "expected"),
    [("remote", "Fully remote"), ("hybrid", "Hybrid remote"), ("onsite", None)],
)
def test_aggregator_remotetype_follows_the_work_arrangement(arrangement: str, expected: str | None) -> None:
    job = _parse(aggregator_xml(_ctx(), [_posting(work_arrangement=arrangement)])).find("job")
    assert job is not None
    remotetype = job.find("remotetype")
    assert (remotetype.text if remotetype is not None else None) == expected


def test_a_remote_posting_without_offices_is_listed_per_remote_country() -> None:
    posting = _posting(work_arrangement="remote", locations=(), remote_countries=("DE", "AT"))
    jobs = _parse(aggregator_xml(_ctx(), [posting])).findall("job")
    assert [_text(j, "country") for j in jobs] == ["DE", "AT"]
    assert all(j.find("city") is None and j.find("state") is None for j in jobs)
    assert all(_text(j, "remotetype") == "Fully remote" for j in jobs)
    assert len({_text(j, "referencenumber") for j in jobs}) == 2


def test_a_remote_posting_without_any_place_is_one_job_without_location() -> None:
    posting = _posting(work_arrangement="remote", locations=())
    (job,) = _parse(aggregator_xml(_ctx(), [posting])).findall("job")
    assert job.find("city") is None
    assert job.find("country") is None
    assert _text(job, "remotetype") == "Fully remote"


@pytest.mark.parametrize(
    ("employment_type", "expected"),
    [
        ("full_time", "fulltime"),
        ("part_time", "parttime"),
        ("contract", "contract"),
        ("temporary", "temporary"),
        ("internship", "internship"),
        ("apprenticeship", None),
    ],
)
def test_aggregator_jobtype_vocabulary(employment_type: str, expected: str | None) -> None:
    job = _parse(aggregator_xml(_ctx(), [_posting(employment_type=employment_type)])).find("job")
    assert job is not None
    jobtype = job.find("jobtype")
    assert (jobtype.text if jobtype is not None else None) == expected


def test_a_single_salary_figure_is_not_written_as_a_range() -> None:
    posting = _posting(salary_min=25, salary_max=25, salary_currency="GBP", salary_period="hour")
    job = _parse(aggregator_xml(_ctx(), [posting])).find("job")
    assert job is not None
    assert _text(job, "salary") == "GBP 25 per hour"


# --- hostile text, pay and control characters in every format ------------------------------------


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_hidden_salary_is_absent_from_every_feed(render: Any) -> None:
    body = render(_ctx(), [_posting()])
    root = _parse(body)
    assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "salary"]
    assert b"60000" not in body
    assert b"EUR" not in body
    shown = render(_ctx(), [_salaried()])
    if render is aggregator_xml:
        assert b"EUR 60000 - 80000 per year" in shown


def test_visible_salary_is_only_published_in_the_aggregator_feed() -> None:
    # Atom and RSS carry the description, where the board prints pay; they have no pay element.
    for render in (atom_feed, rss_feed):
        assert b"60000" not in render(_ctx(), [_salaried()])


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_hostile_text_round_trips_as_text_and_never_becomes_markup(render: Any) -> None:
    posting = _posting(
        title=HOSTILE,
        organisation_name=HOSTILE,
        description_html="<p>" + HOSTILE + "</p>",
        description_text=HOSTILE,
        department=HOSTILE,
    )
    body = render(_ctx(title=HOSTILE, description=HOSTILE), [posting])
    root = _parse(body)
    tags = {e.tag.rsplit("}", 1)[-1] for e in root.iter()}
    assert "script" not in tags
    assert "p" not in tags
    texts = [e.text for e in root.iter() if e.text and "Engineer" in e.text]
    assert HOSTILE_CLEAN in texts
    assert "<p>" + HOSTILE_CLEAN + "</p>" in texts
    for text in texts:
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\ud800]", text)
    assert b"\x00" not in body
    assert b"\x07" not in body


def test_cdata_terminators_are_split_so_the_text_survives() -> None:
    posting = _posting(description_html="a]]>b]]]]>c<![CDATA[d")
    body = aggregator_xml(_ctx(), [posting])
    assert b"]]]]><![CDATA[>" in body
    job = _parse(body).find("job")
    assert job is not None
    assert _text(job, "description") == "a]]>b]]]]>c<![CDATA[d"


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_line_breaks_are_normalised_and_tabs_kept(render: Any) -> None:
    posting = _posting(description_html="<p>one\r\ntwo\rthree\tfour</p>")
    root = _parse(render(_ctx(), [posting]))
    assert "<p>one\ntwo\nthree\tfour</p>" in [e.text for e in root.iter()]


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_hostile_urls_are_escaped_in_attributes_and_text(render: Any) -> None:
    url = 'https://jobs.example.org/p?a=1&b="2"<x>'
    root = _parse(render(_ctx(), [_posting(url=url)]))
    values = [e.text for e in root.iter()] + [v for e in root.iter() for v in e.attrib.values()]
    assert url in values


# --- Atom ---------------------------------------------------------------------------------------


def test_atom_feed_structure() -> None:
    posting = _posting(published_at=datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    root = _parse(atom_feed(_ctx(description="Open roles at Acme"), [posting]))
    assert root.tag == f"{ATOM}feed"
    assert _text(root, f"{ATOM}id") == "https://jobs.example.org/v1/board/acme/feed.atom"
    assert _text(root, f"{ATOM}title") == "Acme careers"
    assert _text(root, f"{ATOM}subtitle") == "Open roles at Acme"
    assert _text(root, f"{ATOM}updated") == "2026-03-02T09:30:00Z"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "self": "https://jobs.example.org/v1/board/acme/feed.atom",
        "alternate": "https://jobs.example.org/v1/board/acme/postings",
    }
    (entry,) = root.findall(f"{ATOM}entry")
    assert _text(entry, f"{ATOM}id") == f"urn:uuid:{posting.id}"
    assert _text(entry, f"{ATOM}title") == "Back-End Engineer 1"
    assert _text(entry, f"{ATOM}published") == "2026-03-01T10:00:00Z"
    assert _text(entry, f"{ATOM}updated") == "2026-03-01T10:35:00Z"
    assert _text(entry, f"{ATOM}author/{ATOM}name") == "Acme GmbH"
    entry_links = {link.get("rel"): link.get("href") for link in entry.findall(f"{ATOM}link")}
    assert entry_links == {"alternate": posting.url, "related": posting.apply_url}
    content = entry.find(f"{ATOM}content")
    assert content is not None
    assert content.get("type") == "html"
    assert content.text == "<p>Build <strong>services</strong>.</p>"
    summary = entry.find(f"{ATOM}summary")
    assert summary is not None
    assert summary.get("type") == "text"
    assert summary.text == "Build services."
    terms = [c.get("term") for c in entry.findall(f"{ATOM}category")]
    assert terms == ["Engineering", "senior", "full_time", "onsite"]


def test_atom_summary_is_a_short_excerpt_of_the_text() -> None:
    text = " ".join(["word"] * 200)
    root = _parse(atom_feed(_ctx(), [_posting(description_text=text)]))
    summary = _text(root, f"{ATOM}entry/{ATOM}summary")
    assert len(summary) <= 300
    assert summary.endswith("word…")


def test_atom_entry_without_description_has_no_empty_content() -> None:
    root = _parse(atom_feed(_ctx(), [_posting(description_html=" ", description_text="")]))
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.find(f"{ATOM}content") is None
    assert entry.find(f"{ATOM}summary") is None


# --- RSS ----------------------------------------------------------------------------------------


def test_rss_feed_structure() -> None:
    posting = _posting()
    root = _parse(rss_feed(_ctx(self_url="https://jobs.example.org/v1/board/acme/feed.rss"), [posting]))
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    assert _text(channel, "title") == "Acme careers"
    assert _text(channel, "link") == "https://jobs.example.org/v1/board/acme/postings"
    assert _text(channel, "description") == "Acme careers"
    assert _text(channel, "lastBuildDate") == "Mon, 02 Mar 2026 09:30:00 GMT"
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None
    assert self_link.attrib == {
        "href": "https://jobs.example.org/v1/board/acme/feed.rss",
        "rel": "self",
        "type": "application/rss+xml",
    }
    (item,) = channel.findall("item")
    assert _text(item, "title") == "Back-End Engineer 1"
    assert _text(item, "link") == posting.url
    assert _text(item, "description") == "<p>Build <strong>services</strong>.</p>"
    guid = item.find("guid")
    assert guid is not None
    assert guid.get("isPermaLink") == "false"
    assert guid.text == f"urn:uuid:{posting.id}"
    pub_date = _text(item, "pubDate")
    assert pub_date == "Sun, 01 Mar 2026 10:30:00 GMT"
    assert parsedate_to_datetime(pub_date) == posting.published_at


# --- every feed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_same_postings_in_any_order_give_the_same_bytes_newest_first(render: Any) -> None:
    postings = [_salaried(n=n) if n % 2 else _posting(n=n) for n in range(1, 8)]
    first = render(_ctx(), postings)
    assert render(_ctx(), list(postings)) == first
    shuffled = list(postings)
    random.Random(7).shuffle(shuffled)
    assert render(_ctx(), shuffled) == first
    titles = [e.text for e in _parse(first).iter() if e.tag.rsplit("}", 1)[-1] == "title"]
    assert [t for t in titles if t and t.startswith("Back-End")] == [
        f"Back-End Engineer {n}" for n in range(7, 0, -1)
    ]


def test_equal_publication_times_are_ordered_by_id() -> None:
    a, b = _posting(n=2, published_at=T0), _posting(n=1, published_at=T0)
    assert atom_feed(_ctx(), [a, b]) == atom_feed(_ctx(), [b, a])
    ids = [e.text for e in _parse(atom_feed(_ctx(), [a, b])).iter(f"{ATOM}id")][1:]
    assert ids == [f"urn:uuid:{uuid.UUID(int=1)}", f"urn:uuid:{uuid.UUID(int=2)}"]


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_non_ascii_is_utf8_not_escaped(render: Any) -> None:
    body = render(_ctx(), [_posting(title="Développeuse 開発者", locations=(("Zürich", None, "CH"),))])
    assert "Développeuse 開発者".encode() in body
    assert b"&#" not in body


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_an_empty_board_is_a_valid_feed(render: Any) -> None:
    root = _parse(render(_ctx(), []))
    assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in {"job", "entry", "item"}]


@pytest.mark.parametrize("render", ALL_FEEDS)
def test_duplicate_postings_are_rejected(render: Any) -> None:
    with pytest.raises(ValueError, match="more than once"):
        render(_ctx(), [_posting(), _posting(title="Again")])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"published_at": datetime(2026, 3, 1)}, "timezone-aware"),
        ({"valid_through": datetime(2026, 4, 1)}, "timezone-aware"),
        ({"work_arrangement": "office"}, "work_arrangement"),
        ({"locations": (("Berlin", None, "de"),)}, "ISO 3166-1"),
        ({"remote_countries": ("Germany",)}, "ISO 3166-1"),
        ({"salary_min": 1, "salary_max": 2, "salary_currency": "EUR"}, "go together"),
        (
            {"salary_min": 1, "salary_max": 2, "salary_currency": "EUR", "salary_period": "week"},
            "salary_period",
        ),
        ({"url": "/v1/board/postings/1"}, "absolute"),
        ({"apply_url": "javascript:alert(1)"}, "absolute"),
        ({"title": "  "}, "blank"),
    ],
)
def test_malformed_postings_are_rejected_at_construction(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _posting(**overrides)


def test_malformed_context_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _ctx(generated_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="absolute"):
        _ctx(self_url="feed.atom")


def test_postings_are_immutable() -> None:
    posting = _posting()
    with pytest.raises(AttributeError):
        posting.title = "changed"  # type: ignore[misc]
    assert replace(posting, title="changed").title == "changed"


# --- sitemaps -----------------------------------------------------------------------------------


def test_sitemap_structure_keeps_the_given_order_and_escapes_urls() -> None:
    urls = [
        ("https://jobs.example.org/b?x=1&y=2", T0),
        ("https://jobs.example.org/a", datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))),
    ]
    body = sitemap(urls)
    assert b"x=1&amp;y=2" in body
    root = _parse(body)
    assert root.tag == f"{SM}urlset"
    entries = root.findall(f"{SM}url")
    assert [(_text(e, f"{SM}loc"), _text(e, f"{SM}lastmod")) for e in entries] == [
        ("https://jobs.example.org/b?x=1&y=2", "2026-03-01T09:30:00Z"),
        ("https://jobs.example.org/a", "2026-03-01T17:00:00Z"),
    ]


def test_sitemap_holds_exactly_the_protocol_maximum_and_refuses_one_more() -> None:
    urls = [(f"https://jobs.example.org/p/{i}", T0) for i in range(MAX_SITEMAP_URLS + 1)]
    root = _parse(sitemap(urls[:MAX_SITEMAP_URLS]))
    assert len(root.findall(f"{SM}url")) == MAX_SITEMAP_URLS == 50_000
    with pytest.raises(SitemapTooLarge, match="50001 URLs"):
        sitemap(urls)


def test_sitemap_refuses_relative_and_overlong_urls() -> None:
    with pytest.raises(ValueError, match="absolute"):
        sitemap([("/p/1", T0)])
    with pytest.raises(ValueError, match="shorter than 2048"):
        sitemap([("https://jobs.example.org/" + "a" * 2048, T0)])
    with pytest.raises(ValueError, match="timezone-aware"):
        sitemap([("https://jobs.example.org/p/1", datetime(2026, 1, 1))])


def test_sitemap_index_lists_sitemap_files() -> None:
    root = _parse(sitemap_index([("https://jobs.example.org/sitemap-1.xml", T0)]))
    assert root.tag == f"{SM}sitemapindex"
    (entry,) = root.findall(f"{SM}sitemap")
    assert _text(entry, f"{SM}loc") == "https://jobs.example.org/sitemap-1.xml"
    assert _text(entry, f"{SM}lastmod") == "2026-03-01T09:30:00Z"


def test_sitemap_is_deterministic() -> None:
    urls = [(f"https://jobs.example.org/p/{i}", T0 + timedelta(minutes=i)) for i in range(20)]
    assert sitemap(urls) == sitemap(list(urls))
