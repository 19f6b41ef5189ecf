"""The behaviour every :class:`~rolecall.board.search.SearchIndex` adapter shares.

Each test runs once per adapter through the ``search_index`` fixture. The reference semantics are in
the module docstring of :mod:`rolecall.board.tantivy_index`. Tests at the end of the file cover what
only the tantivy adapter has (checkpoint, files on disk, several instances on one directory).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from rolecall.board.database_index import DatabaseSearchIndex
from rolecall.board.search import (
    FACETS,
    FacetCount,
    FacetName,
    InvalidQuery,
    PostingDocument,
    SearchIndex,
    SearchQuery,
    SearchResult,
)
from rolecall.board.tantivy_index import CHECKPOINT_FILE, MAX_QUERY_TERMS, TantivySearchIndex
from rolecall.platform.db import create_engine, create_sessionmaker

START = datetime(2026, 1, 1, tzinfo=UTC)
FILLER = "You will join a small team and help customers every day with care and patience"

# ---------------------------------------------------------------------------------------------------
# Adapters. To run the suite against the database adapter, add "database-sqlite" and
# "database-postgresql" below and build it in the marked branch of ``search_index``.
ADAPTERS = [
    "tantivy",
    "database-sqlite",
    "database-postgresql",
]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def backend(adapter: str) -> str:
    """Overrides the conftest's parametrised ``backend``: a database adapter names its own database,
    and the tantivy runs do not multiply by database (they never ask for one)."""
    return adapter.removeprefix("database-")


# >>> database adapter: a sync fixture, because an async fixture cannot ask for another (db_url) by name.
@pytest.fixture
def database_url(adapter: str, request: pytest.FixtureRequest) -> str | None:
    """A migrated database (the conftest's ``db_url``, on the ``backend`` named by the adapter)."""
    if not adapter.startswith("database-"):
        return None
    url: str = request.getfixturevalue("db_url")
    return url


# <<< database adapter


@pytest.fixture
async def search_index(
    adapter: str, request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None
) -> AsyncIterator[SearchIndex]:
    if adapter == "tantivy":
        index = TantivySearchIndex(tmp_path / "index", writer_heap_bytes=15_000_000)
        yield index
        index.close()
        return
    # >>> database adapter (rolecall.board.database_index)
    if database_url is not None:
        engine = create_engine(database_url)
        yield DatabaseSearchIndex(create_sessionmaker(engine))
        await engine.dispose()
        return
    # <<< database adapter
    raise AssertionError(f"unknown adapter {adapter}")


# ---------------------------------------------------------------------------------------------------
# Helpers


def posting(number: int, **values: Any) -> PostingDocument:
    """A plain posting; ``number`` makes the id and the publication hour."""
    fields: dict[str, Any] = {
        "id": uuid.UUID(int=number),
        "organisation_id": uuid.UUID(int=10_000),
        "organisation_slug": "acme",
        "organisation_name": "Acme",
        "listed": True,
        "title": "Office Manager",
        "level": "mid",
        "department": "Operations",
        "employment_type": "full_time",
        "work_arrangement": "onsite",
        "locations": ("Berlin, DE",),
        "skills": ("excel",),
        "skill_names": ("Spreadsheets",),
        "body": FILLER,
        "published_at": START + timedelta(hours=number),
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
    }
    fields.update(values)
    return PostingDocument(**fields)


async def search(index: SearchIndex, **values: Any) -> SearchResult:
    return await index.search(SearchQuery(**values))


async def found(index: SearchIndex, **values: Any) -> list[int]:
    """Hit ids (as the ``number`` given to :func:`posting`) in result order."""
    values.setdefault("limit", 100)
    return [hit.id.int for hit in (await search(index, **values)).hits]


def counts(result: SearchResult, facet: FacetName) -> list[tuple[str, int]]:
    return [(entry.value, entry.count) for entry in result.facets[facet]]


# ---------------------------------------------------------------------------------------------------
# Matching and ranking


async def test_title_outranks_skills_which_outrank_body(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [
            # Same field lengths everywhere, so only the field the word is in tells them apart; the body
            # one even repeats it.
            posting(
                1, title="Office Manager", skill_names=("Spreadsheets", "Kotlin"), body=f"{FILLER} a b c"
            ),
            posting(
                2, title="Kotlin Manager", skill_names=("Spreadsheets", "Budgets"), body=f"{FILLER} a b c"
            ),
            posting(
                3, title="Office Manager", skill_names=("Spreadsheets", "Budgets"), body=f"{FILLER} a b c"
            ),
            posting(
                4,
                title="Office Manager",
                skill_names=("Spreadsheets", "Budgets"),
                body=f"{FILLER} kotlin kotlin kotlin",
            ),
        ]
    )
    result = await search(search_index, q="kotlin")
    assert [hit.id.int for hit in result.hits] == [2, 1, 4]
    assert result.hits[0].score > result.hits[1].score > result.hits[2].score > 0


async def test_every_word_must_match_but_in_any_field(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [
            posting(1, title="Python Developer"),
            posting(2, title="Rust Developer"),
            posting(3, title="Python Developer", body=f"{FILLER} and some rust"),
            posting(4, title="Support Engineer", skill_names=("Python", "Rust")),
        ]
    )
    assert sorted(await found(search_index, q="python rust")) == [3, 4]
    assert (await search(search_index, q="python rust")).total == 2
    assert sorted(await found(search_index, q="python developer")) == [1, 3]
    assert await found(search_index, q="python cobol") == []
    assert (await search(search_index, q="python cobol")).total == 0


async def test_case_and_plurals_do_not_matter(search_index: SearchIndex) -> None:
    """Guaranteed: case-insensitive matching and regular English plurals ("Engineers" ~ "engineer")."""
    await search_index.upsert([posting(1, title="Senior Engineers"), posting(2, title="Staff engineer")])
    for q in ("engineer", "ENGINEER", "Engineers", "engineers"):
        assert sorted(await found(search_index, q=q)) == [1, 2], q
    assert await found(search_index, q="nurse") == []


async def test_empty_query_matches_everything_newest_first(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1), posting(3), posting(2)])
    for q in ("", "   ", "!!!", "--"):
        result = await search(search_index, q=q)
        assert [hit.id.int for hit in result.hits] == [3, 2, 1], q
        assert result.total == 3
        assert all(hit.score == 0.0 for hit in result.hits)


async def test_punctuation_around_words_is_ignored(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1, title="Python Developer"), posting(2, title="Chef")])
    for q in ('"python"', "python*", "(python)", "python!", "+python", "'Python'", "python:"):
        assert await found(search_index, q=q) == [1], q


# ---------------------------------------------------------------------------------------------------
# Filters


FACET_CASES: list[tuple[FacetName, dict[str, Any], dict[str, Any], str]] = [
    ("location", {"locations": ("Paris, FR",)}, {"locations": ("Berlin, DE",)}, "Paris, FR"),
    ("work_arrangement", {"work_arrangement": "remote"}, {"work_arrangement": "onsite"}, "remote"),
    ("level", {"level": "senior"}, {"level": "junior"}, "senior"),
    ("department", {"department": "Sales"}, {"department": "Operations"}, "Sales"),
    ("employment_type", {"employment_type": "contract"}, {"employment_type": "full_time"}, "contract"),
    ("skills", {"skills": ("sql", "go")}, {"skills": ("excel",)}, "go"),
    ("organisation", {"organisation_slug": "globex"}, {"organisation_slug": "acme"}, "globex"),
    ("salary", {"salary_max": 120_000}, {"salary_max": 90_000}, "100000-150000"),
]


@pytest.mark.parametrize(
    ("facet", "wanted", "other", "value"), FACET_CASES, ids=[case[0] for case in FACET_CASES]
)
async def test_each_filter_restricts(
    search_index: SearchIndex, facet: FacetName, wanted: dict[str, Any], other: dict[str, Any], value: str
) -> None:
    await search_index.upsert([posting(1, **wanted), posting(2, **other), posting(3, **other)])
    result = await search(search_index, filters={facet: (value,)})
    assert [hit.id.int for hit in result.hits] == [1]
    assert result.total == 1
    assert await found(search_index, filters={facet: ("no-such-value",)}) == []
    assert sorted(await found(search_index, filters={facet: ()})) == [1, 2, 3]  # no values, no filter


async def test_or_within_a_facet_and_across_facets(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [
            posting(1, locations=("Berlin, DE",), level="senior"),
            posting(2, locations=("Paris, FR",), level="senior"),
            posting(3, locations=("Paris, FR", "Remote"), level="junior"),
            posting(4, locations=("Rome, IT",), level="senior"),
        ]
    )
    assert sorted(await found(search_index, filters={"location": ("Berlin, DE", "Paris, FR")})) == [1, 2, 3]
    assert sorted(
        await found(search_index, filters={"location": ("Berlin, DE", "Paris, FR"), "level": ("senior",)})
    ) == [1, 2]
    assert sorted(await found(search_index, filters={"location": ("Remote",), "level": ("senior",)})) == []
    result = await search(
        search_index, q="manager", filters={"location": ("Paris, FR",), "level": ("junior", "senior")}
    )
    assert sorted(hit.id.int for hit in result.hits) == [2, 3]
    assert result.total == 2


async def test_salary_at_least_never_matches_hidden_pay(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [
            posting(1, salary_max=90_000),
            posting(2, salary_max=100_000),
            posting(3, salary_max=150_000),
            posting(4, salary_max=None),
        ]
    )
    assert sorted(await found(search_index, salary_at_least=100_000)) == [2, 3]
    assert sorted(await found(search_index, salary_at_least=0)) == [1, 2, 3]
    assert await found(search_index, salary_at_least=10**30) == []
    assert sorted(await found(search_index, salary_at_least=-(10**30))) == [1, 2, 3]
    assert sorted(await found(search_index)) == [1, 2, 3, 4]


async def test_salary_buckets_are_half_open(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [
            posting(1, salary_max=49_999),
            posting(2, salary_max=50_000),
            posting(3, salary_max=250_000),
            posting(4),
        ]
    )
    assert await found(search_index, filters={"salary": ("0-50000",)}) == [1]
    assert await found(search_index, filters={"salary": ("50000-100000",)}) == [2]
    assert await found(search_index, filters={"salary": ("200000+",)}) == [3]
    assert sorted(await found(search_index, filters={"salary": ("0-50000", "200000+")})) == [1, 3]


async def test_organisation_board_ignores_listed_and_cross_board_needs_it(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [
            posting(1, organisation_slug="acme", listed=False),
            posting(2, organisation_slug="acme", listed=True),
            posting(3, organisation_slug="globex", listed=True),
            posting(4, organisation_slug="initech", listed=False),
        ]
    )
    assert sorted(await found(search_index)) == [2, 3]
    assert sorted(await found(search_index, organisation_slug="acme")) == [1, 2]
    assert await found(search_index, organisation_slug="initech") == [4]
    assert await found(search_index, organisation_slug="nobody") == []
    result = await search(search_index, organisation_slug="acme")
    assert result.total == 2
    assert counts(result, "organisation") == [("acme", 2)]


# ---------------------------------------------------------------------------------------------------
# Facets


async def test_facets_count_the_whole_match_set_not_the_page(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [
            posting(1, locations=("Berlin, DE", "Remote"), skills=("python", "sql"), salary_max=120_000),
            posting(2, locations=("Paris, FR",), skills=("python",), salary_max=60_000, level="senior"),
            posting(3, locations=("Remote",), skills=("go",), salary_max=None, level="senior"),
            posting(4, locations=("Remote", "Remote"), skills=("python", "python"), salary_max=130_000),
            posting(5, title="Chef", locations=("Rome, IT",), skills=("cooking",), listed=False),
        ]
    )
    result = await search(search_index, limit=1)
    assert len(result.hits) == 1
    assert result.total == 4
    assert set(result.facets) == set(FACETS)
    assert counts(result, "location") == [("Remote", 3), ("Berlin, DE", 1), ("Paris, FR", 1)]
    assert counts(result, "skills") == [("python", 3), ("go", 1), ("sql", 1)]
    assert counts(result, "level") == [("mid", 2), ("senior", 2)]
    assert counts(result, "salary") == [("100000-150000", 2), ("50000-100000", 1)]
    assert counts(result, "organisation") == [("acme", 4)]
    assert counts(result, "department") == [("Operations", 4)]

    narrowed = await search(search_index, q="manager", salary_at_least=100_000, offset=5)
    assert narrowed.hits == []
    assert narrowed.total == 2
    assert counts(narrowed, "location") == [("Remote", 2), ("Berlin, DE", 1)]
    assert counts(narrowed, "salary") == [("100000-150000", 2)]


async def test_facet_counts_leave_out_their_own_filter(search_index: SearchIndex) -> None:
    """Disjunctive facets: a facet's counts use every filter but its own."""
    await search_index.upsert(
        [
            posting(1, locations=("Berlin, DE",), level="senior", salary_max=120_000),
            posting(2, locations=("Berlin, DE",), level="junior", salary_max=60_000),
            posting(3, locations=("Paris, FR",), level="senior", salary_max=130_000),
            posting(4, locations=("Paris, FR",), level="junior"),
            posting(5, locations=("Rome, IT",), level="senior", salary_max=70_000),
        ]
    )
    result = await search(search_index, filters={"location": ("Berlin, DE",), "level": ("senior",)})
    assert [hit.id.int for hit in result.hits] == [1]
    assert result.total == 1
    # location: counted with the level filter only
    assert counts(result, "location") == [("Berlin, DE", 1), ("Paris, FR", 1), ("Rome, IT", 1)]
    # level: counted with the location filter only
    assert counts(result, "level") == [("junior", 1), ("senior", 1)]
    # facets without a filter: counted over the results
    assert counts(result, "salary") == [("100000-150000", 1)]
    assert counts(result, "work_arrangement") == [("onsite", 1)]

    salary = await search(search_index, filters={"salary": ("50000-100000",)})
    assert sorted(hit.id.int for hit in salary.hits) == [2, 5]
    assert counts(salary, "salary") == [("100000-150000", 2), ("50000-100000", 2)]
    assert counts(salary, "location") == [("Berlin, DE", 1), ("Rome, IT", 1)]


async def test_empty_facet_values_are_not_counted(search_index: SearchIndex) -> None:
    await search_index.upsert(
        [posting(1, department="", skills=("", "sql"), locations=()), posting(2, department="Sales")]
    )
    result = await search(search_index)
    assert counts(result, "department") == [("Sales", 1)]
    assert counts(result, "skills") == [("excel", 1), ("sql", 1)]
    assert counts(result, "location") == [("Berlin, DE", 1)]
    assert sorted(await found(search_index, filters={"department": ("",)})) == [1, 2]  # no value, no filter


async def test_facets_can_be_skipped_and_are_empty_without_matches(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1)])
    assert (await search(search_index, facets=False)).facets == {}
    empty = await search(search_index, q="astronaut")
    assert empty.total == 0
    assert empty.facets == {name: [] for name in FACETS}


async def test_facet_counts_follow_writes(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1, level="senior"), posting(2, level="senior")])
    assert counts(await search(search_index), "level") == [("senior", 2)]
    await search_index.upsert([posting(2, level="junior")])
    assert counts(await search(search_index), "level") == [("junior", 1), ("senior", 1)]
    await search_index.delete([uuid.UUID(int=1)])
    assert counts(await search(search_index), "level") == [("junior", 1)]


# ---------------------------------------------------------------------------------------------------
# Sorting and paging


async def test_sort_by_date_newest_first_then_id(search_index: SearchIndex) -> None:
    same = START + timedelta(days=3)
    await search_index.upsert(
        [
            posting(1, title="Python Developer", published_at=START),
            posting(2, title="Developer", body=f"{FILLER} python", published_at=START + timedelta(days=5)),
            posting(5, title="Python Developer", published_at=same),
            posting(4, title="Python Developer", published_at=same),
        ]
    )
    assert await found(search_index, q="python", sort="date") == [2, 4, 5, 1]
    assert await found(search_index, sort="date") == [2, 4, 5, 1]
    # by relevance the body-only match comes last; equal scores fall back to date, then id
    assert await found(search_index, q="python") == [4, 5, 1, 2]


async def test_relevance_ties_break_by_date_then_id_across_pages(search_index: SearchIndex) -> None:
    generator = random.Random(5)
    moments = [START + timedelta(days=generator.randrange(4)) for _ in range(40)]
    ids = [uuid.UUID(int=generator.getrandbits(128)) for _ in range(40)]
    documents = [
        replace(posting(0, title="Data Analyst", published_at=moment), id=identifier)
        for identifier, moment in zip(ids, moments, strict=True)
    ]
    documents.append(posting(1, title="Data Analyst Data Analyst"))  # scores differently
    generator.shuffle(documents)
    for start in range(0, len(documents), 7):  # several commits: several segments
        await search_index.upsert(documents[start : start + 7])

    everything = await search(search_index, q="analyst", limit=100)
    tied = [hit for hit in everything.hits if hit.id.int != 1]
    expected = sorted(zip(moments, ids, strict=True), key=lambda pair: (-pair[0].timestamp(), pair[1].int))
    assert [hit.id for hit in tied] == [identifier for _moment, identifier in expected]
    assert len({hit.score for hit in tied}) == 1

    paged = []
    for offset in range(0, 41, 6):
        page = await search(search_index, q="analyst", offset=offset, limit=6)
        assert page.total == 41
        paged.extend(page.hits)
    assert [hit.id for hit in paged] == [hit.id for hit in everything.hits]


async def test_a_long_run_of_ties_is_still_ordered(search_index: SearchIndex) -> None:
    """Hundreds of equal keys, written in the opposite of the expected order (oldest first, ids
    descending), so an adapter that trusted its storage order for ties would get the pages wrong."""
    count = 300
    await search_index.upsert(
        [
            posting(count - step, title="Data Analyst", published_at=START + timedelta(minutes=step))
            for step in range(count)
        ]
    )
    assert await found(search_index, q="analyst", limit=5) == [1, 2, 3, 4, 5]
    assert await found(search_index, q="analyst", offset=290, limit=20) == list(range(291, 301))
    await search_index.upsert(
        [posting(number, title="Data Analyst", published_at=START) for number in range(count, 0, -1)]
    )
    assert await found(search_index, sort="date", limit=5) == [1, 2, 3, 4, 5]
    assert await found(search_index, q="analyst", offset=150, limit=3) == [151, 152, 153]


async def test_paging_with_exact_total(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(number) for number in range(1, 26)])
    newest_first = list(range(25, 0, -1))
    seen: list[int] = []
    for offset in range(0, 25, 10):
        result = await search(search_index, offset=offset, limit=10)
        assert result.total == 25
        seen.extend(hit.id.int for hit in result.hits)
    assert seen == newest_first
    assert await found(search_index, offset=24, limit=10) == [1]
    beyond = await search(search_index, offset=25, limit=10)
    assert (beyond.hits, beyond.total) == ([], 25)
    nothing = await search(search_index, limit=0)
    assert (nothing.hits, nothing.total) == ([], 25)
    far = await search(search_index, offset=10**12, limit=10**12)
    assert (far.hits, far.total) == ([], 25)
    assert await found(search_index, offset=3, limit=2, sort="date") == [22, 21]


async def test_negative_paging_is_invalid(search_index: SearchIndex) -> None:
    with pytest.raises(InvalidQuery):
        await search(search_index, offset=-1)
    with pytest.raises(InvalidQuery):
        await search(search_index, limit=-1)


# ---------------------------------------------------------------------------------------------------
# Writes


async def test_upsert_is_idempotent_and_replaces(search_index: SearchIndex) -> None:
    first = posting(1, title="Python Developer", level="senior")
    await search_index.upsert([first])
    await search_index.upsert([first])
    result = await search(search_index, q="python")
    assert (result.total, [hit.id.int for hit in result.hits]) == (1, [1])
    assert counts(result, "level") == [("senior", 1)]

    await search_index.upsert([posting(1, title="Rust Developer", level="junior")])
    assert await found(search_index, q="python") == []
    after = await search(search_index, q="rust")
    assert (after.total, counts(after, "level")) == (1, [("junior", 1)])


async def test_the_last_copy_in_a_batch_wins(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1, title="Python Developer"), posting(1, title="Rust Developer")])
    assert (await search(search_index)).total == 1
    assert await found(search_index, q="rust") == [1]
    assert await found(search_index, q="python") == []


async def test_delete(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1), posting(2), posting(3)])
    await search_index.delete([uuid.UUID(int=2), uuid.UUID(int=99)])
    await search_index.delete([])
    assert await found(search_index) == [3, 1]
    await search_index.delete([uuid.UUID(int=2)])  # already gone: still fine
    await search_index.upsert([posting(2)])
    assert await found(search_index) == [3, 2, 1]


async def test_clear(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1), posting(2)])
    await search_index.clear()
    result = await search(search_index)
    assert (result.total, result.hits) == (0, [])
    assert result.facets == {name: [] for name in FACETS}
    await search_index.upsert([posting(3)])
    assert await found(search_index) == [3]


# ---------------------------------------------------------------------------------------------------
# Hostile input


HOSTILE_QUERIES = [
    '"',
    '"unterminated phrase',
    "title:python",
    "body:",
    ":",
    "(((",
    "python)",
    "python AND",
    "AND OR NOT",
    "-",
    "*",
    "?",
    "python~2",
    "python^10",
    "[a TO z]",
    "{}",
    "/regex.*/",
    "\\",
    "a\\b",
    "\x00",
    "\ud800 lone surrogate",
    "Zürich 東京 エンジニア مهندس 🚀",
    "'; DROP TABLE postings; --",
    "x" * 1000,
    ("python " * 200)[:1000],
    " ".join(f"w{n}" for n in range(MAX_QUERY_TERMS + 1)),
    " ".join(f"word{n}" for n in range(200))[:1000],
]


@pytest.mark.parametrize("q", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
async def test_hostile_queries_raise_at_most_invalid_query(search_index: SearchIndex, q: str) -> None:
    await search_index.upsert([posting(1, title="Python Developer")])
    for sort in ("relevance", "date"):
        try:
            result = await search(search_index, q=q, sort=sort)
        except InvalidQuery:
            continue
        assert result.total == len(result.hits)
        assert set(result.facets) == set(FACETS)


async def test_too_many_words_is_an_invalid_query(search_index: SearchIndex) -> None:
    words = " ".join(f"w{n}" for n in range(MAX_QUERY_TERMS + 1))
    with pytest.raises(InvalidQuery, match=str(MAX_QUERY_TERMS)):
        await search(search_index, q=words)
    await search(
        search_index, q=" ".join(f"w{n}" for n in range(MAX_QUERY_TERMS))
    )  # the limit itself is fine


async def test_hostile_filter_values_match_nothing(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(1)])
    odd: Sequence[str] = ('"; DROP TABLE x; --', "\x00", "\ud800", "*", "location:Berlin", "", "Berlin, DE)")
    for facet in FACETS:
        result = await search(search_index, filters={facet: tuple(odd)}, organisation_slug="\ud800")
        assert (result.total, result.hits) == (0, [])
    with pytest.raises(InvalidQuery):
        await search(search_index, filters={"colour": ("red",)})


# ---------------------------------------------------------------------------------------------------
# Concurrency


async def test_concurrent_searches_and_writes(search_index: SearchIndex) -> None:
    await search_index.upsert([posting(number, title="Python Developer") for number in range(1, 21)])
    totals: list[int] = []

    async def reader() -> None:
        for _ in range(10):
            totals.append((await search(search_index, q="python")).total)

    async def writer() -> None:
        for number in range(21, 31):
            await search_index.upsert([posting(number, title="Python Developer")])

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(reader)
        group.start_soon(writer)
    assert all(20 <= total <= 30 for total in totals)
    assert (await search(search_index, q="python")).total == 30


# ---------------------------------------------------------------------------------------------------
# Only the tantivy adapter


def file_names(directory: Path) -> list[str]:
    return [path.name for path in directory.rglob("*") if path.is_file()]


@pytest.fixture
def tantivy_path(tmp_path: Path) -> Path:
    return tmp_path / "tantivy"


async def test_tantivy_checkpoint_is_persisted_with_the_index(tantivy_path: Path) -> None:
    index = TantivySearchIndex(tantivy_path, writer_heap_bytes=15_000_000)
    assert index.checkpoint() is None
    index.save_checkpoint("2026-01-01T00:00:00+00:00")
    index.save_checkpoint("2026-01-02T00:00:00+00:00")
    await index.upsert([posting(1)])
    index.close()

    reopened = TantivySearchIndex(tantivy_path, writer_heap_bytes=15_000_000)
    assert reopened.checkpoint() == "2026-01-02T00:00:00+00:00"
    assert await found(reopened) == [1]
    files = file_names(tantivy_path)
    assert files.count(CHECKPOINT_FILE) == 1
    assert not [name for name in files if name.startswith(".checkpoint-")]

    await reopened.clear()
    assert reopened.checkpoint() is None
    reopened.close()


async def test_tantivy_in_memory_index() -> None:
    index = TantivySearchIndex.in_memory()
    assert index.checkpoint() is None
    index.save_checkpoint("x")
    assert index.checkpoint() == "x"
    await index.upsert([posting(1, title="Python Developer")])
    assert await found(index, q="python") == [1]
    await index.clear()
    assert index.checkpoint() is None


async def test_tantivy_reader_sees_commits_of_another_instance(tantivy_path: Path) -> None:
    writer = TantivySearchIndex(tantivy_path, writer_heap_bytes=15_000_000)
    reader = TantivySearchIndex(tantivy_path)
    await writer.upsert([posting(1)])
    first = await search(reader)
    assert (first.total, counts(first, "level")) == (1, [("mid", 1)])
    await writer.upsert([posting(2, level="senior")])
    second = await search(reader)
    assert (second.total, counts(second, "level")) == (2, [("mid", 1), ("senior", 1)])
    writer.close()


async def test_tantivy_accents_fold(tantivy_path: Path) -> None:
    index = TantivySearchIndex(tantivy_path, writer_heap_bytes=15_000_000)
    await index.upsert([posting(1, title="Barista Zürich"), posting(2, title="Café Manager")])
    assert await found(index, q="zurich") == [1]
    assert await found(index, q="CAFE") == [2]
    index.close()


def test_tantivy_facet_results_are_copies(tantivy_path: Path) -> None:
    index = TantivySearchIndex(tantivy_path, writer_heap_bytes=15_000_000)
    index.upsert_sync([posting(1)])
    first = index.search_sync(SearchQuery())
    first.facets["level"].append(FacetCount(value="bogus", count=9))
    assert index.search_sync(SearchQuery()).facets["level"] == [FacetCount(value="mid", count=1)]
    index.close()
