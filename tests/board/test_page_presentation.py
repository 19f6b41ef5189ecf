"""The wording and markup helpers of the careers pages, without a database."""

from __future__ import annotations

import json

from rolecall.board import presentation as show
from rolecall.board import theme
from rolecall.board.params import BoardSearchParams
from rolecall.board.service import encode_cursor


def _params(**changes: object) -> BoardSearchParams:
    values: dict[str, object] = {
        "q": "",
        "facet_limit": 20,
        "filters": {},
        "salary_at_least": None,
        "sort": "relevance",
        "limit": 20,
        "offset": 0,
    }
    values.update(changes)
    return BoardSearchParams.model_validate(values)


def test_facet_values_are_put_in_plain_words() -> None:
    names = {"skills": {"postgresql": "PostgreSQL"}, "organisation": {"acme": "Acme Ltd"}}
    assert show.facet_label("work_arrangement", "remote", names) == "Remote"
    assert show.facet_label("work_arrangement", "onsite", names) == "On-site"
    assert show.facet_label("level", "mid", names) == "Mid-level"
    assert show.facet_label("employment_type", "full_time", names) == "Full-time"
    assert show.facet_label("salary", "0-50000", names) == "Up to 50,000"
    assert show.facet_label("salary", "50000-100000", names) == "50,000 to 100,000"
    assert show.facet_label("salary", "200000+", names) == "200,000 or more"
    assert show.facet_label("skills", "postgresql", names) == "PostgreSQL"
    assert show.facet_label("organisation", "acme", names) == "Acme Ltd"
    assert show.facet_label("organisation", "other-org", names) == "other org"
    assert show.facet_label("location", "Berlin, DE", names) == "Berlin, DE"


def test_paging_links_keep_the_search_and_step_by_the_page_size() -> None:
    p = _params(q="rust", filters={"level": ("senior", "lead")}, limit=10, offset=20, sort="date")
    paging = show.paging("/jobs", p, 10, 45, "NEXT")
    assert (paging.first, paging.last, paging.total) == (21, 30, 45)
    assert paging.next_url == "/jobs?q=rust&level=senior&level=lead&sort=date&limit=10&cursor=NEXT"
    assert paging.previous_url is not None
    assert f"cursor={encode_cursor(10)}" in paging.previous_url
    first = show.paging("/jobs", _params(limit=10, offset=10), 10, 45, None)
    assert first.previous_url == "/jobs?limit=10"
    assert first.next_url is None


def test_each_active_filter_links_to_the_search_without_it() -> None:
    p = _params(q="go", filters={"work_arrangement": ("remote",)}, salary_at_least=90000, offset=40)
    found = {f.label: f.remove_url for f in show.active_filters("/careers/acme", p, {})}
    assert found == {
        "Search: \u201cgo\u201d": "/careers/acme?work_arrangement=remote&salary_at_least=90000",
        "Work arrangement: Remote": "/careers/acme?q=go&salary_at_least=90000",
        "Salary at least 90,000": "/careers/acme?q=go&work_arrangement=remote",
    }


def test_ticked_values_missing_from_the_counts_are_still_listed() -> None:
    groups = show.facet_groups(
        {"level": [{"value": "senior", "count": 3}]}, {"level": ("principal",)}, {}, ("level", "skills")
    )
    assert [(o.label, o.count, o.checked) for o in groups[0].options] == [
        ("Senior", 3, False),
        ("Principal", None, True),
    ]
    assert len(groups) == 1  # a facet with no values is left out


def test_the_description_loses_its_header_h1_and_json_ld() -> None:
    html = (
        '<article class="job-description">\n<header>\n<h1>Title</h1>\n<p>meta</p>\n</header>\n'
        "<section><h2>About</h2><p>x</p></section>\n<h1>Override</h1>\n"
        '<script type="application/ld+json">\n{"a": 1}\n</script>\n</article>\n'
    )
    body = show.description_body(html)
    assert "<header>" not in body
    assert "<h1" not in body
    assert "<h2>Override</h2>" in body
    assert "ld+json" not in body
    assert body.startswith('<article class="job-description">\n<section>')


def test_json_ld_cannot_close_its_script_element() -> None:
    text = show.json_ld({"title": "</script><script>alert(1)</script> & \u2028"}, "https://x.test/jobs/1")
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert "\u2028" not in text
    assert json.loads(text) == {
        "title": "</script><script>alert(1)</script> & \u2028",
        "url": "https://x.test/jobs/1",
    }


def test_excerpts_are_short_plain_text_cut_at_a_word() -> None:
    text = (
        "About us\n"
        + "Acme builds robots that sort parcels in warehouses around the world. " * 6
        + "\n- item"
    )
    found = show.excerpt(text)
    assert len(found) <= 200
    assert found.endswith("\u2026")
    assert found.startswith("Acme builds robots")
    assert show.excerpt("Short.") == "Short."


def test_the_theme_keeps_text_readable_on_white() -> None:
    css = theme.stylesheet("#ffcc00")  # far too light for white text
    assert css is not None
    primary = css.split("--pico-primary: ")[1].split(";")[0]
    rgb = theme.parse(primary)
    assert rgb is not None
    assert theme.contrast_with_white(rgb) >= 4.5
    assert theme.stylesheet("red") is None
    assert theme.stylesheet("#12345") is None
    assert theme.version("#0B6E4F") == theme.version("#0b6e4f")
