"""Keeps a process-local search index in step with the board projection.

Each API process (each replica) owns its tantivy index on local disk and follows the
``board_postings`` table by ``changed_at``. The checkpoint is saved with the index, so after a crash
the process resumes where its index stopped. Rows are re-read from a little before the checkpoint
because a transaction can commit after one with a later ``changed_at``; re-reading is harmless
(upserts are idempotent) and rows already applied at the same ``changed_at`` are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import datetime, timedelta

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.board.documents import search_document
from rolecall.board.models import BoardPosting
from rolecall.board.tantivy_index import TantivySearchIndex

log = structlog.get_logger("rolecall.board")
SYNC_AGE = Gauge(
    "rolecall_search_index_sync_age_seconds",
    "Seconds since this process's search index last caught up with the posting projection",
)
SYNC_FAILURES = Counter("rolecall_search_index_sync_failures_total", "Failed search index sync rounds")
OVERLAP = timedelta(seconds=10)
BATCH = 2_000


class IndexSync:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], index: TantivySearchIndex) -> None:
        self._sessionmaker = sessionmaker
        self.index = index
        self._applied: dict[uuid.UUID, datetime] = {}
        self._lock = asyncio.Lock()
        self._caught_up_at = time.monotonic()

    def _since(self) -> datetime | None:
        saved = self.index.checkpoint()
        return datetime.fromisoformat(saved) if saved else None

    async def sync_once(self) -> int:
        """Apply every change since the checkpoint; returns how many rows changed the index."""
        async with self._lock:
            applied = 0
            since = self._since()
            lower = since - OVERLAP if since is not None else None
            last_seen: tuple[datetime, uuid.UUID] | None = None
            while True:
                stmt = select(BoardPosting).order_by(BoardPosting.changed_at, BoardPosting.id).limit(BATCH)
                if last_seen is not None:
                    at, row_id = last_seen
                    stmt = stmt.where(
                        (BoardPosting.changed_at > at)
                        | ((BoardPosting.changed_at == at) & (BoardPosting.id > row_id))
                    )
                elif lower is not None:
                    stmt = stmt.where(BoardPosting.changed_at >= lower)
                async with self._sessionmaker() as session:
                    rows = list((await session.scalars(stmt)).all())
                if not rows:
                    break
                fresh = [r for r in rows if self._applied.get(r.id) != r.changed_at]
                live = [search_document(r.document) for r in fresh if r.live and r.document]
                gone = [r.id for r in fresh if not (r.live and r.document)]
                if live:
                    await self.index.upsert(live)
                if gone:
                    await self.index.delete(gone)
                for r in fresh:
                    self._applied[r.id] = r.changed_at
                applied += len(fresh)
                last_seen = (rows[-1].changed_at, rows[-1].id)
                if since is None or rows[-1].changed_at > since:
                    since = rows[-1].changed_at
                    self.index.save_checkpoint(since.isoformat())
                if len(rows) < BATCH:
                    break
            if since is not None:  # forget what is safely older than the overlap window
                horizon = since - OVERLAP
                self._applied = {k: v for k, v in self._applied.items() if v >= horizon}
            self._caught_up_at = time.monotonic()
            return applied

    async def rebuild(self) -> int:
        async with self._lock:
            await self.index.clear()
            self.index.save_checkpoint("")
            self._applied.clear()
        return await self.sync_once()

    async def run_forever(self, stop: asyncio.Event, interval: float) -> None:
        # The gauge describes the running follower only; a process without one exports no lag.
        SYNC_AGE.set_function(lambda: time.monotonic() - self._caught_up_at)
        while not stop.is_set():
            try:
                await self.sync_once()
            except Exception:
                SYNC_FAILURES.inc()
                log.exception("search_index_sync_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
