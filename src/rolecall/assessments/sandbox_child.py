"""The SQL sandbox's child process: confinement, authorizer, dataset builds and queries.

:mod:`rolecall.assessments.sandbox` runs this file as ``python -I -S sandbox_child.py`` for every
batch of work and sends the batch as one JSON document on stdin. The child confines itself first
(no new file descriptors, no file writes, a memory ceiling, SQLite's hard heap limit), prints a
``{"ready": true}`` line, then answers one JSON line per task, each task under its own CPU timer
whose default action kills the process.

Every import here is paid again by every answer, and ``-I -S`` leaves only the standard library
importable, so this module imports the few built-in and standard modules it uses and nothing from
``rolecall``. The parent imports it too, for the constants and the CPU budget they share.

Inside the child each query still gets the in-process hardening, which is what turns most abuse into
a clear per-query message rather than a dead child: a private copy of the dataset (``deserialize``
of an image built once), ``query_only`` and ``trusted_schema=OFF``, an authorizer that allows reading
the item's own tables and an allow-list of harmless functions only, a CPU-time progress handler,
tight ``setlimit`` values, one statement, a row cap and a result-size cap.

Datasets are built from trusted staff SQL, but under the same confinement and a build authorizer
(tables, indexes, views and rows only; no ``ATTACH``, ``PRAGMA`` or ``VACUUM INTO``): an item
importer must not be able to write files on the server either.
"""

from __future__ import annotations

import binascii
import json
import math
import signal
import sqlite3
import sys
import time

TYPE_CHECKING = False  # typing costs an import the child never needs; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Final

BUILD_TIME_MS: Final = 2000
MAX_DATASET_CHARS: Final = 1_000_000
MEMORY_BYTES: Final = 256 * 1024 * 1024


class Limits:
    """The child's copy of :class:`~rolecall.assessments.sandbox.SandboxLimits`, without dataclasses."""

    __slots__ = ("max_cell_chars", "max_query_chars", "max_result_chars", "max_rows", "time_ms")

    def __init__(
        self, *, time_ms: int, max_rows: int, max_cell_chars: int, max_query_chars: int, max_result_chars: int
    ) -> None:
        self.time_ms = time_ms
        self.max_rows = max_rows
        self.max_cell_chars = max_cell_chars
        self.max_query_chars = max_query_chars
        self.max_result_chars = max_result_chars
        if min(time_ms, max_rows, max_cell_chars, max_query_chars, max_result_chars) < 1:
            raise ValueError("sandbox limits must be positive")


def task_budget(task: dict[str, Any], time_ms: int) -> float:
    """CPU seconds a task may use before the child is killed (the in-process limits act first)."""
    if "build" in task:
        return 2 * BUILD_TIME_MS / 1000 + 0.5
    return 2 * time_ms / 1000 + 0.25


def _b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


_STEPS_PER_CHECK: Final = 2000
_MAX_DATASET_PAGES: Final = 256
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


def _run_limits(limits: Limits) -> dict[int, int]:
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
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 4 * MAX_DATASET_CHARS,
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

    def runtime_error(self, exc: Exception, limits: Limits) -> str:
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
        (resource.RLIMIT_AS, MEMORY_BYTES),
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
        guard = _Guard(building=True, tables=frozenset(), time_ms=BUILD_TIME_MS)
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
    return {"image": _b64encode(image), "tables": tables}


def _encode_value(value: object) -> object:
    return {"blob": _b64encode(value)} if isinstance(value, bytes) else value


def _child_query(image: bytes, tables: frozenset[str], query: str, limits: Limits) -> dict[str, Any]:
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


def _fetch(cursor: sqlite3.Cursor, limits: Limits) -> dict[str, Any]:
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


def _child_task(task: dict[str, Any], limits: Limits, built: dict[int, dict[str, Any]]) -> dict[str, Any]:
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
    return _child_query(binascii.a2b_base64(image), frozenset(tables), str(task["query"]), limits)


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.buffer.write(json.dumps(message).encode("ascii") + b"\n")
    sys.stdout.buffer.flush()


def _child_main() -> None:
    """Read a batch on stdin, confine this process, answer one JSON line per task on stdout."""
    request = json.loads(sys.stdin.buffer.read())
    limits = Limits(**request["limits"])
    tasks: list[dict[str, Any]] = request["tasks"]
    _confine(cpu_seconds=math.ceil(sum(task_budget(task, limits.time_ms) for task in tasks)) + 1)
    _emit({"ready": True})
    built: dict[int, dict[str, Any]] = {}
    for index, task in enumerate(tasks):
        signal.setitimer(signal.ITIMER_PROF, task_budget(task, limits.time_ms))  # default action: terminate
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
