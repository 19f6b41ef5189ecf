"""How the careers pages put board data into words: facet labels, filter links, paging, excerpts.

Pure functions of what :func:`rolecall.board.service.search` and :func:`~rolecall.board.service.posting`
return, so the pages stay thin and the wording is tested without a database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from rolecall.board import service
from rolecall.board.params import BoardSearchParams
from rolecall.board.search import SALARY_BUCKETS, FacetName

WORK_ARRANGEMENTS = {"onsite": "On-site", "hybrid": "Hybrid", "remote": "Remote"}
LEVELS = {
    "junior": "Junior",
    "mid": "Mid-level",
    "senior": "Senior",
    "lead": "Lead",
    "principal": "Principal",
}
EMPLOYMENT_TYPES = {
    "full_time": "Full-time",
    "part_time": "Part-time",
    "contract": "Contract",
    "temporary": "Temporary",
    "internship": "Internship",
}
EN_DASH = "\u2013"
PERIODS = {"year": "a year", "month": "a month", "hour": "an hour"}

# Facet groups in the order a job seeker narrows a search: where, how, how senior, then the rest.
FACET_TITLES: dict[FacetName, str] = {
    "location": "Location",
    "work_arrangement": "Work arrangement",
    "level": "Level",
    "department": "Department",
    "employment_type": "Employment type",
    "skills": "Skills",
    "salary": "Salary (yearly maximum)",
    "organisation": "Organisation",
}
_FIXED: dict[str, Mapping[str, str]] = {
    "work_arrangement": WORK_ARRANGEMENTS,
    "level": LEVELS,
    "employment_type": EMPLOYMENT_TYPES,
}


def _salary_bucket_label(key: str) -> str:
    for bucket, low, high in SALARY_BUCKETS:
        if bucket == key:
            if high is None:
                return f"{low:,} or more"
            return f"Up to {high:,}" if low == 0 else f"{low:,} to {high:,}"
    return key


Names = Mapping[str, Mapping[str, str]]  # facet -> value -> display name (skills, organisations)


def facet_label(name: str, value: str, names: Names) -> str:
    """A facet value in plain words; ``names`` holds the display names of skill ids and board slugs."""
    if name in _FIXED:
        return _FIXED[name].get(value, value.replace("_", " ").capitalize())
    if name == "salary":
        return _salary_bucket_label(value)
    if name in ("skills", "organisation"):
        return names.get(name, {}).get(value) or value.removeprefix("esco:").replace("-", " ")
    return value


def salary_text(salary: Mapping[str, Any] | None) -> str:
    if not salary:
        return ""
    low, high = f"{salary['min']:,}", f"{salary['max']:,}"
    amount = low if low == high else low + EN_DASH + high
    return f"{salary['currency']} {amount} {PERIODS.get(salary['period'], 'per ' + salary['period'])}"


def places(posting: Mapping[str, Any]) -> str:
    """Where the job is: its locations, and for remote jobs the countries one may work from."""
    shown = [loc["display"] for loc in posting.get("locations") or []]
    if posting.get("work_arrangement") == "remote":
        countries = posting.get("remote_countries") or []
        shown.append("Remote" + (f" ({', '.join(countries)})" if countries else ""))
    return "; ".join(shown)


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int | None  # None: ticked, but not among the values the search counted
    checked: bool
    id: str


@dataclass(frozen=True)
class FacetGroup:
    name: str
    title: str
    options: list[FacetOption]


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    remove_url: str


def _option_id(name: str, value: str) -> str:
    """Stable across searches, so htmx puts focus back on the box just ticked after the swap."""
    digest = hashlib.blake2s(value.encode(), digest_size=5).hexdigest()
    return f"facet-{name.replace('_', '-')}-{digest}"


def facet_groups(
    facets: Mapping[str, Sequence[Mapping[str, Any]]],
    filters: Mapping[FacetName, Sequence[str]],
    names: Names,
    order: Iterable[FacetName],
) -> list[FacetGroup]:
    """Checkbox groups: the counted values, plus any ticked value the counts left out, so a filter
    in force can always be seen and removed."""
    groups = []
    for name in order:
        counted = {entry["value"]: int(entry["count"]) for entry in facets.get(name, [])}
        ticked = list(filters.get(name, ()))
        values = list(counted) + [v for v in ticked if v not in counted]
        if not values:
            continue
        options = [
            FacetOption(v, facet_label(name, v, names), counted.get(v), v in ticked, _option_id(name, v))
            for v in values
        ]
        groups.append(FacetGroup(name, FACET_TITLES[name], options))
    return groups


def query_pairs(p: BoardSearchParams, *, cursor: str | None = None) -> list[tuple[str, str]]:
    """The parameters of a search as a query string lists them (paging and filter links keep them)."""
    pairs: list[tuple[str, str]] = []
    if p.q:
        pairs.append(("q", p.q))
    for name, values in p.filters.items():
        pairs += [(name, v) for v in values]
    if p.salary_at_least is not None:
        pairs.append(("salary_at_least", str(p.salary_at_least)))
    if p.sort != "relevance":
        pairs.append(("sort", p.sort))
    if p.limit != 20:
        pairs.append(("limit", str(p.limit)))
    if p.facet_limit != 20:
        pairs.append(("facet_limit", str(p.facet_limit)))
    if cursor:
        pairs.append(("cursor", cursor))
    return pairs


def url(path: str, pairs: Sequence[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


def active_filters(path: str, p: BoardSearchParams, names: Names) -> list[ActiveFilter]:
    """Each filter in force with the link that drops just it (and goes back to the first page)."""
    pairs = query_pairs(p)
    found = []
    for index, (key, value) in enumerate(pairs):
        if key in ("sort", "limit", "facet_limit"):
            continue
        if key == "q":
            label = f"Search: “{value}”"
        elif key == "salary_at_least":
            label = f"Salary at least {int(value):,}"
        else:
            label = f"{FACET_TITLES[key]}: {facet_label(key, value, names)}"  # type: ignore[index]
        found.append(ActiveFilter(label, url(path, pairs[:index] + pairs[index + 1 :])))
    return found


@dataclass(frozen=True)
class Paging:
    first: int  # 1-based number of the first result shown
    last: int
    total: int
    previous_url: str | None
    next_url: str | None


def paging(path: str, p: BoardSearchParams, shown: int, total: int, next_cursor: str | None) -> Paging:
    previous_url = None
    if p.offset > 0:
        back = max(0, p.offset - p.limit)
        previous_url = url(path, query_pairs(p, cursor=service.encode_cursor(back) if back else None))
    next_url = url(path, query_pairs(p, cursor=next_cursor)) if next_cursor else None
    return Paging(p.offset + 1, p.offset + shown, total, previous_url, next_url)


_DEFAULT_HEADER = re.compile(r'\A(<article class="job-description">\n)<header>\n.*?</header>\n', re.DOTALL)
_H1 = re.compile(r"<(/?)h1\b")

_JSON_LD_BLOCK = re.compile(r'<script type="application/ld\+json">.*?</script>\s*', re.DOTALL)
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")


def description_body(html: str) -> str:
    """The posting's description under the page's own title: the renderer's header (title, meta)
    repeats what the page shows above it, and its ``<h1>`` would make a second one. Its JSON-LD
    block goes too: the page places the posting's ``json_ld`` itself, with the page's URL in it."""
    body = _JSON_LD_BLOCK.sub("", _DEFAULT_HEADER.sub(r"\1", html, count=1))
    return _H1.sub(r"<\1h2", body)


def excerpt(text: str, limit: int = 200) -> str:
    """A plain-text summary for search engines and link previews: the first paragraphs, cut at a word."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    prose = [line for line in lines if len(line) > 60 and not line.startswith("- ")] or lines
    joined = " ".join(" ".join(prose).split())
    if len(joined) <= limit:
        return joined
    cut = joined[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def json_ld(data: Mapping[str, Any], url: str) -> str:
    """The posting's schema.org data with the job page as its ``url``, safe inside ``<script>``:
    no ``<``, ``>`` or ``&`` survive, so no value can close the element or open a comment."""
    text = json.dumps({**data, "url": url}, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE_RE.sub(lambda m: _SCRIPT_UNSAFE[m.group(0)], text)
