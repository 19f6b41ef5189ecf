"""The SQL sandbox: a candidate's query against an item's hidden datasets, and the comparison of results.

A query is untrusted text, and SQLite's in-process defences (authorizer, progress handler, limits) do
not cover everything: *compiling* a short query can take minutes and gigabytes (a chain of CTEs that
each refer to the previous one three times expands exponentially before a single VM step runs, and
neither the progress handler nor ``interrupt()`` reaches the compiler). So every batch of work runs
in a fresh child process (``python -I -S`` on this very file) that confines itself before touching
the query: no new file descriptors, no file writes, a memory ceiling, SQLite's hard heap limit, and a
CPU timer per task whose default action kills the process. The parent waits with a wall-clock timeout
on top. One child serves a whole item (all datasets, the solution and the answer), so scoring costs
one process start, not one per dataset.

Inside the child each query still gets the in-process hardening, which is what turns most abuse into
a clear per-query message rather than a dead child: a private copy of the dataset (``deserialize``
of an image built once), ``query_only`` and ``trusted_schema=OFF``, an authorizer that allows reading
the item's own tables and an allow-list of harmless functions only, a CPU-time progress handler,
tight ``setlimit`` values, one statement, a row cap and a result-size cap.

Error messages go to candidates, so they must never carry hidden data. A query is first compiled on
its own (``EXPLAIN``): compile errors only ever quote the query or the schema, which the candidate
sees, and are shown as they are. Errors raised while *running* can quote values (``json_extract``
does), so they are shown only when they carry no quoted text, and replaced by a generic message
otherwise.

Datasets are built from trusted staff SQL, but under the same confinement and a build authorizer
(tables, indexes, views and rows only; no ``ATTACH``, ``PRAGMA`` or ``VACUUM INTO``): an item
importer must not be able to write files on the server either.
"""

from __future__ import annotations

# Standard library only: the child runs this file with ``-I -S``, where nothing else is importable.
import base64
import dataclasses
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

# --- public types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxLimits:
    """What one query may use. ``time_ms`` is CPU time, so a busy server does not fail fair answers."""

    time_ms: int = 200
    max_rows: int = 1000
    max_cell_chars: int = 10_000
    max_query_chars: int = 5000
    max_result_chars: int = 500_000

    def __post_init__(self) -> None:
        if min(dataclasses.astuple(self)) < 1:
            raise ValueError("sandbox limits must be positive")


DEFAULT_LIMITS: Final = SandboxLimits()


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    error: str | None = None  # safe to show to the candidate


@dataclass(frozen=True)
class PreparedDataset:
    """A built dataset: the serialized database, and the tables and views a query may read."""

    image: bytes = field(repr=False)
    tables: frozenset[str]


class DatasetError(ValueError):
    """An item's own schema or dataset does not build (a bank problem, never the candidate's)."""


class SandboxUnavailable(RuntimeError):
    """The child process could not be started or answered nonsense: retry later, score nothing."""


# --- public functions --------------------------------------------------------------------------


def prepare(schema: str, dataset_sql: str) -> PreparedDataset:
    """Build the dataset (cached by its texts), or raise :class:`DatasetError`."""
    cached = _DATASETS.get((schema, dataset_sql))
    if cached is not None:
        return cached
    batch = _Batch(DEFAULT_LIMITS)
    slot = batch.build(schema, dataset_sql)
    outcome = batch.run()[slot]
    if isinstance(outcome, str):
        raise DatasetError(outcome)
    assert isinstance(outcome, PreparedDataset)
    return outcome


def run_query(dataset: PreparedDataset, query: str, limits: SandboxLimits = DEFAULT_LIMITS) -> QueryResult:
    """Run one candidate query on a private copy of ``dataset``; every failure is ``QueryResult.error``."""
    refusal = _refusal(query, limits)
    if refusal is not None:
        return QueryResult(error=refusal)
    batch = _Batch(limits)
    slot = batch.query(dataset, query)
    result = batch.run()[slot]
    assert isinstance(result, QueryResult)
    return result


def compare(expected: QueryResult, got: QueryResult, *, ordered: bool) -> tuple[float, str]:
    """Credit for one dataset and a short reason for staff.

    1.0 for the exact result (same column count; rows as a multiset, or as a sequence when
    ``ordered``), 0.5 for the right rows in the wrong order (ordered items only), 0.2 for the same
    column names and row count with wrong rows, else 0. Column names never affect row equality.
    """
    if got.error is not None:
        return 0.0, f"error: {got.error}"
    if expected.error is not None:
        return 0.0, f"the solution fails: {expected.error}"
    want = [_normalise_row(row) for row in expected.rows]
    have = [_normalise_row(row) for row in got.rows]
    if len(expected.columns) == len(got.columns):
        if want == have:
            return 1.0, "correct"
        if Counter(want) == Counter(have):
            return (0.5, "right rows in the wrong order") if ordered else (1.0, "correct")
    same_names = [c.lower() for c in expected.columns] == [c.lower() for c in got.columns]
    if same_names and len(want) == len(have):
        return 0.2, "right columns and row count, wrong rows"
    if same_names:
        return 0.0, f"right columns, wrong rows ({len(have)} rows instead of {len(want)})"
    return 0.0, f"wrong columns ({', '.join(got.columns) or 'none'} instead of {', '.join(expected.columns)})"


def score_sql(
    schema: str,
    datasets: Sequence[tuple[str, str]],
    solution: str,
    query: str,
    *,
    ordered: bool,
    limits: SandboxLimits = DEFAULT_LIMITS,
) -> tuple[float, list[str], list[str]]:
    """Score ``query`` on every dataset: (mean credit, feedback for staff, errors for the candidate).

    A dataset that does not build or on which the solution fails is left out of the mean and named
    in the feedback (the item is broken, not the answer); if none is usable the credit is 0.
    Raises :class:`SandboxUnavailable` only when the child process cannot run at all.
    """
    refusal = _refusal(query, limits)
    batch = _Batch(limits)
    sources = [_DATASETS.get((schema, sql)) or batch.build(schema, sql) for _, sql in datasets]
    expected: list[QueryResult | int] = []
    for (_, sql), source in zip(datasets, sources, strict=True):
        known = _SOLUTIONS.get((schema, sql, solution, limits))
        expected.append(known if known is not None else batch.query(source, solution))
    answers = [None if refusal is not None else batch.query(source, query) for source in sources]
    outcomes = batch.run()

    credits: list[float] = []
    feedback: list[str] = []
    errors: list[str] = []
    for index, (name, sql) in enumerate(datasets):
        source = sources[index]
        if isinstance(source, int) and isinstance(outcomes[source], str):
            feedback.append(f"dataset {name}: skipped, it does not build: {outcomes[source]}")
            continue
        want = _resolve(expected[index], outcomes)
        if want.error is not None:
            feedback.append(f"dataset {name}: skipped, the solution fails: {want.error}")
            continue
        _SOLUTIONS.put((schema, sql, solution, limits), want)
        slot = answers[index]
        got = QueryResult(error=refusal) if slot is None else _resolve(slot, outcomes)
        credit, reason = compare(want, got, ordered=ordered)
        credits.append(credit)
        feedback.append(f"dataset {name}: {reason}")
        if got.error is not None and got.error not in errors:
            errors.append(got.error)
    if not credits:
        feedback.append("no dataset could be checked: the item needs fixing")
    return (sum(credits) / len(credits) if credits else 0.0), feedback, errors


def check_item(
    schema: str, datasets: Sequence[tuple[str, str]], solution: str, limits: SandboxLimits = DEFAULT_LIMITS
) -> list[str]:
    """Problems that make an SQL item unusable (empty when it is fine); run when an item is imported.

    The schema alone and every dataset must build, and the solution must run on each dataset and
    return at least one row on at least one of them.
    """
    if not datasets:
        return ["an SQL item needs datasets"]
    refusal = _refusal(solution, limits)
    batch = _Batch(limits)
    schema_slot = batch.build(schema, "")
    builds = [batch.build(schema, sql) for _, sql in datasets]
    runs = [batch.query(slot, solution) for slot in builds] if refusal is None else []
    outcomes = batch.run()
    if isinstance(outcomes[schema_slot], str):
        return [f"the schema does not build: {outcomes[schema_slot]}"]
    problems = [
        f"dataset {name} does not build: {outcomes[slot]}"
        for (name, _), slot in zip(datasets, builds, strict=True)
        if isinstance(outcomes[slot], str)
    ]
    if refusal is not None:
        return [*problems, f"the solution cannot run: {refusal}"]
    any_rows = False
    for (name, sql), build, slot in zip(datasets, builds, runs, strict=True):
        if isinstance(outcomes[build], str):
            continue
        result = _resolve(slot, outcomes)
        if result.error is not None:
            problems.append(f"the solution fails on dataset {name}: {result.error}")
        else:
            _SOLUTIONS.put((schema, sql, solution, limits), result)
            any_rows = any_rows or bool(result.rows)
    if not problems and not any_rows:
        problems.append("the solution returns no rows on any dataset")
    return problems


# --- result normalisation ----------------------------------------------------------------------


def _normalise(value: object) -> object:
    """Numbers compare numerically (floats to 6 places, so 3 == 3.0); text and blobs exactly."""
    if isinstance(value, float) and math.isfinite(value):
        value = round(value, 6)
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def _normalise_row(row: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(_normalise(value) for value in row)


# --- the parent side: caches, pre-checks, one child per batch -----------------------------------

_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lru(Generic[_K, _V]):
    """A small thread-safe LRU map: grading runs in worker threads, and batches fill it in bulk."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


# Images are at most _MAX_DATASET_PAGES * 4 KiB (1 MiB), so the dataset cache stays under ~128 MiB
# even with the largest datasets; real ones are a few KiB.
_DATASETS: Final[_Lru[tuple[str, str], PreparedDataset]] = _Lru(128)
_SOLUTIONS: Final[_Lru[tuple[str, str, str, SandboxLimits], QueryResult]] = _Lru(512)

_QUERY_STARTS: Final = frozenset({"SELECT", "WITH", "VALUES"})
_MAX_SCHEMA_CHARS: Final = 100_000
_MAX_DATASET_CHARS: Final = 1_000_000


def _first_keyword(query: str) -> str:
    rest = query
    while True:
        rest = rest.lstrip()
        if rest.startswith("--"):
            end = rest.find("\n")
            rest = "" if end < 0 else rest[end + 1 :]
        elif rest.startswith("/*"):
            end = rest.find("*/", 2)
            rest = "" if end < 0 else rest[end + 2 :]
        else:
            break
    word = rest[: next((i for i, ch in enumerate(rest) if not ch.isalpha()), len(rest))]
    return word.upper()


def _refusal(query: str, limits: SandboxLimits) -> str | None:
    """Reasons to refuse a query before any process starts (cheap, and before SQLite parses it)."""
    if not query.strip():
        return "the answer is empty"
    if len(query) > limits.max_query_chars:
        return f"the query is longer than {limits.max_query_chars} characters"
    if "\x00" in query:
        return "the query contains a NUL character"
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        return "the query contains characters that are not valid text"
    if _first_keyword(query) not in _QUERY_STARTS:
        return "the answer must be a single SELECT query (it may start with WITH)"
    return None


_Source = PreparedDataset | int  # a cached dataset, or the index of a build task in the same batch


def _resolve(slot: QueryResult | int, outcomes: list[PreparedDataset | QueryResult | str]) -> QueryResult:
    if isinstance(slot, QueryResult):
        return slot
    outcome = outcomes[slot]
    if isinstance(outcome, str):  # the run depended on a build that failed
        return QueryResult(error=outcome)
    assert isinstance(outcome, QueryResult)
    return outcome


class _Batch:
    """Tasks for one child process, answered in the order they were added."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._tasks: list[dict[str, Any]] = []
        self._builds: dict[int, tuple[str, str]] = {}

    def build(self, schema: str, dataset_sql: str) -> int:
        if len(schema) > _MAX_SCHEMA_CHARS or len(dataset_sql) > _MAX_DATASET_CHARS:
            self._tasks.append({"refuse": "the schema or the dataset is too long"})
        else:
            self._builds[len(self._tasks)] = (schema, dataset_sql)
            self._tasks.append({"build": [schema, dataset_sql]})
        return len(self._tasks) - 1

    def query(self, source: _Source, query: str) -> int:
        task: dict[str, Any] = {"query": query}
        if isinstance(source, int):
            task["built"] = source
        else:
            task["image"] = base64.b64encode(source.image).decode("ascii")
            task["tables"] = sorted(source.tables)
        self._tasks.append(task)
        return len(self._tasks) - 1

    def run(self) -> list[PreparedDataset | QueryResult | str]:
        """Outcomes by task index: a dataset or a problem (str) for builds, a result for queries."""
        replies, stopped = self._replies()
        outcomes: list[PreparedDataset | QueryResult | str] = []
        for index, (task, reply) in enumerate(zip(self._tasks, replies, strict=True)):
            if "query" not in task:
                outcomes.append(self._built(index, reply))
            elif reply is None:
                outcomes.append(QueryResult(error=stopped))
            elif reply.get("error") is not None:
                outcomes.append(QueryResult(error=str(reply["error"])))
            else:
                outcomes.append(_decode_result(reply))
        return outcomes

    def _built(self, index: int, reply: dict[str, Any] | None) -> PreparedDataset | str:
        if reply is None:
            return "building it took too long or needed too much memory"
        if reply.get("error") is not None:
            return str(reply["error"])
        try:
            dataset = PreparedDataset(
                image=base64.b64decode(reply["image"], validate=True),
                tables=frozenset(str(name) for name in reply["tables"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SandboxUnavailable("the SQL sandbox answered nonsense") from exc
        _DATASETS.put(self._builds[index], dataset)
        return dataset

    def _replies(self) -> tuple[list[dict[str, Any] | None], str]:
        """One reply per task (None where the child was killed first), and why it was killed."""
        if not self._tasks:
            return [], ""
        if not sys.executable:
            raise SandboxUnavailable("no Python interpreter to run the SQL sandbox")
        request = {"limits": dataclasses.asdict(self.limits), "tasks": self._tasks}
        timeout = _WALL_SLACK_SECONDS + 3 * sum(_task_budget(task, self.limits) for task in self._tasks)
        env = {name: os.environ[name] for name in ("LD_LIBRARY_PATH",) if name in os.environ}
        try:
            with _CHILDREN:
                done = subprocess.run(  # noqa: S603 - fixed argv; the query travels on stdin
                    [sys.executable, "-I", "-S", os.path.abspath(__file__)],
                    input=json.dumps(request).encode("ascii"),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    timeout=timeout,
                    check=False,
                )
            output, code = done.stdout, done.returncode
        except subprocess.TimeoutExpired as exc:
            output, code = exc.stdout or b"", -signal.SIGKILL
        except OSError as exc:
            raise SandboxUnavailable(f"the SQL sandbox could not start: {exc.strerror}") from exc
        lines = output.split(b"\n")
        if lines[0] != b'{"ready": true}':
            raise SandboxUnavailable(f"the SQL sandbox did not start (exit status {code})")
        replies: list[dict[str, Any] | None] = []
        for line in lines[1 : len(self._tasks) + 1]:
            try:
                reply = json.loads(line)
            except ValueError:
                break  # cut short by a kill
            if not isinstance(reply, dict):
                raise SandboxUnavailable("the SQL sandbox answered nonsense")
            replies.append(reply)
        if code == 0 and len(replies) < len(self._tasks):
            raise SandboxUnavailable("the SQL sandbox stopped early")
        stopped = _STOPPED_MESSAGES.get(code, _STOPPED_OTHERWISE).format(self.limits.time_ms)
        return replies + [None] * (len(self._tasks) - len(replies)), stopped


_WALL_SLACK_SECONDS: Final = 10.0
# Children running at once, whatever the number of grading threads: bounds memory (each may use up
# to _MEMORY_BYTES) and keeps a burst of submissions from starving the rest of the process of CPU.
_CHILDREN: Final = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
_STOPPED_MESSAGES: Final = {
    -signal.SIGPROF: "the query took longer than {} ms and was stopped",
    -signal.SIGXCPU: "the query took longer than {} ms and was stopped",
    -signal.SIGKILL: "the query was stopped: it took too long or needed too much memory",
}
_STOPPED_OTHERWISE: Final = "the query was stopped: it could not be run safely"


def _decode_value(value: object) -> object:
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, dict) and isinstance(value.get("blob"), str):
        return base64.b64decode(value["blob"], validate=True)
    raise ValueError("not a result value")


def _decode_result(reply: dict[str, Any]) -> QueryResult:
    try:
        return QueryResult(
            columns=tuple(str(name) for name in reply["columns"]),
            rows=tuple(tuple(_decode_value(value) for value in row) for row in reply["rows"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SandboxUnavailable("the SQL sandbox answered nonsense") from exc


def _task_budget(task: dict[str, Any], limits: SandboxLimits) -> float:
    """CPU seconds a task may use before the child is killed (the in-process limits act first)."""
    if "build" in task:
        return 2 * _BUILD_TIME_MS / 1000 + 0.5
    return 2 * limits.time_ms / 1000 + 0.25


# --- the child side: confinement, authorizer, builds and queries --------------------------------

_STEPS_PER_CHECK: Final = 2000
_BUILD_TIME_MS: Final = 2000
_MAX_DATASET_PAGES: Final = 256
_MEMORY_BYTES: Final = 256 * 1024 * 1024
_SQLITE_HEAP_BYTES: Final = 128 * 1024 * 1024
_MAX_AUTHORIZER_CALLS: Final = 100_000

_FUNCTIONS: Final = frozenset(
    """
    abs avg char coalesce concat concat_ws count date datetime format glob group_concat hex ifnull
    iif instr julianday length like likelihood likely lower ltrim max min nullif octet_length printf
    quote replace round rtrim sign string_agg strftime substr substring sum time timediff total trim
    typeof unhex unicode unixepoch unlikely upper
    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
    json json_array json_array_length json_extract json_insert json_object json_patch json_quote
    json_remove json_replace json_set json_type json_valid json_group_array json_group_object -> ->>
    acos asin atan atan2 ceil ceiling cos degrees exp floor ln log log10 log2 mod pi pow power
    radians sin sqrt tan trunc
    """.split()  # noqa: SIM905 - one block reads better than a hundred quoted names
)


def _actions(names: str) -> frozenset[int]:
    return frozenset(getattr(sqlite3, f"SQLITE_{name}") for name in names.split())


_WRITES: Final = _actions(
    """
    INSERT UPDATE DELETE ALTER_TABLE REINDEX ANALYZE CREATE_VTABLE DROP_VTABLE
    CREATE_TABLE CREATE_INDEX CREATE_VIEW CREATE_TRIGGER DROP_TABLE DROP_INDEX DROP_VIEW DROP_TRIGGER
    CREATE_TEMP_TABLE CREATE_TEMP_INDEX CREATE_TEMP_VIEW CREATE_TEMP_TRIGGER
    DROP_TEMP_TABLE DROP_TEMP_INDEX DROP_TEMP_VIEW DROP_TEMP_TRIGGER
    """
)
# What an item's schema and datasets may do: tables, indexes, views and rows in the main database.
_BUILD_ACTIONS: Final = _actions(
    """
    INSERT UPDATE DELETE READ TRANSACTION SAVEPOINT ALTER_TABLE
    CREATE_TABLE CREATE_INDEX CREATE_VIEW DROP_TABLE DROP_INDEX DROP_VIEW
    """
)
# Views and defaults may only call innocuous functions; sorts and temporary tables stay in memory.
_PRAGMAS: Final = ("PRAGMA trusted_schema = OFF", "PRAGMA temp_store = MEMORY")


def _run_limits(limits: SandboxLimits) -> dict[int, int]:
    return {
        sqlite3.SQLITE_LIMIT_LENGTH: limits.max_cell_chars * 4,  # bytes: one value or one row
        sqlite3.SQLITE_LIMIT_SQL_LENGTH: limits.max_query_chars * 4 + 64,
        sqlite3.SQLITE_LIMIT_COLUMN: 100,
        sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 200,
        sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
        sqlite3.SQLITE_LIMIT_VDBE_OP: 50_000,
        sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
        sqlite3.SQLITE_LIMIT_ATTACHED: 0,
        sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 500,
        sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 1,
        sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
    }


_BUILD_LIMITS: Final = {
    sqlite3.SQLITE_LIMIT_LENGTH: 1_000_000,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 4 * _MAX_DATASET_CHARS,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 1_000_000,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}


class _Guard:
    """One connection's authorizer and progress handler: what a statement may do, and for how long."""

    def __init__(self, *, building: bool, tables: frozenset[str], time_ms: int) -> None:
        self.building = building
        self.tables = tables
        self.time_ms = time_ms
        self.deadline = time.process_time() + time_ms / 1000
        self.calls = 0
        self.refused: str | None = None
        self.timed_out = False

    def tick(self) -> int:
        if time.process_time() > self.deadline:
            self.timed_out = True
        return int(self.timed_out)

    def authorize(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, _: str | None
    ) -> int:
        self.calls += 1  # compiling calls this per column read: it also bounds runaway expansion
        if self.calls > _MAX_AUTHORIZER_CALLS or self.tick():
            self.timed_out = True
            return sqlite3.SQLITE_DENY
        reason = self._reason(action, arg1, arg2, db)
        if reason is None:
            return sqlite3.SQLITE_OK
        self.refused = self.refused or reason
        return sqlite3.SQLITE_DENY

    def _reason(self, action: int, arg1: str | None, arg2: str | None, db: str | None) -> str | None:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return None
        if action == sqlite3.SQLITE_FUNCTION:
            return None if (arg2 or "").lower() in _FUNCTIONS else f"the function {arg2}() is not allowed"
        if self.building and action in _BUILD_ACTIONS:
            return None
        if action == sqlite3.SQLITE_READ:
            # A column-less read with no database (count(*) over a table, a CTE or a subquery)
            # reads no value; every other read must name a column of the item's own tables.
            if ((arg1 or "").lower() in self.tables and db in ("main", None)) or (arg2, db) == ("", None):
                return None
            return f"only the question's tables can be read, not {arg1}"
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return "attaching other databases is not allowed"
        if action == sqlite3.SQLITE_PRAGMA:
            return "PRAGMA statements are not allowed"
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            return "transactions are not allowed"
        if self.building:
            return "only tables, indexes, views and rows may be created"
        if action in _WRITES and (arg1 or "").lower() == "sqlite_master":
            return "table-valued functions (such as json_each) are not available"
        if action in _WRITES:
            return "the query may only read data, not change it"
        return "this kind of statement is not allowed"

    def build_error(self, exc: Exception) -> str:
        """Errors in an item's own SQL are for staff, who wrote it: show them whole."""
        if self.timed_out:
            return f"it takes longer than {self.time_ms} ms"
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL:
            return f"the data is larger than {_MAX_DATASET_PAGES * 4} KiB"
        return self.refused or _known_error(exc) or str(exc)[:300]

    def compile_error(self, exc: Exception) -> str:
        """Errors before the query runs refer only to the query text and the schema: show them."""
        text = str(exc)
        if self.timed_out:
            return "the query is too complex to compile within the time limit"
        if self.refused is not None:
            return self.refused
        if "one statement at a time" in text:
            return "only one statement is allowed: remove everything after the first semicolon"
        if "bindings" in text:
            return "placeholders such as ? or :name cannot be used"
        return _known_error(exc) or f"SQL error: {text[:300]}"

    def runtime_error(self, exc: Exception, limits: SandboxLimits) -> str:
        """Errors while running may quote the hidden data, so only quote-free messages are shown."""
        text = str(exc)
        if self.timed_out:
            return f"the query took longer than {limits.time_ms} ms and was stopped"
        if self.refused is not None:
            return self.refused
        if "decode to UTF-8" in text:
            return "the result contains text that is not valid UTF-8"
        if "too big" in text:
            return f"a value or row grew larger than the limit of {limits.max_cell_chars} characters"
        known = _known_error(exc)
        if known is not None:
            return known
        if any(quote in text for quote in "'\"`[") or len(text) > 120:
            return "the query failed while running"
        return f"SQL error while running: {text}"


def _known_error(exc: Exception) -> str | None:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if isinstance(exc, MemoryError) or code == sqlite3.SQLITE_NOMEM:
        return "the query needs too much memory"
    if code == sqlite3.SQLITE_TOOBIG:
        return "the query or one of its values is too long"
    if code == sqlite3.SQLITE_FULL:
        return "the query needs too much temporary storage"
    return None


def _confine(cpu_seconds: int) -> None:
    """Limit this child before it touches untrusted SQL: no new files, bounded memory and CPU."""
    import resource  # Unix only, and only ever needed in the child

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails instead of killing
    for limit, value in (
        (resource.RLIMIT_AS, _MEMORY_BYTES),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 3),  # stdin, stdout, stderr: nothing else can be opened
        (resource.RLIMIT_NPROC, 0),
        (resource.RLIMIT_CPU, cpu_seconds),
    ):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):  # a limit this platform lacks; the others still apply
            continue
    probe = sqlite3.connect(":memory:")
    probe.execute(f"PRAGMA hard_heap_limit = {_SQLITE_HEAP_BYTES}")  # process-wide
    probe.close()


def _connect(
    settings: dict[int, int], pragmas: Sequence[str], image: bytes | None = None
) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    if image is not None:
        connection.deserialize(image)  # a private copy: nothing a query does outlives it
    for category, value in settings.items():
        connection.setlimit(category, value)
    if hasattr(connection, "enable_load_extension"):
        connection.enable_load_extension(False)
    for pragma in pragmas:
        connection.execute(pragma)
    return connection


def _child_build(schema: str, dataset_sql: str) -> dict[str, Any]:
    pragmas = (*_PRAGMAS, f"PRAGMA max_page_count = {_MAX_DATASET_PAGES}")
    connection = _connect(_BUILD_LIMITS, pragmas)
    try:
        guard = _Guard(building=True, tables=frozenset(), time_ms=_BUILD_TIME_MS)
        connection.set_authorizer(guard.authorize)
        connection.set_progress_handler(guard.tick, _STEPS_PER_CHECK)
        for script in (schema, dataset_sql):
            try:
                connection.executescript(script)
            except (sqlite3.Error, sqlite3.Warning, MemoryError) as exc:
                return {"error": guard.build_error(exc)}
        connection.set_authorizer(None)
        connection.set_progress_handler(None, 0)
        if connection.in_transaction:
            connection.execute("COMMIT")
        names = connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        tables = sorted(str(name).lower() for (name,) in names)
        image = connection.serialize()
    finally:
        connection.close()
    return {"image": base64.b64encode(image).decode("ascii"), "tables": tables}


def _encode_value(value: object) -> object:
    return {"blob": base64.b64encode(value).decode("ascii")} if isinstance(value, bytes) else value


def _child_query(image: bytes, tables: frozenset[str], query: str, limits: SandboxLimits) -> dict[str, Any]:
    connection = _connect(_run_limits(limits), ("PRAGMA query_only = ON", *_PRAGMAS), image)
    try:
        guard = _Guard(building=False, tables=tables, time_ms=limits.time_ms)
        connection.set_authorizer(guard.authorize)
        connection.set_progress_handler(guard.tick, _STEPS_PER_CHECK)
        try:
            connection.execute("EXPLAIN " + query)  # compile only: its errors cannot show data
        except (sqlite3.Error, sqlite3.Warning, MemoryError) as exc:
            return {"error": guard.compile_error(exc)}
        try:
            return _fetch(connection.execute(query), limits)
        except (sqlite3.Error, sqlite3.Warning, MemoryError) as exc:
            return {"error": guard.runtime_error(exc, limits)}
    finally:
        connection.close()


def _fetch(cursor: sqlite3.Cursor, limits: SandboxLimits) -> dict[str, Any]:
    columns = [str(description[0]) for description in cursor.description or ()]
    rows: list[list[object]] = []
    size = 0
    for row in cursor:  # one row at a time, so the caps stop a huge result early
        if len(rows) == limits.max_rows:
            return {"error": f"the query returns more than {limits.max_rows} rows"}
        for value in row:
            chars = len(value) if isinstance(value, str | bytes) else 8
            if chars > limits.max_cell_chars:
                return {"error": f"a value in the result is longer than {limits.max_cell_chars} characters"}
            size += chars
        if size > limits.max_result_chars:
            return {"error": f"the result is larger than {limits.max_result_chars} characters"}
        rows.append([_encode_value(value) for value in row])
    return {"columns": columns, "rows": rows, "error": None}


def _child_task(
    task: dict[str, Any], limits: SandboxLimits, built: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    if "refuse" in task:
        return {"error": str(task["refuse"])}
    if "build" in task:
        schema, dataset_sql = task["build"]
        return _child_build(str(schema), str(dataset_sql))
    if "built" in task:
        source = built.get(int(task["built"]), {"error": "the dataset does not build"})
        if source.get("error") is not None:
            return {"error": str(source["error"])}
        image, tables = source["image"], source["tables"]
    else:
        image, tables = task["image"], task["tables"]
    return _child_query(base64.b64decode(image), frozenset(tables), str(task["query"]), limits)


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.buffer.write(json.dumps(message).encode("ascii") + b"\n")
    sys.stdout.buffer.flush()


def _child_main() -> None:
    """Read a batch on stdin, confine this process, answer one JSON line per task on stdout."""
    request = json.loads(sys.stdin.buffer.read())
    limits = SandboxLimits(**request["limits"])
    tasks: list[dict[str, Any]] = request["tasks"]
    _confine(cpu_seconds=math.ceil(sum(_task_budget(task, limits) for task in tasks)) + 1)
    _emit({"ready": True})
    built: dict[int, dict[str, Any]] = {}
    for index, task in enumerate(tasks):
        signal.setitimer(signal.ITIMER_PROF, _task_budget(task, limits))  # default action: terminate
        try:
            reply = _child_task(task, limits, built)
        except MemoryError:
            reply = {"error": "the query needs too much memory"}
        except Exception:
            reply = {"error": "the query could not be run"}
        signal.setitimer(signal.ITIMER_PROF, 0)
        if "build" in task:
            built[index] = reply
        _emit(reply)


if __name__ == "__main__":
    _child_main()
