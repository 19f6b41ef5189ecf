"""Which search index a process uses, chosen by ``ROLECALL_SEARCH_BACKEND``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.board import database_index
from rolecall.board.database_index import DatabaseSearchIndex
from rolecall.board.documents import search_document
from rolecall.board.index_sync import IndexSync
from rolecall.board.models import BoardPosting
from rolecall.board.search import SearchIndex
from rolecall.board.tantivy_index import TantivySearchIndex
from rolecall.config import Settings
from rolecall.platform.db import transaction


def open_search_index(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[SearchIndex, IndexSync | None]:
    """The database index needs no follower (the event handler writes it); tantivy does."""
    if settings.search_backend == "database":
        return DatabaseSearchIndex(sessionmaker), None
    index = TantivySearchIndex(settings.search_index_path)
    return index, IndexSync(sessionmaker, index)


async def rebuild_search_index(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Rebuild the configured index from the board projection; returns the number of live postings.

    The projection (``board_postings``) is the source of truth, so this is always safe to run. With
    tantivy, the index directory is locked by its writer: stop the API processes that use
    ``ROLECALL_SEARCH_INDEX_PATH`` first (or give this command a fresh path and point them at it).
    """
    if settings.search_backend == "database":
        async with transaction(sessionmaker) as session:
            await database_index.clear_documents(session)
            rows = (await session.scalars(select(BoardPosting).where(BoardPosting.live.is_(True)))).all()
            documents = [search_document(r.document) for r in rows if r.document]
            await database_index.upsert_documents(session, documents)
        return len(documents)
    index = TantivySearchIndex(settings.search_index_path)
    try:
        await IndexSync(sessionmaker, index).rebuild()
    finally:
        index.close()
    async with sessionmaker() as session:
        stmt = select(func.count()).select_from(BoardPosting).where(BoardPosting.live.is_(True))
        return int((await session.execute(stmt)).scalar_one())
