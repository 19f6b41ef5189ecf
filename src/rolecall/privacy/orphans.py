"""The orphan-file sweep: remove stored files that no record points at.

A resume reaches the file store before the row that points at it is committed. Normally a failed
request deletes the bytes again (``platform.db.on_rollback``), but a process killed between the
two (``kill -9``, an out-of-memory kill, a node lost) leaves bytes no row names. Nothing could ever
erase them: export, erasure and retention all start from the rows. This job finds them.

It lists the store (:meth:`rolecall.platform.storage.FileStore.listing`), and for each batch of
files older than the grace period asks every context that declares ``file_keys`` which of the keys
its records hold; the rest are orphans and are deleted. It never reads another context's tables. The
grace period (``ROLECALL_ORPHAN_FILE_GRACE_HOURS``, default 24 h) covers uploads whose transaction
is still running. If a context cannot answer, the batch is not touched: the job fails and the next
run tries again. Every removal is logged with its key (an opaque id; no name, no candidate) and
counted in ``rolecall_orphan_files_removed_total``.

Deleting starts only once the whole store has been judged, and not at all when more files look
orphaned than ``max_removals`` (``ROLECALL_ORPHAN_FILE_MAX_REMOVALS``): a crash leaves a handful,
whereas a process pointed at the wrong (or an empty, freshly restored) database would see every
file as an orphan. That run is refused and logged as an error for a person to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.clock import utcnow
from rolecall.platform.contexts import FileKeys, file_key_holders
from rolecall.platform.db import transaction
from rolecall.platform.storage import FileStore, StoredFile

log = structlog.get_logger("rolecall.privacy.orphans")
ORPHAN_FILES_REMOVED = Counter(
    "rolecall_orphan_files_removed_total",
    "Stored files no record pointed at, removed by the orphan-file sweep",
)


@dataclass
class Sweep:
    """What one run saw: files listed, too young to judge, held by a record, and orphans."""

    dry_run: bool
    #: More orphans than the run may remove: nothing was deleted (see the module docstring).
    refused: bool = False
    listed: int = 0
    young: int = 0
    held: int = 0
    removed: int = 0
    #: The orphans' keys (removed, or only found on a dry run), oldest first per listing batch.
    orphans: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "files_listed": self.listed,
            "files_young": self.young,
            "files_held": self.held,
            "orphan_files_found": len(self.orphans),
            "orphan_files_removed": self.removed,
            "orphan_sweeps_refused": int(self.refused),
        }


async def _held(
    sessionmaker: async_sessionmaker[AsyncSession], holders: Sequence[tuple[str, FileKeys]], keys: list[str]
) -> set[str]:
    held: set[str] = set()
    async with transaction(sessionmaker) as session:
        for _, holder in holders:
            held |= await holder(session, keys)
    return held


async def sweep_orphan_files(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: FileStore,
    *,
    grace: timedelta,
    max_removals: int,
    dry_run: bool = False,
    now: datetime | None = None,
    holders: Sequence[tuple[str, FileKeys]] | None = None,
) -> Sweep:
    """One pass over the whole store; with ``dry_run`` the orphans are listed but kept."""
    holders = file_key_holders() if holders is None else holders
    if not holders:
        # With nobody to ask, every file would look like an orphan: refuse rather than empty the store.
        raise RuntimeError("no context declares file_keys; refusing to treat every stored file as an orphan")
    cutoff = (now or utcnow()).astimezone(UTC) - grace
    result = Sweep(dry_run=dry_run)
    orphans: list[StoredFile] = []
    async for batch in store.listing():
        result.listed += len(batch)
        old = [item for item in batch if item.modified <= cutoff]
        result.young += len(batch) - len(old)
        if not old:
            continue
        held = await _held(sessionmaker, holders, [item.key for item in old])
        result.held += len(held)
        orphans += sorted((item for item in old if item.key not in held), key=lambda item: item.modified)
        if len(orphans) > max_removals and not dry_run:
            result.refused = True
            log.error(
                "orphan_sweep_refused",
                orphans_seen=len(orphans),
                max_removals=max_removals,
                files_held=result.held,
                reason="more files without a record than one run may remove; is this the right database?",
            )
            return result
    result.orphans = [item.key for item in orphans]
    for item in orphans:
        if dry_run:
            log.info("orphan_file_found", file_key=item.key, modified=item.modified.isoformat())
            continue
        await store.delete(item.key)
        result.removed += 1
        ORPHAN_FILES_REMOVED.inc()
        log.warning("orphan_file_removed", file_key=item.key, modified=item.modified.isoformat())
    return result
