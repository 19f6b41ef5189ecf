"""Which search index a process uses, chosen by ``ROLECALL_SEARCH_BACKEND``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.board.database_index import DatabaseSearchIndex
from rolecall.board.index_sync import IndexSync
from rolecall.board.search import SearchIndex
from rolecall.board.tantivy_index import TantivySearchIndex
from rolecall.config import Settings


def open_search_index(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[SearchIndex, IndexSync | None]:
    """The database index needs no follower (the event handler writes it); tantivy does."""
    if settings.search_backend == "database":
        return DatabaseSearchIndex(sessionmaker), None
    index = TantivySearchIndex(settings.search_index_path)
    return index, IndexSync(sessionmaker, index)
