"""The least-privileged PostgreSQL role the API and the worker run as.

Migrations run as the owner of the schema (``ROLECALL_MIGRATE_DATABASE_URL``); the processes that
serve requests and run jobs connect as an application role (``ROLECALL_DATABASE_URL``) that may read
and write rows and nothing else. With it, a bug or an injected statement in the application cannot
drop, alter or truncate a table, and the audit log is append-only twice over: the role has no
``UPDATE``, ``DELETE`` or ``TRUNCATE`` on ``audit_log``, and the triggers of migrations 0001 and 0016
refuse those statements for everyone, the owner included.

:func:`grant_statements` is the whole grant as SQL (``rolecall db grant-app-role --print-sql`` shows
it for a DBA to review); :func:`grant_app_role` runs it as the owner and then
:func:`app_role_problems` checks what the role can still do that it should not.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# An unquoted-style PostgreSQL identifier; anything else is refused rather than escaped.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
#: Tables the application role may read but never change.
READ_ONLY_TABLES = ("alembic_version",)
#: Tables the application role may read and append to only.
APPEND_ONLY_TABLES = ("audit_log",)


class RoleError(ValueError):
    """The grant cannot be made as asked (unknown role, the owner itself, SQLite, a bad name)."""


def quote(name: str) -> str:
    """``name`` as a quoted identifier; ``RoleError`` for names outside ``[A-Za-z_][A-Za-z0-9_]*``."""
    if not _IDENTIFIER.fullmatch(name):
        raise RoleError(f"{name!r} is not a plain identifier (letters, digits and _, at most 63)")
    return f'"{name}"'


def grant_statements(
    role: str,
    *,
    database: str,
    owner: str,
    schema: str = "public",
    existing: Collection[str] | None = None,
) -> list[str]:
    """The statements that make ``role`` a row-level user of the schema ``owner``'s migrations build.

    Safe to run again: grants and revokes are idempotent. ``ALTER DEFAULT PRIVILEGES`` covers the
    tables and sequences later migrations create (as long as they run as ``owner``). The revokes on
    ``alembic_version`` and ``audit_log`` are only possible once those tables exist (``existing``
    names the tables there are; None: all of them), so on a new database run it again after
    ``rolecall migrate``.
    """
    r, db, o, s = quote(role), quote(database), quote(owner), quote(schema)
    rows = "SELECT, INSERT, UPDATE, DELETE"
    statements = [
        f"GRANT CONNECT ON DATABASE {db} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        # Privileges granted earlier by hand (ALL, say) go first, so the result is exactly this.
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT {rows} ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT {rows} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    there = set(READ_ONLY_TABLES + APPEND_ONLY_TABLES) if existing is None else set(existing)
    statements += [
        f"REVOKE INSERT, UPDATE, DELETE ON {s}.{quote(t)} FROM {r}" for t in READ_ONLY_TABLES if t in there
    ]
    statements += [
        f"REVOKE UPDATE, DELETE ON {s}.{quote(t)} FROM {r}" for t in APPEND_ONLY_TABLES if t in there
    ]
    return statements


@dataclass(frozen=True)
class Grant:
    role: str
    database: str
    owner: str
    schema: str
    statements: list[str]
    #: What the role can still do that an application role must not; empty when all is well.
    problems: list[str]
    #: Things to know that are not wrong (a new database: run the grant again after migrating).
    notes: list[str]


async def _scalar(connection: AsyncConnection, sql: str, **params: object) -> object:
    return (await connection.execute(text(sql), params)).scalar()


async def _existing(connection: AsyncConnection, schema: str) -> set[str]:
    rows = await connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
    )
    return {str(row[0]) for row in rows}


async def plan(connection: AsyncConnection, role: str, schema: str = "public") -> tuple[str, str, list[str]]:
    """(database, owner, statements) for granting ``role`` on this connection's database."""
    if connection.dialect.name != "postgresql":
        raise RoleError("database roles exist on PostgreSQL only; SQLite has no users to separate")
    database = str(await _scalar(connection, "SELECT current_database()"))
    owner = str(await _scalar(connection, "SELECT current_user"))
    quote(role)
    if not await _scalar(connection, "SELECT count(*) FROM pg_roles WHERE rolname = :r", r=role):
        raise RoleError(
            f"role {role} does not exist; create it first, e.g. CREATE ROLE {role} LOGIN PASSWORD '…'"
        )
    if role == owner:
        raise RoleError(
            f"{role} is the role this command (and the migrations) run as; "
            "the application role must be a different one"
        )
    existing = await _existing(connection, schema)
    return (
        database,
        owner,
        grant_statements(role, database=database, owner=owner, schema=schema, existing=existing),
    )


async def app_role_problems(connection: AsyncConnection, role: str, schema: str = "public") -> list[str]:
    """Everything ``role`` may do beyond reading and writing rows: superuser, DDL, truncation..."""
    problems: list[str] = []
    attributes = (
        await connection.execute(
            text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = :r"
            ),
            {"r": role},
        )
    ).one()
    for flag, name in zip(attributes, ("SUPERUSER", "CREATEROLE", "CREATEDB", "BYPASSRLS"), strict=True):
        if flag:
            problems.append(f"{role} has {name}; ALTER ROLE {role} NO{name}")
    owner_member = await _scalar(
        connection,
        "SELECT count(*) FROM pg_tables t WHERE t.schemaname = :s AND pg_has_role(:r, t.tableowner, 'USAGE')",
        r=role,
        s=schema,
    )
    if owner_member:
        problems.append(
            f"{role} owns tables of {schema} (or is a member of their owner): it could alter or drop them"
        )
    if await _scalar(connection, "SELECT has_schema_privilege(:r, :s, 'CREATE')", r=role, s=schema):
        problems.append(
            f"{role} may create objects in schema {schema} (probably through PUBLIC): "
            f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC"
        )
    truncatable = await _scalar(
        connection,
        "SELECT count(*) FROM pg_tables t WHERE t.schemaname = :s "
        "AND has_table_privilege(:r, format('%I.%I', t.schemaname, t.tablename), 'TRUNCATE')",
        r=role,
        s=schema,
    )
    if truncatable:
        problems.append(f"{role} may TRUNCATE {truncatable} tables (granted to PUBLIC or a group it is in)")
    existing = await _existing(connection, schema)
    for table in (t for t in APPEND_ONLY_TABLES if t in existing):
        for privilege in ("UPDATE", "DELETE"):
            if await _scalar(
                connection,
                "SELECT has_table_privilege(:r, :t, :p)",
                r=role,
                t=f"{schema}.{table}",
                p=privilege,
            ):
                problems.append(f"{role} has {privilege} on {table} (through PUBLIC or a group it is in)")
    return problems


async def grant_app_role(
    engine: AsyncEngine, role: str, *, schema: str = "public", apply: bool = True
) -> Grant:
    """Grant ``role`` the application's privileges, as the engine's user (the schema owner).

    With ``apply=False`` nothing changes: the statements are only planned, for printing.
    """
    async with engine.begin() as connection:
        database, owner, statements = await plan(connection, role, schema)
        if apply:
            for statement in statements:
                await connection.execute(text(statement))
        problems = await app_role_problems(connection, role, schema) if apply else []
        missing = [
            t for t in READ_ONLY_TABLES + APPEND_ONLY_TABLES if t not in await _existing(connection, schema)
        ]
    notes = (
        [f"{', '.join(missing)} do not exist yet: run this again after `rolecall migrate` to restrict them"]
        if missing
        else []
    )
    return Grant(role, database, owner, schema, statements, problems, notes)
