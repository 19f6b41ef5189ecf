"""The SQL sandbox: a candidate's query against an item's hidden datasets, and the comparison of results.

A query is untrusted text, and SQLite's in-process defences (authorizer, progress handler, limits) do
not cover everything: *compiling* a short query can take minutes and gigabytes (a chain of CTEs that
each refer to the previous one three times expands exponentially before a single VM step runs, and
neither the progress handler nor ``interrupt()`` reaches the compiler). So every batch of work runs
in a fresh child process, ``python -I -S`` on :mod:`~rolecall.assessments.sandbox_child`, which
imports only what it uses (every answer pays for its imports), confines itself before touching the
query, and adds SQLite's in-process hardening around each query. The parent waits with a wall-clock
timeout on top. One child serves a whole item (all datasets, the solution and the answer), so
scoring costs one process start, not one per dataset.

Error messages go to candidates, so they must never carry hidden data. A query is first compiled on
its own (``EXPLAIN``): compile errors only ever quote the query or the schema, which the candidate
sees, and are shown as they are. Errors raised while *running* can quote values (``json_extract``
does), so they are shown only when they carry no quoted text, and replaced by a generic message
otherwise.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

from rolecall.assessments import sandbox_child
from rolecall.assessments.sandbox_child import MAX_DATASET_CHARS, task_budget

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
        if len(schema) > _MAX_SCHEMA_CHARS or len(dataset_sql) > MAX_DATASET_CHARS:
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
        timeout = _WALL_SLACK_SECONDS + 3 * sum(
            task_budget(task, self.limits.time_ms) for task in self._tasks
        )
        env = {name: os.environ[name] for name in ("LD_LIBRARY_PATH",) if name in os.environ}
        try:
            with _CHILDREN:
                done = subprocess.run(  # noqa: S603 - fixed argv; the query travels on stdin
                    [sys.executable, "-I", "-S", _CHILD_SCRIPT],
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


# The child runs as a script, by path: ``-I -S`` leaves the rolecall package unimportable there.
_CHILD_SCRIPT: Final = os.path.abspath(sandbox_child.__file__)
_WALL_SLACK_SECONDS: Final = 10.0
# Children running at once, whatever the number of grading threads: bounds memory (each may use up
# to sandbox_child.MEMORY_BYTES) and keeps a burst of submissions from starving the rest of the
# process of CPU.
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
