"""Engine, sessions and the declarative base shared by every context.

SQLite is the zero-set-up default and PostgreSQL the production target, so this module hides the
few places where they differ: SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE``
(so two writers queue instead of failing on a lock upgrade).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import structlog
from sqlalchemy import DateTime, MetaData, Uuid, event
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from rolecall.platform.clock import utcnow
from rolecall.platform.ids import new_id

_log = structlog.get_logger("rolecall.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RolecallSession(Session):
    """Sync half of every AsyncSession; tenancy rules attach their listeners to this class."""


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def create_engine(
    url: str, *, pool_size: int = 20, pool_recycle: int = 1800, echo: bool = False
) -> AsyncEngine:
    # Statement parameters are personal data and credential hashes: keep them out of echo output and
    # out of the text of database errors, which end up in logged tracebacks.
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, hide_parameters=True, poolclass=NullPool, connect_args={"timeout": 30}
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        # Every connection the process may hold stays open: no overflow. An overflow connection is
        # closed when it is returned to a full pool, so a burst above the pool size opened and closed
        # connections for as long as it lasted (a backend start and asyncpg's set-up each time); under
        # a 200 requests/s soak that churn (2,600 connections in 4 minutes) kept two processes slow
        # for minutes after a cold start. A request beyond the pool waits for a connection instead.
        pool_size=pool_size,
        max_overflow=0,
        # No pre-ping: it is a round trip on every checkout, the cost of a whole read on the hot
        # path. Connections are recycled instead, and one the server dropped is invalidated by the
        # statement that finds it (SQLAlchemy's disconnect handling) and replaced for the next.
        pool_recycle=pool_recycle,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=RolecallSession)


READS_FIRST = "rolecall_reads_first"


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession] | None:
    """Sessions for requests that mostly read (GET and HEAD), on PostgreSQL through asyncpg.

    Their statements run outside a transaction until the first one that is not a plain read: a pure
    read costs its own round trips and no ``BEGIN``/``COMMIT``. Before the first write, savepoint,
    locking read or anything else (:func:`_transaction_from_first_write`), the connection leaves
    autocommit, so from there on the unit of work is one transaction that the request commits or
    rolls back as usual. Under READ COMMITTED, PostgreSQL's default and Rolecall's, a statement
    inside a transaction sees exactly what it would see outside one, so the reads before the first
    write see no less. ``None`` on SQLite, whose requests keep their transaction.
    """
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "asyncpg":
        return None
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT", **{READS_FIRST: True}),
        expire_on_commit=False,
        sync_session_class=RolecallSession,
        info={READS_FIRST: True},
    )


_PLAIN_READ: dict[str, bool] = {}
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|_xact_", re.IGNORECASE)


def _plain_read(sql: str) -> bool:
    """A SELECT that neither locks rows nor takes a transaction-scoped lock (memoised per SQL text)."""
    known = _PLAIN_READ.get(sql)
    if known is None:
        known = sql.lstrip()[:6].upper() == "SELECT" and _LOCKING.search(sql) is None
        if len(_PLAIN_READ) < 10_000:
            _PLAIN_READ[sql] = known
    return known


@event.listens_for(Engine, "before_cursor_execute")
def _transaction_from_first_write(
    conn: Connection, _cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    if not conn.get_execution_options().get(READS_FIRST) or _plain_read(statement):
        return
    raw = conn.connection.dbapi_connection
    # asyncpg's adapter starts a transaction before this statement once it is no longer in
    # autocommit, and the session's commit or rollback ends it; the pool restores the connection's
    # isolation level when it takes it back.
    if raw is not None and getattr(raw, "isolation_level", None) == "autocommit":
        raw.isolation_level = "read_committed"


_UNDO = "rolecall_on_rollback"


def on_rollback(session: AsyncSession, undo: Callable[[], Awaitable[None]]) -> None:
    """Register work to undo outside the database if this unit of work does not commit.

    For side effects a rollback cannot reach, such as bytes written to the file store: a service
    that writes them registers their removal here, and :func:`transaction` runs it when the block
    raises or the commit fails, so a failed request leaves no orphans behind.
    """
    session.info.setdefault(_UNDO, []).append(undo)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession], *, info: dict[str, Any] | None = None
) -> AsyncIterator[AsyncSession]:
    """Own one unit of work: commit when the block succeeds, roll back when it raises.

    Services never commit; request handlers and worker jobs wrap their work in this instead.
    """
    async with sessionmaker() as session:
        if info:
            session.info.update(info)
        try:
            async with session.begin():
                yield session
        except BaseException:
            for undo in reversed(session.info.pop(_UNDO, [])):
                with anyio.CancelScope(shield=True):
                    try:
                        await undo()
                    except Exception:
                        _log.exception("rollback_undo_failed")
            raise
        session.info.pop(_UNDO, None)
