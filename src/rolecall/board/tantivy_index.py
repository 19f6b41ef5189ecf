"""The tantivy adapter of the board's :class:`~rolecall.board.search.SearchIndex`.

The index is derived data, rebuilt from the database by the sync loop, which records its progress with
:meth:`TantivySearchIndex.save_checkpoint`. Index and checkpoint live together in ``<path>/v<N>/``
(``N`` = :data:`SCHEMA_VERSION`), so deleting the directory, or a schema change, also forgets the
checkpoint and forces a full resync. tantivy allows one ``IndexWriter`` per directory (a lock file,
across processes too); the writer is opened on the first write, so processes that only search can
share the directory with the one that writes.

Text analysis
    ``title``, ``skill_names`` and ``body`` are split on every character that is not a Unicode letter or
    digit; tokens of 40 bytes or more are dropped, the rest lowercased, ASCII-folded ("Zürich" ->
    "zurich") and stemmed with the English Snowball stemmer ("Engineers", "engineering" -> "engin").
    No stop words are removed, so "IT" or "Go" stay searchable. The query goes through the same
    analyzer: matching is case-, accent- and plural-insensitive.

Free text: every term must match (AND)
    Each distinct query term must occur in at least one of the three text fields. The score is the sum
    of per-field BM25 scores boosted title 5 : skill_names 2 : body 1 (the ratio of PostgreSQL's
    default ``ts_rank`` weights for A : B : C), plus a bonus when the title holds every query word.
    AND rather than OR-with-ranking because on a job board
    people narrow a search by adding words ("python remote senior"): with OR, ``total`` and every facet
    count would grow with each word and be dominated by the commonest one, which makes the numbers next
    to the filters meaningless; AND is also what ``plainto_tsquery`` and FTS5 do, so a database adapter
    can match it. User input never reaches tantivy's query parser: it is tokenised with the field
    analyzer and turned into term queries, so quotes, colons, brackets, ``AND``, ``*`` and the like are
    punctuation or plain words and cannot be a syntax error. A query without any searchable token
    (``"!!!"``) is treated like an empty one: match all. More than :data:`MAX_QUERY_TERMS` distinct
    terms raise :class:`~rolecall.board.search.InvalidQuery`, as does an unknown filter name or a
    negative offset/limit.

Filters
    AND across facets, OR within one facet's values. ``organisation_slug`` given: only that
    organisation's postings, whatever ``listed`` says; ``None``: only ``listed`` postings.
    ``salary_at_least``: ``salary_max >= bound`` (hidden pay never matches). The ``salary`` filter takes
    bucket keys from :data:`~rolecall.board.search.SALARY_BUCKETS` (unknown keys match nothing).
    Empty strings and repeated values inside a posting's facet values are not indexed.

Facets: disjunctive
    Let *B* be the postings that match the text, the organisation/listed scope and ``salary_at_least``,
    and *F(f)* the filter on facet *f* (absent when no value was given). The results are *B* AND every
    *F(f)*, ``total`` is their exact number. The counts of facet *f* are taken over *B* AND every
    *F(g)* with *g* != *f*: ticking "Berlin" does not hide "Remote" from the location list, so users
    see the alternatives; a facet without a filter is counted over the results. A posting counts once
    per distinct value (``location`` and ``skills`` are multi-valued), in the bucket of its
    ``salary_max`` for ``salary`` (not at all if pay is hidden), by ``organisation_slug`` for
    ``organisation``. Zero counts are left out; with ``facets=True`` every name of
    :data:`~rolecall.board.search.FACETS` is a key (maybe with an empty list), with ``facets=False``
    the dict is empty. Lists are sorted by count descending, then value ascending by code point.
    Cost: one tantivy aggregation over the results for all facets without a filter, plus one per facet
    with a filter, so a few filters add a few passes. Counting is the expensive part (about 20 ns per
    value of a multi-valued facet), so results are cached per query and index generation (any commit,
    in this process or another, starts a new generation): paging and the landing page are cheap.

Sorting and paging
    ``relevance``: score descending, then ``published_at`` descending, then id ascending (UUID order,
    which is also the order of the lowercase hex form). An empty query gives every posting the same
    score, so it sorts like ``date``: ``published_at`` descending, then id. tantivy breaks ties by its
    internal document address, so the adapter fetches the top ``offset + limit + 1`` by the primary
    key (score, or ``published_at`` for date order); if the page's first or last key is shared with
    neighbours, up to two more searches fetch 256, then :data:`TIE_WINDOW` hits past the page, and the
    runs of equal keys that touch the page are re-sorted by the full key. Only a run longer than that
    window (ten thousand exact ties, which BM25's quantised field lengths make possible for a one-word
    query on a big board) is ordered by tantivy inside the part that was not fetched. Paging reads the id and
    ``published_at`` from fast fields, never the document store. ``score`` in a hit is the BM25 score
    for a relevance-sorted text query and ``0.0`` otherwise.

Threads and the GIL
    tantivy-py 0.27 releases the GIL while it searches and aggregates (both run in ``Python::detach``).
    Measured on the 2-core box: a pure-Python counting thread keeps 60-65% of its idle rate while the
    main thread runs ``Searcher.search`` or ``Searcher.aggregate`` back to back (the loss is CPU
    contention), against ~30% beside pure-Python work and near zero if the call kept the GIL. So
    :meth:`search` runs :meth:`search_sync` in a worker thread (``anyio.to_thread.run_sync``). The hop
    costs 0.3-0.45 ms (median; 0.24 ms inline against 0.68 ms through the thread for the smallest
    query), which is more than the cheapest searches take, but a cold facet count on a large board
    takes tens to hundreds of milliseconds and would stall the event loop for every other request if
    it ran inline; in a thread it does not, and two searches can use both cores. Writes also run in a
    worker thread, serialised by a lock that searches never take. Each search uses one immutable tantivy
    ``Searcher`` snapshot, and every write commits and reloads before returning, so a search started
    after a write sees it.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import anyio.to_thread
import tantivy

from rolecall.board.analysis import normalise, text_analyzer
from rolecall.board.search import (
    FACETS,
    SALARY_BUCKETS,
    FacetCount,
    FacetName,
    InvalidQuery,
    PostingDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
)

__all__ = ["CHECKPOINT_FILE", "MAX_QUERY_TERMS", "SCHEMA_VERSION", "TIE_WINDOW", "TantivySearchIndex"]

# Bump whenever the schema or the analyzer changes: the index then lives in a new subdirectory and
# starts empty with no checkpoint, so the sync loop rebuilds it. The old directory is left alone.
SCHEMA_VERSION = 2  # 2: analysis.ANALYSIS_VERSION 2 (compounds and abbreviations)
MAX_QUERY_TERMS = 32
TIE_WINDOW = 10_000
CHECKPOINT_FILE = "rolecall.checkpoint"
FACET_CACHE_SIZE = 256

_TEXT_ANALYZER = "rolecall_en"
_FIELD_BOOSTS: tuple[tuple[str, float], ...] = (("title", 5.0), ("skill_names", 2.0), ("body", 1.0))
_ALL_IN_TITLE_BOOST = 5.0
# Facet -> keyword field holding its values; salary is a range aggregation on salary_max instead.
_KEYWORD_FIELDS: dict[FacetName, str] = {
    "location": "location",
    "work_arrangement": "work_arrangement",
    "level": "level",
    "department": "department",
    "employment_type": "employment_type",
    "skills": "skills",
    "organisation": "organisation",
}
_SALARY_BOUNDS = {key: (low, high) for key, low, high in SALARY_BUCKETS}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_U64_MASK = (1 << 64) - 1
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_ALL_BUCKETS = 2**32 - 1  # terms aggregation size: every value, exact counts rather than a top-n estimate

Hit = tuple[Any, tantivy.DocAddress]  # (score or published_us, address) as tantivy returns it


def _analyzer() -> tantivy.TextAnalyzer:
    return text_analyzer()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    # The id again as two u64 fast columns: hits and tie-breaks read it without touching the doc store.
    builder.add_unsigned_field("id_hi", fast=True)
    builder.add_unsigned_field("id_lo", fast=True)
    for name, _boost in _FIELD_BOOSTS:
        builder.add_text_field(name, tokenizer_name=_TEXT_ANALYZER, index_option="freq")
    for name in _KEYWORD_FIELDS.values():
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_boolean_field("listed", indexed=True)
    builder.add_integer_field("published_us", fast=True)  # microseconds since the epoch, UTC
    builder.add_integer_field("salary_max", indexed=True, fast=True)
    return builder.build()


def _clean(text: str) -> str:
    """Replace lone surrogates, which cannot cross into Rust, so hostile input stays a plain value."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _microseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _i64(value: int) -> int:
    """Clamp to tantivy's integer range: an absurd bound from a query string must not overflow."""
    return max(_I64_MIN, min(_I64_MAX, value))


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _sorted_counts(buckets: Iterable[dict[str, Any]]) -> list[FacetCount]:
    """Aggregation buckets -> facet counts, count descending then value ascending, zeros dropped."""
    rows = sorted(
        (-int(bucket["doc_count"]), str(bucket["key"])) for bucket in buckets if bucket["doc_count"]
    )
    return [FacetCount(value=value, count=-negative) for negative, value in rows]


def _filter(query: tantivy.Query) -> tantivy.Query:
    """A clause that restricts without scoring, so filters never reorder the hits."""
    return tantivy.Query.const_score_query(query, 0.0)


def _all_of(clauses: Sequence[tantivy.Query]) -> tantivy.Query:
    if not clauses:
        return tantivy.Query.all_query()
    if len(clauses) == 1:
        return clauses[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, clause) for clause in clauses])


def _any_of(clauses: Sequence[tantivy.Query]) -> tantivy.Query:
    if not clauses:
        return tantivy.Query.empty_query()
    if len(clauses) == 1:
        return clauses[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, clause) for clause in clauses])


@dataclass(frozen=True)
class _Plan:
    """A validated query: tantivy clauses plus a hashable key of everything the facet counts depend on."""

    scored: bool  # relevance sort over a non-empty text query
    base: list[tantivy.Query]  # text, scope, salary_at_least
    filters: dict[FacetName, tantivy.Query]
    facet_key: Hashable


class TantivySearchIndex:
    """:class:`~rolecall.board.search.SearchIndex` over a tantivy index; semantics in the module doc.

    ``path=None`` (or :meth:`in_memory`) keeps everything in RAM, for tests.
    """

    def __init__(
        self, path: Path | None, *, writer_heap_bytes: int = 64_000_000, writer_threads: int = 1
    ) -> None:
        self._schema = _schema()
        self._analyzer = _analyzer()
        self._directory: Path | None = None
        if path is None:
            self._index = tantivy.Index(self._schema)
        else:
            self._directory = Path(path) / f"v{SCHEMA_VERSION}"
            self._directory.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(self._schema, str(self._directory))
        self._index.register_tokenizer(_TEXT_ANALYZER, self._analyzer)
        # Reloads happen only here: after our own commits, or when meta.json shows another process's.
        self._index.config_reader(reload_policy="manual")
        self._writer_heap_bytes = writer_heap_bytes
        self._writer_threads = writer_threads
        self._writer: tantivy.IndexWriter | None = None
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()  # guards the four attributes below
        self._generation = 0
        self._meta_stamp = self._stamp()
        self._index.reload()
        self._facet_cache: OrderedDict[Hashable, dict[FacetName, list[FacetCount]]] = OrderedDict()
        self._memory_checkpoint: str | None = None

    @classmethod
    def in_memory(cls) -> TantivySearchIndex:
        return cls(None, writer_heap_bytes=15_000_000)

    # -- checkpoint -------------------------------------------------------------------------------

    def checkpoint(self) -> str | None:
        """The value last passed to :meth:`save_checkpoint`; ``None`` for a new or cleared index."""
        if self._directory is None:
            return self._memory_checkpoint
        try:
            return (self._directory / CHECKPOINT_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def save_checkpoint(self, value: str) -> None:
        """Persist ``value`` atomically: temporary file in the same directory, fsync, ``os.replace``."""
        if self._directory is None:
            self._memory_checkpoint = value
            return
        descriptor, temporary = tempfile.mkstemp(prefix=".checkpoint-", dir=self._directory)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(value)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self._directory / CHECKPOINT_FILE)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    # -- write side -------------------------------------------------------------------------------

    async def upsert(self, documents: Sequence[PostingDocument]) -> None:
        if documents:
            await anyio.to_thread.run_sync(self.upsert_sync, list(documents))

    async def delete(self, ids: Sequence[uuid.UUID]) -> None:
        if ids:
            await anyio.to_thread.run_sync(self.delete_sync, list(ids))

    async def clear(self) -> None:
        await anyio.to_thread.run_sync(self.clear_sync)

    def upsert_sync(self, documents: Sequence[PostingDocument]) -> None:
        built = [(str(document.id), self._document(document)) for document in documents]
        with self._write_lock:
            writer = self._writer_locked()
            for key, document in built:
                # A delete only hits documents added before it: the copy added next survives, and
                # the same id twice in one batch leaves the last one.
                writer.delete_documents_by_term("id", key)
                writer.add_document(document)
            self._commit_locked(writer)

    def delete_sync(self, ids: Sequence[uuid.UUID]) -> None:
        with self._write_lock:
            writer = self._writer_locked()
            for key in ids:
                writer.delete_documents_by_term("id", str(key))
            self._commit_locked(writer)

    def clear_sync(self) -> None:
        """Delete every posting *and* the checkpoint: an empty index has synced nothing."""
        with self._write_lock:
            writer = self._writer_locked()
            writer.delete_all_documents()
            self._commit_locked(writer)
            self._memory_checkpoint = None
            if self._directory is not None:
                with contextlib.suppress(FileNotFoundError):
                    (self._directory / CHECKPOINT_FILE).unlink()

    def close(self) -> None:
        """Release the writer and its directory lock, after background merges finish."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None

    def _writer_locked(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(self._writer_heap_bytes, self._writer_threads)
        return self._writer

    def _commit_locked(self, writer: tantivy.IndexWriter) -> None:
        try:
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        with self._state_lock:
            self._reload_locked(self._stamp())

    def _stamp(self) -> tuple[int, int, int] | None:
        """Identity of the last commit: tantivy replaces meta.json atomically on every commit."""
        if self._directory is None:
            return None
        try:
            stat = os.stat(self._directory / "meta.json")
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _reload_locked(self, stamp: tuple[int, int, int] | None) -> None:
        self._index.reload()
        self._meta_stamp = stamp
        self._generation += 1
        self._facet_cache.clear()

    def _snapshot(self) -> tuple[int, tantivy.Searcher]:
        with self._state_lock:
            stamp = self._stamp()
            if stamp != self._meta_stamp:
                self._reload_locked(stamp)  # another process committed
            return self._generation, self._index.searcher()

    def _document(self, posting: PostingDocument) -> tantivy.Document:
        document = tantivy.Document()
        document.add_text("id", str(posting.id))
        document.add_unsigned("id_hi", posting.id.int >> 64)
        document.add_unsigned("id_lo", posting.id.int & _U64_MASK)
        document.add_text("title", _clean(normalise(posting.title)))
        for name in _distinct(posting.skill_names):
            document.add_text("skill_names", _clean(normalise(name)))
        document.add_text("body", _clean(normalise(posting.body)))
        keyword_values: dict[FacetName, Iterable[str]] = {
            "location": posting.locations,
            "work_arrangement": (posting.work_arrangement,),
            "level": (posting.level,),
            "department": (posting.department,),
            "employment_type": (posting.employment_type,),
            "skills": posting.skills,
            "organisation": (posting.organisation_slug,),
        }
        for facet, values in keyword_values.items():
            for value in _distinct(_clean(value) for value in values):
                document.add_text(_KEYWORD_FIELDS[facet], value)
        document.add_boolean("listed", posting.listed)
        document.add_integer("published_us", _i64(_microseconds(posting.published_at)))
        if posting.salary_max is not None:
            document.add_integer("salary_max", _i64(posting.salary_max))
        return document

    # -- read side --------------------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> SearchResult:
        return await anyio.to_thread.run_sync(self.search_sync, query)

    def search_sync(self, query: SearchQuery) -> SearchResult:
        """The blocking body of :meth:`search`."""
        plan = self._plan(query)
        generation, searcher = self._snapshot()
        total, hits = self._page(searcher, plan, query.offset, query.limit)
        facets: dict[FacetName, list[FacetCount]] = {}
        if query.facets:
            key = (generation, plan.facet_key)
            with self._state_lock:
                cached = self._facet_cache.get(key)
                if cached is not None:
                    self._facet_cache.move_to_end(key)
            if cached is None:
                cached = self._facet_counts(searcher, plan, total)
                with self._state_lock:
                    if generation == self._generation:
                        self._facet_cache[key] = cached
                        if len(self._facet_cache) > FACET_CACHE_SIZE:
                            self._facet_cache.popitem(last=False)
            facets = {name: list(counts) for name, counts in cached.items()}
        return SearchResult(total=total, hits=hits, facets=facets)

    def _plan(self, query: SearchQuery) -> _Plan:
        if query.offset < 0 or query.limit < 0:
            raise InvalidQuery("offset and limit must not be negative.")
        terms = sorted(set(self._analyzer.analyze(_clean(normalise(query.q)))))
        if len(terms) > MAX_QUERY_TERMS:
            raise InvalidQuery(f"A search can use at most {MAX_QUERY_TERMS} different words.")
        base: list[tantivy.Query] = []
        if terms:
            everywhere = _all_of([self._term_anywhere(term) for term in terms])
            if len(terms) > 1:
                # A title holding every word of the query beats one holding some ("qa engineer":
                # "QA Engineer" before "SDET", whose body says "engineers").
                in_title = _all_of([tantivy.Query.term_query(self._schema, "title", t) for t in terms])
                everywhere = tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Must, everywhere),
                        (tantivy.Occur.Should, tantivy.Query.boost_query(in_title, _ALL_IN_TITLE_BOOST)),
                    ]
                )
            base.append(everywhere)
        if query.organisation_slug is not None:
            slug = _clean(query.organisation_slug)
            base.append(_filter(tantivy.Query.term_query(self._schema, "organisation", slug)))
        else:
            base.append(_filter(tantivy.Query.term_query(self._schema, "listed", True)))
        if query.salary_at_least is not None:
            base.append(_filter(self._salary_range(_i64(query.salary_at_least), None)))

        filters: dict[FacetName, tantivy.Query] = {}
        filter_key: list[tuple[str, tuple[str, ...]]] = []
        for name, raw_values in query.filters.items():
            if name not in FACETS:
                raise InvalidQuery(f"Unknown filter {name!r}.")
            values = _distinct(_clean(value) for value in raw_values)
            if not values:
                continue
            if name == "salary":
                ranges = [
                    self._salary_range(*_SALARY_BOUNDS[value]) for value in values if value in _SALARY_BOUNDS
                ]
                filters[name] = _filter(_any_of(ranges))
            else:
                field = _KEYWORD_FIELDS[name]
                filters[name] = _filter(tantivy.Query.term_set_query(self._schema, field, values))
            filter_key.append((name, tuple(sorted(values))))

        scope = (
            ("organisation", query.organisation_slug) if query.organisation_slug is not None else ("listed",)
        )
        facet_key = (tuple(terms), scope, query.salary_at_least, tuple(sorted(filter_key)))
        return _Plan(
            scored=bool(terms) and query.sort == "relevance", base=base, filters=filters, facet_key=facet_key
        )

    def _term_anywhere(self, term: str) -> tantivy.Query:
        return _any_of(
            [
                tantivy.Query.boost_query(tantivy.Query.term_query(self._schema, name, term), boost)
                for name, boost in _FIELD_BOOSTS
            ]
        )

    def _salary_range(self, low: int, high: int | None) -> tantivy.Query:
        return tantivy.Query.range_query(
            self._schema,
            "salary_max",
            tantivy.FieldType.Integer,
            lower_bound=low,
            upper_bound=high,
            include_lower=True,
            include_upper=high is None,  # tantivy wants an unbounded side inclusive
        )

    def _page(
        self, searcher: tantivy.Searcher, plan: _Plan, offset: int, limit: int
    ) -> tuple[int, list[SearchHit]]:
        matcher = _all_of([*plan.base, *plan.filters.values()])
        # Never ask tantivy for more hits than the index holds: its top-k collector allocates up front.
        needed = min(offset + limit, searcher.num_docs)

        def run(count: int) -> tantivy.SearchResult:
            if plan.scored:
                return searcher.search(matcher, limit=count, count=True)
            return searcher.search(
                matcher, limit=count, count=True, order_by_field="published_us", order=tantivy.Order.Desc
            )

        total, fetched = self._fetch(run, needed)
        end = min(offset + limit, len(fetched))
        if offset >= end:
            return total, []
        # Re-sort the runs of equal primary keys that touch the page; everything outside is in place.
        keys = [key for key, _address in fetched]
        low, high = offset, end
        while low > 0 and keys[low - 1] == keys[offset]:
            low -= 1
        while high < len(keys) and keys[high] == keys[end - 1]:
            high += 1
        window = fetched[low:high]
        addresses = [address for _key, address in window]
        published = searcher.fast_field_values("published_us", addresses)
        highs = searcher.fast_field_values("id_hi", addresses)
        lows = searcher.fast_field_values("id_lo", addresses)
        # (id_hi, id_lo) is unique, so plain tuple order is the full sort key; only the rows up to the
        # page's end are needed, which heapq finds without sorting a long run of ties.
        rows = heapq.nsmallest(
            end - low,
            (
                (-key, -int(moment or 0), int(hi or 0), int(lo or 0), key)
                for (key, _address), moment, hi, lo in zip(window, published, highs, lows, strict=True)
            ),
        )
        page = rows[offset - low :]
        return total, [
            SearchHit(id=uuid.UUID(int=(hi << 64) | lo), score=float(key) if plan.scored else 0.0)
            for _neg, _pub, hi, lo, key in page
        ]

    @staticmethod
    def _fetch(run: Callable[[int], tantivy.SearchResult], needed: int) -> tuple[int, list[Hit]]:
        """The top hits by primary key, widened while the run of keys equal to the ``needed``-th goes on.

        ``run(limit)`` searches with that limit; its hits come sorted by key descending. Every search
        re-evaluates the whole query, so the widening takes big steps: a short run of ties (the usual
        case) is settled by the second search, a long one by the third, :data:`TIE_WINDOW` hits past the
        page. Returns the exact match count and the hits fetched.
        """
        for extra in (1, 256, TIE_WINDOW):
            limit = needed + extra
            result = run(limit)
            hits: list[Hit] = result.hits
            total = int(cast(Any, result).count)  # present at runtime, missing from the stubs
            if needed == 0 or len(hits) < limit or hits[-1][0] != hits[needed - 1][0]:
                break
        # Past the last step a huge run of equal keys remains: tantivy's own order decides beyond it.
        return total, hits

    def _facet_counts(
        self, searcher: tantivy.Searcher, plan: _Plan, total: int
    ) -> dict[FacetName, list[FacetCount]]:
        facets: dict[FacetName, list[FacetCount]] = {name: [] for name in FACETS}
        unfiltered = [name for name in FACETS if name not in plan.filters]
        if unfiltered and total > 0:
            facets.update(
                self._aggregate(searcher, _all_of([*plan.base, *plan.filters.values()]), unfiltered)
            )
        for name in plan.filters:
            others = [clause for other, clause in plan.filters.items() if other != name]
            facets.update(self._aggregate(searcher, _all_of([*plan.base, *others]), [name]))
        return facets

    @staticmethod
    def _aggregate(
        searcher: tantivy.Searcher, matcher: tantivy.Query, names: list[FacetName]
    ) -> dict[FacetName, list[FacetCount]]:
        request: dict[str, Any] = {}
        for name in names:
            if name == "salary":
                ranges = [
                    {"key": key, "from": low} if high is None else {"key": key, "from": low, "to": high}
                    for key, low, high in SALARY_BUCKETS
                ]
                request[name] = {"range": {"field": "salary_max", "ranges": ranges}}
            else:
                field = _KEYWORD_FIELDS[name]
                request[name] = {
                    "terms": {"field": field, "size": _ALL_BUCKETS, "segment_size": _ALL_BUCKETS}
                }
        response: dict[str, Any] = searcher.aggregate(matcher, request)
        return {name: _sorted_counts(response[name]["buckets"]) for name in names}
