"""What only the database adapter of the board search has: transactions, SQL indexes, migrations.

The behaviour every adapter shares (matching, filters, facets, ordering, paging) is in
``test_search_index.py``; these tests cover the database-specific half, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolecall.board.database_index import (
    DatabaseSearchIndex,
    analyse,
    delete_documents,
    search_documents,
    upsert_documents,
)
from rolecall.board.models import (
    SEARCH_TRIGGERS,
    SEARCH_VECTOR_INDEX,
    UNMAPPED_SCHEMA_OBJECTS,
    BoardSearchDocument,
    BoardSearchFacet,
)
from rolecall.board.search import PostingDocument, SearchQuery
from rolecall.board.tantivy_index import TantivySearchIndex
from rolecall.platform import schema
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from tests.scratch import scratch_database

START = datetime(2026, 1, 1, tzinfo=UTC)


def posting(number: int, **values: Any) -> PostingDocument:
    fields: dict[str, Any] = {
        "id": uuid.UUID(int=number),
        "organisation_id": uuid.UUID(int=10_000),
        "organisation_slug": "acme",
        "organisation_name": "Acme",
        "listed": True,
        "title": f"Engineer {number}",
        "level": "senior",
        "department": "Engineering",
        "employment_type": "full_time",
        "work_arrangement": "hybrid",
        "locations": ("Berlin, DE",),
        "skills": ("python",),
        "skill_names": ("Python",),
        "body": "We build hiring software.",
        "published_at": START + timedelta(hours=number),
        "salary_max": 90_000,
    }
    fields.update(values)
    return PostingDocument(**fields)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


async def hit_ids(maker: async_sessionmaker[AsyncSession], **query: Any) -> list[int]:
    result = await DatabaseSearchIndex(maker).search(SearchQuery(**query))
    return [hit.id.int for hit in result.hits]


async def test_the_index_changes_with_the_callers_transaction(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(maker) as session:
        await upsert_documents(session, [posting(1, title="Rust developer")])

    class ProjectionFailed(Exception):
        pass

    async def fail_after_indexing() -> None:
        async with transaction(maker) as session:
            await upsert_documents(session, [posting(2, title="Rust engineer")])
            await delete_documents(session, [uuid.UUID(int=1)])
            # Inside the transaction the change is visible already...
            inside = await search_documents(session, SearchQuery(q="rust"))
            assert [hit.id.int for hit in inside.hits] == [2]
            raise ProjectionFailed

    with pytest.raises(ProjectionFailed):
        await fail_after_indexing()

    # ...and after the rollback it never happened, full-text index included.
    assert await hit_ids(maker, q="rust") == [1]
    assert await hit_ids(maker, q="engineer") == []
    async with transaction(maker) as session:
        assert await session.scalar(select(func.count()).select_from(BoardSearchDocument)) == 1


async def test_upserts_replace_text_and_facets_without_leftovers(
    maker: async_sessionmaker[AsyncSession], backend: str
) -> None:
    index = DatabaseSearchIndex(maker)
    await index.upsert([posting(1, title="Haskell wizard", skills=("haskell", "ocaml"))])
    await index.upsert([posting(1, title="Elixir alchemist", skills=("elixir",))])
    await index.upsert([posting(1, title="Elixir alchemist", skills=("elixir",))])

    assert await hit_ids(maker, q="haskell") == []
    assert await hit_ids(maker, q="alchemist") == [1]
    assert await hit_ids(maker, filters={"skills": ("haskell",)}) == []
    async with transaction(maker) as session:
        assert await session.scalar(select(func.count()).select_from(BoardSearchDocument)) == 1
        facets = (await session.execute(select(BoardSearchFacet.facet, BoardSearchFacet.value))).all()
        assert sorted(value for facet, value in facets if facet == "skills") == ["elixir"]
        if backend == "sqlite":
            # The FTS5 index is internally consistent after the trigger-driven deletes.
            await session.execute(
                text("INSERT INTO board_search_fts (board_search_fts) VALUES ('integrity-check')")
            )

    await index.delete([uuid.UUID(int=1), uuid.UUID(int=99)])  # unknown ids are ignored
    assert await hit_ids(maker, q="alchemist") == []
    async with transaction(maker) as session:
        assert await session.scalar(select(func.count()).select_from(BoardSearchFacet)) == 0


async def test_the_stored_text_is_the_analysed_terms(maker: async_sessionmaker[AsyncSession]) -> None:
    await DatabaseSearchIndex(maker).upsert(
        [posting(1, title="Zürich Engineers", skill_names=("Go", "Node.js"), body="IT and more")]
    )
    async with transaction(maker) as session:
        row = (await session.execute(select(BoardSearchDocument))).scalar_one()
    assert row.title_terms == "zurich engin"
    assert row.skill_terms == "go nodej"  # "Node.js" is one word, as "node js" and "nodejs" are (analysis.py)
    assert row.body_terms == "it and more"
    assert analyse("Engineering, ENGINEERS!") == ["engin", "engin"]


WORDY_TITLES = [
    "Barista Zürich",
    "Café Manager",
    "IT Support Engineer",
    "Go developer",
    "Node.js engineers",
    "Straße und Verkehr",
    "C++ / 3D graphics",
    "Инженер Москва",
    "東京 エンジニア",
    "Running runs runner",
    "x" * 39 + " " + "y" * 40,
    "naïve façade coöperate",
    "O'Reilly's e-mail_address",
]
WORDY_QUERIES = [
    "zurich", "ZÜRICH", "cafe", "café", "it", "IT support", "go", "node", "js", "node.js", "engineer",
    "strasse", "straße", "c", "3d", "graphics", "инженер", "москва", "東京", "run", "running", "runner",
    "x" * 39, "y" * 40, "naive", "facade", "cooperate", "reilly", "o'reilly", "e", "mail", "address",
    "the", "and", "und", "",
]  # fmt: skip


async def test_the_same_words_match_as_in_the_tantivy_adapter(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    """Both adapters analyse text with the same chain, so they agree on every match, edge cases too."""
    documents = [posting(number, title=title) for number, title in enumerate(WORDY_TITLES, start=1)]
    database, tantivy = DatabaseSearchIndex(maker), TantivySearchIndex.in_memory()
    await database.upsert(documents)
    await tantivy.upsert(documents)
    for q in WORDY_QUERIES:
        query = SearchQuery(q=q, limit=100, facets=False)
        expected = sorted(hit.id.int for hit in (await tantivy.search(query)).hits)
        assert sorted(hit.id.int for hit in (await database.search(query)).hits) == expected, q


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "title:rust",
        "NEAR(rust python, 2)",
        "rust AND OR NOT",
        "rust*",
        "^rust",
        "(((",
        "-rust +python",
        "a'b\"c",
        "rust\x00python",
        "caf\udce9",
        "🦀 rust",
        "x" * 10_000,
    ],
)
async def test_hostile_text_never_reaches_the_database_as_syntax(
    maker: async_sessionmaker[AsyncSession], q: str
) -> None:
    await DatabaseSearchIndex(maker).upsert([posting(1, title="Rust and Python")])
    result = await DatabaseSearchIndex(maker).search(SearchQuery(q=q))
    assert result.total in (0, 1)


async def test_hostile_filter_values_are_plain_values(maker: async_sessionmaker[AsyncSession]) -> None:
    index = DatabaseSearchIndex(maker)
    await index.upsert([posting(1)])
    for value in ("'; DROP TABLE board_search_documents; --", "a\x00b", "\udce9", "%", "_"):
        assert (await index.search(SearchQuery(filters={"location": (value,)}))).total == 0
        assert (await index.search(SearchQuery(organisation_slug=value))).total == 0
    assert (await index.search(SearchQuery(filters={"location": ("",)}))).total == 1  # no values: no filter
    result = await index.search(SearchQuery(salary_at_least=2**80, offset=2**70, limit=2**70))
    assert (result.total, result.hits) == (0, [])
    result = await index.search(SearchQuery(salary_at_least=-(2**80), offset=2**70, limit=2**70))
    assert (result.total, result.hits) == (1, [])


async def test_the_text_match_uses_the_gin_index_on_postgresql(
    maker: async_sessionmaker[AsyncSession], engine: AsyncEngine, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("GIN is PostgreSQL's")
    await DatabaseSearchIndex(maker).upsert([posting(n, title=f"Engineer {n} python") for n in range(1, 50)])

    statements: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        statements.append((statement, parameters))

    async with transaction(maker) as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            await search_documents(session, SearchQuery(q="python engineer", limit=5))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        assert len(statements) == 2  # counts and facets, then the page
        connection = await session.connection()
        for statement, parameters in statements:
            plan = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            assert SEARCH_VECTOR_INDEX in "\n".join(row[0] for row in plan), statement


async def _search_objects(engine: AsyncEngine, backend: str) -> set[str]:
    async with engine.connect() as connection:
        if backend == "sqlite":
            rows = await connection.execute(
                text("SELECT type || ':' || name FROM sqlite_master WHERE name LIKE 'board_search%'")
            )
        else:
            rows = await connection.execute(
                text(
                    "SELECT 'table:' || tablename FROM pg_tables WHERE tablename LIKE 'board_search%' "
                    "UNION ALL SELECT 'index:' || indexname FROM pg_indexes "
                    "WHERE tablename LIKE 'board_search%' AND indexname = :gin "
                    "UNION ALL SELECT 'column:' || table_name || '.' || column_name "
                    "FROM information_schema.columns "
                    "WHERE table_name LIKE 'board_search%' AND data_type = 'tsvector'"
                ),
                {"gin": SEARCH_VECTOR_INDEX},
            )
        return {row[0] for row in rows}


def _full_text_objects(backend: str) -> set[str]:
    if backend == "sqlite":
        tables = {f"table:{name}" for kind, name in UNMAPPED_SCHEMA_OBJECTS if kind == "table"}
        return tables | {f"trigger:{name}" for name in SEARCH_TRIGGERS}
    return {f"{kind}:{name}" for kind, name in UNMAPPED_SCHEMA_OBJECTS if kind in ("column", "index")}


async def test_the_migration_creates_and_drops_the_full_text_objects(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with scratch_database(backend, tmp_path, request) as url:
        schema.upgrade(url)
        engine = create_engine(url)
        try:
            at_head = await _search_objects(engine, backend)
            assert _full_text_objects(backend) <= at_head
            assert {name for name in at_head if name.startswith("table:")} >= {
                "table:board_search_documents",
                "table:board_search_facets",
            }

            schema.downgrade(url, "0001")
            assert await _search_objects(engine, backend) == set()

            schema.upgrade(url)
            assert await _search_objects(engine, backend) == at_head
            # And the re-created machinery indexes again.
            maker = create_sessionmaker(engine)
            await DatabaseSearchIndex(maker).upsert([posting(1, title="Kotlin developer")])
            assert await hit_ids(maker, q="kotlin") == [1]
        finally:
            await engine.dispose()


async def test_the_full_text_machinery_exists_at_head(engine: AsyncEngine, backend: str) -> None:
    """A later migration that rebuilds board_search_documents (SQLite batch mode) must keep it."""
    assert _full_text_objects(backend) <= await _search_objects(engine, backend)
