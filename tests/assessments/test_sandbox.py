"""The SQL sandbox: credit rules, candidate-safe errors, and escape attempts that must fail per query."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from rolecall.assessments.sandbox import (
    PreparedDataset,
    QueryResult,
    SandboxLimits,
    check_item,
    compare,
    prepare,
    run_query,
    score_sql,
)

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), total REAL);
"""
DATASETS = [
    (
        "busy",
        "INSERT INTO customers VALUES (1, 'Ada', 'Leeds'), (2, 'Bo', 'York'), (3, 'Cy', NULL);"
        "INSERT INTO orders VALUES (1, 1, 10.5), (2, 1, 2.25), (3, 2, 7), (4, 1, 1);",
    ),
    ("single", "INSERT INTO customers VALUES (1, 'Dee', 'Hull'); INSERT INTO orders VALUES (1, 1, 3);"),
    ("no-orders", "INSERT INTO customers VALUES (1, 'Ed', 'Bath'), (2, 'Flo', 'Ely');"),
]
SOLUTION = """
SELECT c.name, count(o.id) AS orders
FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.id
ORDER BY orders DESC, c.name
"""
CANARY = "Ada"  # a hidden value that must never reach a candidate through an error message


@pytest.fixture(scope="module")
def busy() -> PreparedDataset:
    return prepare(SCHEMA, DATASETS[0][1])


def score(query: str, *, ordered: bool = True) -> tuple[float, list[str], list[str]]:
    return score_sql(SCHEMA, DATASETS, SOLUTION, query, ordered=ordered)


# --- credit --------------------------------------------------------------------------------------


def test_the_solution_and_an_equivalent_query_get_full_credit() -> None:
    assert score(SOLUTION) == (
        1.0,
        ["dataset busy: correct", "dataset single: correct", "dataset no-orders: correct"],
        [],
    )
    rewritten = """
        -- a different but equivalent answer, with other column names
        SELECT name AS customer, (SELECT count(*) FROM orders WHERE customer_id = customers.id) AS n
        FROM customers ORDER BY 2 DESC, 1;
    """
    assert score(rewritten)[0] == 1.0


def test_row_order_counts_only_for_ordered_items() -> None:
    by_name = (
        "SELECT c.name, count(o.id) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id"
        " GROUP BY c.id ORDER BY c.name DESC"
    )
    assert score(by_name, ordered=False) == (
        1.0,
        ["dataset busy: correct", "dataset single: correct", "dataset no-orders: correct"],
        [],
    )
    credit, feedback, errors = score(by_name, ordered=True)
    # "busy" and "no-orders" come out in another order; a single row cannot be misordered
    assert credit == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert feedback[0] == "dataset busy: right rows in the wrong order"
    assert errors == []


def test_right_columns_with_wrong_rows_get_a_fifth() -> None:
    off_by_one = (
        "SELECT c.name, count(o.id) + 1 AS ORDERS FROM customers c"
        " LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY 2 DESC, 1"
    )
    credit, feedback, _ = score(off_by_one)
    assert credit == pytest.approx(0.2)
    assert set(feedback) == {
        f"dataset {name}: right columns and row count, wrong rows" for name, _ in DATASETS
    }


def test_wrong_columns_or_a_wrong_row_count_get_nothing() -> None:
    assert score("SELECT name FROM customers")[0] == 0.0
    inner = (
        "SELECT c.name, count(o.id) AS orders FROM customers c JOIN orders o ON o.customer_id = c.id"
        " GROUP BY c.id ORDER BY 2 DESC, 1"
    )
    credit, feedback, _ = score(inner)  # drops customers without orders: right on "single" only
    assert credit == pytest.approx(1 / 3)
    assert "dataset no-orders: right columns, wrong rows (0 rows instead of 2)" in feedback


def test_values_compare_after_normalisation() -> None:
    expected = QueryResult(columns=("a", "b", "c", "d"), rows=((3, 0.1 + 0.2, None, "x"),))
    assert (
        compare(expected, QueryResult(("A", "B", "C", "D"), ((3.0, 0.3, None, "x"),)), ordered=True)[0] == 1.0
    )
    assert (
        compare(expected, QueryResult(("a", "b", "c", "d"), ((3.0000001, 0.3, None, "x"),)), ordered=True)[0]
        == 1.0
    )
    assert (
        compare(expected, QueryResult(("a", "b", "c", "d"), ((3.001, 0.3, None, "x"),)), ordered=True)[0]
        == 0.2
    )
    assert (
        compare(expected, QueryResult(("a", "b", "c", "d"), (("3", 0.3, None, "x"),)), ordered=True)[0] == 0.2
    )
    assert (
        compare(expected, QueryResult(("a", "b", "c", "d"), ((3, 0.3, None, "X"),)), ordered=True)[0] == 0.2
    )
    assert compare(expected, QueryResult(("a", "b", "c", "d"), ((3, 0.3, 0, "x"),)), ordered=True)[0] == 0.2
    assert compare(expected, QueryResult(error="boom"), ordered=True) == (0.0, "error: boom")
    duplicated = QueryResult(("a",), ((1,), (1,), (2,)))
    assert compare(duplicated, QueryResult(("a",), ((1,), (2,), (2,))), ordered=False)[0] == 0.2


# --- errors the candidate sees -------------------------------------------------------------------


def test_a_syntax_error_is_reported_once_and_plainly() -> None:
    credit, feedback, errors = score("SELEC name FROM customers")
    assert credit == 0.0
    assert errors == ["the answer must be a single SELECT query (it may start with WITH)"]
    credit, feedback, errors = score("SELECT name FROM customers WHERE")
    assert (credit, len(errors)) == (0.0, 1)
    assert errors == ["SQL error: incomplete input"]
    assert all(line.startswith("dataset ") and "error: " in line for line in feedback)
    assert "Traceback" not in errors[0]


def test_compile_errors_name_the_problem(busy: PreparedDataset) -> None:
    assert run_query(busy, "SELECT nme FROM customers").error == "SQL error: no such column: nme"
    assert run_query(busy, "SELECT * FROM invoices").error == "SQL error: no such table: invoices"
    assert run_query(busy, "SELECT ?").error == "placeholders such as ? or :name cannot be used"


def test_errors_while_running_never_quote_hidden_data(busy: PreparedDataset) -> None:
    for query in (
        "SELECT json_extract('{}', name) FROM customers",  # SQLite quotes the bad path: a customer name
        "SELECT CAST(CAST(name AS BLOB) || x'ff' AS TEXT) FROM customers",  # invalid UTF-8, quoted by Python
    ):
        error = run_query(busy, query).error
        assert error is not None
        assert CANARY not in error


def test_results_are_returned_with_their_columns(busy: PreparedDataset) -> None:
    result = run_query(
        busy,
        "SELECT customers.id, name, city, total, x'00ff' AS raw"
        " FROM customers JOIN orders ON customer_id = customers.id WHERE orders.id = 1",
    )
    assert result == QueryResult(
        columns=("id", "name", "city", "total", "raw"), rows=((1, "Ada", "Leeds", 10.5, b"\x00\xff"),)
    )


# --- escape attempts -----------------------------------------------------------------------------

WRITES = [
    "INSERT INTO customers VALUES (9, 'Mallory', NULL)",
    "UPDATE customers SET name = 'Mallory'",
    "DELETE FROM customers",
    "DROP TABLE customers",
    "CREATE TABLE stash (x)",
    "CREATE TEMP TABLE stash (x)",
    "REPLACE INTO customers VALUES (1, 'Mallory', NULL)",
    "ALTER TABLE customers ADD COLUMN x",
    "WITH x AS (SELECT 1) INSERT INTO customers SELECT 9, 'Mallory', NULL FROM x",
    "WITH x AS (SELECT 1) DELETE FROM customers",
    "WITH x AS (SELECT 1) UPDATE customers SET name = 'Mallory'",
    "BEGIN",
    "VACUUM",
]
PRAGMAS = [
    "PRAGMA table_info(customers)",
    "PRAGMA query_only = OFF",
    "PRAGMA writable_schema = ON",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA hard_heap_limit = 0",
    "SELECT * FROM pragma_table_info('customers')",
    "SELECT * FROM pragma_compile_options",
]
FORBIDDEN_READS = [
    "SELECT load_extension('x')",
    "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
    "SELECT zeroblob(1000000000)",
    "SELECT randomblob(1000000000)",
    "SELECT random()",
    "SELECT sqlite_version()",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM dbstat",
    "SELECT * FROM json_each('[1, 2]')",
    "SELECT 1; DROP TABLE customers",
    "SELECT 1; SELECT 2",
    "EXPLAIN SELECT * FROM customers",
]


@pytest.mark.parametrize("query", WRITES + PRAGMAS + FORBIDDEN_READS)
def test_escape_attempts_fail_with_a_message(busy: PreparedDataset, query: str) -> None:
    result = run_query(busy, query)
    assert result.error is not None
    assert result.rows == ()
    assert "Traceback" not in result.error


def test_a_second_statement_is_named_as_the_problem(busy: PreparedDataset) -> None:
    error = run_query(busy, "SELECT 1; DROP TABLE customers").error
    assert error == "only one statement is allowed: remove everything after the first semicolon"
    assert run_query(busy, "SELECT 1;  -- a trailing comment is fine").rows == ((1,),)


@pytest.mark.parametrize("template", ["ATTACH DATABASE '{}' AS x", "VACUUM INTO '{}'"])
def test_no_file_is_created(busy: PreparedDataset, tmp_path: Path, template: str) -> None:
    target = tmp_path / "x.db"
    assert run_query(busy, template.format(target)).error is not None
    hidden = "WITH a AS (SELECT 1) SELECT * FROM a; " + template.format(target)  # noqa: S608
    assert run_query(busy, hidden).error is not None
    assert not target.exists()


def test_the_dataset_is_unchanged_after_write_attempts(busy: PreparedDataset) -> None:
    image = bytes(busy.image)
    for query in WRITES:
        run_query(busy, query)
    assert busy.image == image
    assert run_query(busy, "SELECT count(*) FROM customers").rows == ((3,),)
    assert score(SOLUTION)[0] == 1.0


def test_a_recursive_cte_bomb_stops_at_the_time_limit(busy: PreparedDataset) -> None:
    started = time.perf_counter()
    result = run_query(
        busy, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    )
    assert time.perf_counter() - started < 1.5
    assert result.error == "the query took longer than 200 ms and was stopped"


def test_a_huge_cross_join_stops_at_the_time_limit(busy: PreparedDataset) -> None:
    tables = ", ".join(f"customers t{i}" for i in range(16))
    started = time.perf_counter()
    result = run_query(busy, "SELECT count(*) FROM " + tables)  # noqa: S608
    assert time.perf_counter() - started < 1.5
    assert result.error == "the query took longer than 200 ms and was stopped"


def cte_chain(levels: int, step: str, last: str) -> str:
    """``WITH a0 AS (SELECT 1 x), a1 AS (step on a0), …`` then ``last`` on the final level."""
    steps = [f"a{i} AS ({step.format(f'a{i - 1}')})" for i in range(1, levels + 1)]
    return f"WITH a0 AS (SELECT 1 x), {', '.join(steps)} {last.format(f'a{levels}')}"


@pytest.mark.parametrize(
    "query",
    [
        # each CTE refers to the previous one three times: exponential work while *compiling*
        cte_chain(13, "SELECT x.x FROM {0} x, {0} y, {0} z", "SELECT count(*) FROM {}"),
        # flattening copies x+x+x into the next level: 3^20 nodes, which ran out the host's memory in-process
        cte_chain(20, "SELECT x + x + x AS x FROM {}", "SELECT x FROM {}"),
    ],
)
def test_compile_bombs_are_stopped_by_the_child_limits(busy: PreparedDataset, query: str) -> None:
    started = time.perf_counter()
    result = run_query(busy, query)
    assert time.perf_counter() - started < 2
    assert result.error is not None
    assert run_query(busy, "SELECT count(*) FROM orders").rows == ((4,),)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT replace(printf('%.*c', 5000, 'x'), 'x', 'xxxxxxxxxx')",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50000)"
        " SELECT group_concat(x) FROM c",
        "SELECT printf('%.*c', 20000, 'x')",  # under SQLite's byte limit, over the cell limit
    ],
)
def test_very_long_values_are_refused(busy: PreparedDataset, query: str) -> None:
    error = run_query(busy, query).error
    assert error is not None
    assert "10000 characters" in error


def test_printf_cannot_build_a_huge_string(busy: PreparedDataset) -> None:
    result = run_query(busy, "SELECT printf('%.*c', 100000000, 'x')")
    # SQLite's printf gives NULL, rather than an error, past the length limit
    assert result.error is not None or result.rows == ((None,),)


def test_too_many_rows_are_refused(busy: PreparedDataset) -> None:
    query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) SELECT x FROM c"
    assert run_query(busy, query).error == "the query returns more than 1000 rows"
    assert len(run_query(busy, query.replace("100000", "1000")).rows) == 1000


def test_the_total_result_size_is_capped(busy: PreparedDataset) -> None:
    limits = SandboxLimits(max_result_chars=50)
    query = "SELECT printf('%.*c', 20, 'x') FROM customers"
    assert run_query(busy, query, limits).error == "the result is larger than 50 characters"
    assert run_query(busy, query).error is None


def test_a_one_megabyte_query_is_refused_before_parsing(busy: PreparedDataset) -> None:
    query = "SELECT 1" + " " * 1_000_000
    assert run_query(busy, query).error == "the query is longer than 5000 characters"
    assert run_query(busy, "SELECT 1 -- \x00").error == "the query contains a NUL character"


# --- checking an item when it is imported ---------------------------------------------------------


def test_a_sound_item_has_no_problems() -> None:
    assert check_item(SCHEMA, DATASETS, SOLUTION) == []


def test_check_item_reports_a_broken_schema() -> None:
    problems = check_item("CREATE TABLE customers (id INTEGER PRIMARY KEY,", DATASETS, SOLUTION)
    assert len(problems) == 1
    assert problems[0].startswith("the schema does not build: ")
    assert check_item(SCHEMA + "PRAGMA foreign_keys = ON;", DATASETS, SOLUTION) == [
        "the schema does not build: PRAGMA statements are not allowed"
    ]
    attach = f"ATTACH DATABASE '{os.devnull}' AS x;"
    assert check_item(SCHEMA + attach, DATASETS, SOLUTION) != []


def test_check_item_reports_a_broken_dataset_and_a_failing_solution() -> None:
    datasets = [*DATASETS[:2], ("typo", "INSERT INTO customer VALUES (1, 'Gus', NULL);")]
    assert check_item(SCHEMA, datasets, SOLUTION) == ["dataset typo does not build: no such table: customer"]
    assert check_item(SCHEMA, DATASETS, "SELECT nme FROM customers") == [
        f"the solution fails on dataset {name}: SQL error: no such column: nme" for name, _ in DATASETS
    ]
    assert check_item(SCHEMA, DATASETS, "DELETE FROM customers") == [
        "the solution cannot run: the answer must be a single SELECT query (it may start with WITH)"
    ]
    assert check_item(SCHEMA, DATASETS, "SELECT * FROM customers WHERE 0") == [
        "the solution returns no rows on any dataset"
    ]


def test_datasets_are_bounded_in_size_and_build_time() -> None:
    huge = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000)"
        " INSERT INTO customers SELECT x, printf('%.*c', 100, 'x'), NULL FROM c;"
    )
    endless = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
        " INSERT INTO customers SELECT count(*), 'x', NULL FROM c;"
    )
    assert check_item(SCHEMA, [("huge", huge), ("endless", endless)], SOLUTION) == [
        "dataset huge does not build: the data is larger than 1024 KiB",
        "dataset endless does not build: it takes longer than 2000 ms",
    ]


def test_a_broken_item_scores_no_dataset_but_says_why() -> None:
    datasets = [DATASETS[0], ("typo", "INSERT INTO customer VALUES (1, 'Gus', NULL);")]
    credit, feedback, errors = score_sql(SCHEMA, datasets, SOLUTION, SOLUTION, ordered=True)
    assert credit == 1.0  # the broken dataset is left out of the mean
    assert feedback == [
        "dataset busy: correct",
        "dataset typo: skipped, it does not build: no such table: customer",
    ]
    assert errors == []


ORDINARY = [
    "SELECT DISTINCT city FROM customers WHERE city IS NOT NULL ORDER BY city NULLS LAST LIMIT 5 OFFSET 1",
    "SELECT customer_id, round(avg(total), 2), total(total), count(DISTINCT id) FROM orders"
    " GROUP BY 1 HAVING count(*) > 1",
    "SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders) AND name LIKE 'A%' OR"
    " name GLOB 'B*'",
    "SELECT CASE WHEN total > 5 THEN 'big' ELSE 'small' END, iif(total > 5, 1, 0), coalesce(NULL, total)"
    " FROM orders",
    "SELECT name, rank() OVER (ORDER BY id DESC), sum(id) OVER (ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)"
    " FROM customers",
    "SELECT lag(total) OVER w, lead(total, 1, 0) OVER w, row_number() OVER w FROM orders WINDOW w"
    " AS (ORDER BY id)",
    "WITH spend AS (SELECT customer_id, sum(total) AS s FROM orders GROUP BY 1) SELECT count(*),"
    " max(s) FROM spend",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT"
    " group_concat(i, ';') FROM n",
    "SELECT name FROM customers UNION SELECT city FROM customers EXCEPT SELECT 'York'"
    " INTERSECT SELECT name FROM customers",
    "SELECT upper(substr(name, 1, 2)), length(name), instr(name, 'd'), replace(name, 'a', 'o'), trim(' x ')"
    " FROM customers",
    "SELECT date('2024-01-31', '+1 month'), strftime('%Y', '2024-05-01'),"
    " julianday('2024-01-02') - julianday('2024-01-01')",
    "SELECT CAST(total AS INTEGER), typeof(total), abs(-total), max(total, 3), min(total, 3), total"
    " / 2 FROM orders",
    "SELECT '{\"a\": [1, 2]}' ->> '$.a[1]', json_extract('{\"b\": 3}', '$.b'),"
    " json_array_length('[1, 2, 3]')",
    "SELECT c.rowid, o.total FROM customers AS c JOIN orders AS o USING (id) NATURAL JOIN (SELECT"
    " id FROM orders)",
    "VALUES (1, 'a'), (2, 'b')",
    "SELECT 1 AS one;",
]


@pytest.mark.parametrize("query", ORDINARY)
def test_ordinary_queries_run(busy: PreparedDataset, query: str) -> None:
    result = run_query(busy, query)
    assert result.error is None
    assert result.rows
