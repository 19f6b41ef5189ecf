"""The database adapter of the board's :class:`~rolecall.board.search.SearchIndex`.

For boards small enough that running a tantivy index beside the database is not worth it: the index is
two tables in the application database (``board_search_documents`` and ``board_search_facets``, see
:mod:`rolecall.board.models`), written by :func:`upsert_documents` / :func:`delete_documents` inside
the caller's transaction, so it changes atomically with the board projection. The full-text part is
PostgreSQL's ``tsvector`` + GIN or SQLite's FTS5, both maintained by the database itself.

Semantics are those of :mod:`rolecall.board.tantivy_index` (its module docstring is the reference),
and the shared behaviour suite runs against both adapters:

Text analysis
    Done here, in Python, with the same tantivy analyzer chain as the tantivy adapter (split on every
    character that is not a letter or digit, drop tokens of 40 bytes or more, lowercase, ASCII-fold,
    English Snowball stemmer, no stop words). The documents table stores the resulting *terms*; the
    databases index them verbatim (PostgreSQL configuration ``simple``, FTS5 tokenizer ``ascii``), and
    the query is analysed by the same chain. Both adapters therefore match exactly the same words,
    which a database-native configuration (``english`` drops "IT" as a stop word and does not fold
    "Zürich"; FTS5's porter is not Snowball) could not promise.

Free text: AND
    Every distinct query term must occur in one of title, skills or body. PostgreSQL:
    ``search_vector @@ plainto_tsquery('simple', terms)`` (terms joined by spaces, so the query is
    their conjunction); FTS5: ``"t1" AND "t2" ...`` (every term a quoted string, so the user's input is
    never FTS5 syntax). A query without terms matches everything; more than ``MAX_QUERY_TERMS``
    distinct terms raises :class:`~rolecall.board.search.InvalidQuery`.

Relevance
    PostgreSQL: ``ts_rank`` with weights title 1.0 : skills 0.4 : body 0.2 (A : B : C). SQLite: the
    sum of FTS5's per-column ``bm25()``, boosted 5 : 2 : 1. Both use the tantivy boosts' 5 : 2 : 1 (the
    numbers are not comparable across adapters, the order is what counts). The score of a hit is this
    value for a relevance-sorted text query and ``0.0`` otherwise. Ties: ``published_at`` descending,
    then posting id ascending; ``date`` (and relevance without text) is ``published_at`` descending,
    then id.

Filters and facets
    Scope (``organisation_slug`` set: that organisation's postings, ``listed`` ignored; unset: listed
    postings only) and ``salary_at_least`` form the base set with the text match. Facet filters are
    AND across facets and OR within one; facets are disjunctive: the counts of facet *f* are taken with
    every filter except *f*'s own. The salary facet buckets ``salary_max`` with a CASE expression over
    ``SALARY_BUCKETS``; the other facets are one ``GROUP BY facet, value`` over
    ``board_search_facets``. ``total`` and all the counts come from one statement over one
    (materialised) match set; the page is a second statement with ``ORDER BY ... LIMIT ... OFFSET``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Float,
    Select,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, REAL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.expression import CTE

from rolecall.board.analysis import normalise, text_analyzer
from rolecall.board.models import (
    SEARCH_FTS_TABLE,
    SEARCH_VECTOR_COLUMN,
    BoardSearchDocument,
    BoardSearchFacet,
)
from rolecall.board.search import (
    FACETS,
    MAX_QUERY_TERMS,
    SALARY_BUCKETS,
    FacetCount,
    FacetName,
    InvalidQuery,
    PostingDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from rolecall.platform.db import transaction

__all__ = [
    "DatabaseSearchIndex",
    "analyse",
    "clear_documents",
    "delete_documents",
    "search_documents",
    "upsert_documents",
]

T = TypeVar("T")
_Counts = Select[str | None, str | None, int]  # facet (None: the total row), value, count

_BATCH = 500  # documents per statement: well under SQLite's bound-parameter limit
_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)
# ts_rank weights are given as {D, C, B, A}; title is A, skills B, body C (5 : 2 : 1).
_PG_WEIGHTS = [0.0, 0.2, 0.4, 1.0]
_FTS_BOOSTS = (5.0, 2.0, 1.0)  # title, skills, body


_ANALYZER = text_analyzer()


def _clean(text: str) -> str:
    """Lone surrogates and NUL cannot be stored or bound by either database: replace them."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def analyse(text: str) -> list[str]:
    """The terms of ``text``: the normalisation and analyzer of the tantivy adapter, run in Python."""
    terms: list[str] = _ANALYZER.analyze(_clean(normalise(text)))
    return terms


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _chunks(items: Sequence[T], size: int = _BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


# -- write side (inside the caller's transaction) -------------------------------------------------


def _document_row(document: PostingDocument) -> dict[str, Any]:
    return {
        "posting_id": document.id,
        "organisation_id": document.organisation_id,
        "organisation_slug": _clean(document.organisation_slug),
        "listed": document.listed,
        "published_at": document.published_at,
        "salary_max": document.salary_max,
        "title_terms": " ".join(analyse(document.title)),
        "skill_terms": " ".join(term for name in _distinct(document.skill_names) for term in analyse(name)),
        "body_terms": " ".join(analyse(document.body)),
    }


def _facet_values(document: PostingDocument) -> dict[FacetName, Iterable[str]]:
    return {
        "location": document.locations,
        "work_arrangement": (document.work_arrangement,),
        "level": (document.level,),
        "department": (document.department,),
        "employment_type": (document.employment_type,),
        "skills": document.skills,
        "organisation": (document.organisation_slug,),
    }


async def upsert_documents(session: AsyncSession, documents: Sequence[PostingDocument]) -> None:
    """Index ``documents`` (replacing earlier versions) in the session's current transaction.

    Idempotent; when one id appears twice, the last document wins.
    """
    latest = list({document.id: document for document in documents}.values())
    for batch in _chunks(latest):
        await delete_documents(session, [document.id for document in batch])
        inserted = await session.execute(
            insert(BoardSearchDocument).returning(BoardSearchDocument.posting_id, BoardSearchDocument.doc_no),
            [_document_row(document) for document in batch],
        )
        doc_nos: dict[uuid.UUID, int] = {posting_id: doc_no for posting_id, doc_no in inserted.all()}
        facets = [
            {"doc_no": doc_nos[document.id], "facet": facet, "value": value}
            for document in batch
            for facet, values in _facet_values(document).items()
            for value in _distinct(_clean(value) for value in values)
        ]
        if facets:
            await session.execute(insert(BoardSearchFacet), facets)


async def delete_documents(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Remove postings from the index in the session's current transaction; unknown ids are ignored."""
    for batch in _chunks(list(dict.fromkeys(ids))):
        doc_nos = select(BoardSearchDocument.doc_no).where(BoardSearchDocument.posting_id.in_(batch))
        await session.execute(
            delete(BoardSearchFacet)
            .where(BoardSearchFacet.doc_no.in_(doc_nos))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(BoardSearchDocument)
            .where(BoardSearchDocument.posting_id.in_(batch))
            .execution_options(synchronize_session=False)
        )


async def clear_documents(session: AsyncSession) -> None:
    await session.execute(delete(BoardSearchFacet).execution_options(synchronize_session=False))
    await session.execute(delete(BoardSearchDocument).execution_options(synchronize_session=False))


# -- read side ------------------------------------------------------------------------------------


def _query_terms(q: str) -> list[str]:
    terms = _distinct(analyse(q))
    if len(terms) > MAX_QUERY_TERMS:
        raise InvalidQuery(f"A search can use at most {MAX_QUERY_TERMS} different words.")
    return terms


def _clamp(value: int) -> int:
    return max(_INT64_MIN, min(_INT64_MAX, value))


def _matches(query: SearchQuery, terms: list[str], dialect: str, *, ranked: bool) -> CTE:
    """The base set (text, scope, ``salary_at_least``) before facet filters, scored if ``ranked``."""
    doc = BoardSearchDocument
    conditions: list[ColumnElement[bool]] = []
    if query.organisation_slug is not None:
        conditions.append(doc.organisation_slug == _clean(query.organisation_slug))
    else:
        conditions.append(doc.listed.is_(True))
    if query.salary_at_least is not None:
        conditions.append(doc.salary_max >= _clamp(query.salary_at_least))

    score: ColumnElement[float] = literal(0.0, Float)
    columns = (doc.doc_no, doc.posting_id, doc.published_at, doc.salary_max)
    if not terms:
        stmt = select(*columns, score.label("score")).where(*conditions)
    elif dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column(f"{doc.__tablename__}.{SEARCH_VECTOR_COLUMN}")
        tsquery = func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(terms))
        if ranked:
            weights = literal(_PG_WEIGHTS, ARRAY(REAL))
            score = func.ts_rank(weights, vector, tsquery, type_=Float)
        stmt = select(*columns, score.label("score")).where(vector.bool_op("@@")(tsquery), *conditions)
    else:
        fts = table(SEARCH_FTS_TABLE, literal_column("rowid"))
        fts_ref: ColumnElement[Any] = literal_column(SEARCH_FTS_TABLE)
        expression = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
        if ranked:
            score = _fts_score(fts_ref)
        stmt = (
            select(*columns, score.label("score"))
            .select_from(fts)
            .join(doc, doc.doc_no == literal_column(f"{SEARCH_FTS_TABLE}.rowid"))
            .where(fts_ref.bool_op("MATCH")(expression), *conditions)
        )
    return stmt.cte("matches")


def _fts_score(fts: ColumnElement[Any]) -> ColumnElement[float]:
    """Per-column BM25 scores, boosted and summed, as tantivy scores a term over its three fields.

    ``bm25(t, 5, 2, 1)`` would weight the term *frequencies* before BM25 saturates them, so three
    mentions in the body could outscore one in the skills; one ``bm25()`` per column keeps each field's
    saturation separate. FTS5's ``bm25()`` is lower-is-better, hence the minus.
    """
    per_column = [
        -func.bm25(fts, *(1.0 if column == index else 0.0 for column in range(len(_FTS_BOOSTS))), type_=Float)
        * boost
        for index, boost in enumerate(_FTS_BOOSTS)
    ]
    return per_column[0] + per_column[1] + per_column[2]


def _facet_filters(query: SearchQuery, matches: CTE) -> dict[FacetName, ColumnElement[bool]]:
    filters: dict[FacetName, ColumnElement[bool]] = {}
    for name, raw_values in query.filters.items():
        if name not in FACETS:
            raise InvalidQuery(f"Unknown filter {name!r}.")
        values = _distinct(_clean(value) for value in raw_values)
        if not values:
            continue
        if name == "salary":
            bounds = {key: (low, high) for key, low, high in SALARY_BUCKETS}
            ranges = [_salary_range(matches, *bounds[value]) for value in values if value in bounds]
            filters[name] = or_(*ranges) if ranges else false()
        else:
            facet = BoardSearchFacet
            with_value = select(facet.doc_no).where(facet.facet == name, facet.value.in_(values))
            filters[name] = matches.c.doc_no.in_(with_value)
    return filters


def _salary_range(matches: CTE, low: int, high: int | None) -> ColumnElement[bool]:
    salary = matches.c.salary_max
    return salary >= low if high is None else and_(salary >= low, salary < high)


def _counts_statement(
    matches: CTE, filters: dict[FacetName, ColumnElement[bool]], facets: bool
) -> CompoundSelect[str | None, str | None, int] | _Counts:
    """(facet, value, count) rows: one with facet NULL for ``total``, then every facet count."""
    every = list(filters.values())
    parts: list[_Counts] = [
        select(null().label("facet"), null().label("value"), func.count().label("n")).where(*every)
    ]
    if facets:
        unfiltered = [name for name in FACETS if name not in filters and name != "salary"]
        if unfiltered:
            parts.append(_keyword_counts(matches, unfiltered, every))
        for name in filters:
            if name != "salary":
                others = [clause for other, clause in filters.items() if other != name]
                parts.append(_keyword_counts(matches, [name], others))
        others = [clause for other, clause in filters.items() if other != "salary"]
        parts.append(_salary_counts(matches, others))
    parts[0] = parts[0].select_from(matches)
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _keyword_counts(
    matches: CTE, names: Sequence[FacetName], conditions: list[ColumnElement[bool]]
) -> _Counts:
    facet = BoardSearchFacet
    return (
        select(facet.facet.label("facet"), facet.value.label("value"), func.count().label("n"))
        .select_from(matches)
        .join(facet, facet.doc_no == matches.c.doc_no)
        .where(facet.facet.in_(names) if len(names) > 1 else facet.facet == names[0], *conditions)
        .group_by(facet.facet, facet.value)
    )


def _salary_counts(matches: CTE, conditions: list[ColumnElement[bool]]) -> _Counts:
    bucket = case(
        *((_salary_range(matches, low, high), key) for key, low, high in SALARY_BUCKETS),
        else_=null(),
    )
    inner = (
        select(bucket.label("value"))
        .select_from(matches)
        .where(matches.c.salary_max.is_not(None), *conditions)
        .subquery("salaries")
    )
    return (
        select(literal("salary").label("facet"), inner.c.value, func.count().label("n"))
        .where(inner.c.value.is_not(None))
        .group_by(inner.c.value)
    )


def _page_statement(
    query: SearchQuery, matches: CTE, filters: dict[FacetName, ColumnElement[bool]], ranked: bool
) -> Select[uuid.UUID, float]:
    order = [matches.c.published_at.desc(), matches.c.posting_id.asc()]
    if ranked:
        order.insert(0, matches.c.score.desc())
    return (
        select(matches.c.posting_id, matches.c.score)
        .where(*filters.values())
        .order_by(*order)
        .offset(min(query.offset, _INT64_MAX))
        .limit(min(query.limit, _INT64_MAX))
    )


async def search_documents(session: AsyncSession, query: SearchQuery) -> SearchResult:
    """:meth:`DatabaseSearchIndex.search` inside a caller's session."""
    if query.offset < 0 or query.limit < 0:
        raise InvalidQuery("offset and limit must not be negative.")
    terms = _query_terms(query.q)
    dialect = _dialect(session)
    ranked = bool(terms) and query.sort == "relevance"
    # Counting needs no score: ranking every match would be the most expensive part of the statement.
    matches = _matches(query, terms, dialect, ranked=False)
    filters = _facet_filters(query, matches)

    total = 0
    counts: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    for facet, value, count in (
        await session.execute(_counts_statement(matches, filters, query.facets))
    ).all():
        if facet is None:
            total = int(count)
        else:
            counts[facet].append((str(value), int(count)))

    hits: list[SearchHit] = []
    if query.limit > 0 and query.offset < total:
        scored = _matches(query, terms, dialect, ranked=ranked)
        page = await session.execute(_page_statement(query, scored, _facet_filters(query, scored), ranked))
        hits = [SearchHit(id=posting_id, score=float(score)) for posting_id, score in page.all()]

    facets: dict[FacetName, list[FacetCount]] = {}
    if query.facets:
        facets = {
            name: [
                FacetCount(value=value, count=count)
                for value, count in sorted(counts[name], key=lambda vc: (-vc[1], vc[0]))
                if count > 0
            ]
            for name in FACETS
        }
    return SearchResult(total=total, hits=hits, facets=facets)


class DatabaseSearchIndex:
    """:class:`~rolecall.board.search.SearchIndex` over the application database; one transaction a call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def upsert(self, documents: Sequence[PostingDocument]) -> None:
        if documents:
            async with transaction(self._sessionmaker) as session:
                await upsert_documents(session, documents)

    async def delete(self, ids: Sequence[uuid.UUID]) -> None:
        if ids:
            async with transaction(self._sessionmaker) as session:
                await delete_documents(session, ids)

    async def clear(self) -> None:
        async with transaction(self._sessionmaker) as session:
            await clear_documents(session)

    async def search(self, query: SearchQuery) -> SearchResult:
        async with transaction(self._sessionmaker) as session:
            return await search_documents(session, query)
