"""What the privacy context contributes: export, erasure and retention (hourly), the orphan-file sweep."""

from __future__ import annotations

from datetime import timedelta

from rolecall.platform.contexts import Context, JobScope, ScheduledJob, Scope
from rolecall.privacy.endpoints import router
from rolecall.privacy.orphans import sweep_orphan_files
from rolecall.privacy.retention import apply_retention


async def _retention(scope: JobScope) -> dict[str, int]:
    settings = scope.settings
    return await apply_retention(
        scope.sessionmaker, keyring=settings.pii_keyring(), store=settings.file_store()
    )


async def _orphan_files(scope: JobScope) -> dict[str, int]:
    settings = scope.settings
    sweep = await sweep_orphan_files(
        scope.sessionmaker,
        settings.file_store(),
        grace=timedelta(hours=settings.orphan_file_grace_hours),
        max_removals=settings.orphan_file_max_removals,
    )
    return sweep.counts()


CONTEXT = Context(
    name="privacy",
    order=95,
    routers=(router,),
    jobs=(
        ScheduledJob("retention", _retention, every=timedelta(hours=1)),
        # Listing a large bucket costs requests; orphans wait a day anyway, so a few runs a day do.
        ScheduledJob("orphan_files", _orphan_files, every=timedelta(hours=6)),
    ),
    scopes=(Scope("privacy:manage", "Export and erase candidates' personal data; set retention rules"),),
)
