"""What the privacy context contributes: export, erasure and retention; retention runs about hourly."""

from __future__ import annotations

from datetime import timedelta

from rolecall.platform.contexts import Context, JobScope, ScheduledJob, Scope
from rolecall.privacy.endpoints import router
from rolecall.privacy.retention import apply_retention


async def _retention(scope: JobScope) -> dict[str, int]:
    settings = scope.settings
    return await apply_retention(
        scope.sessionmaker, keyring=settings.pii_keyring(), store=settings.file_store()
    )


CONTEXT = Context(
    name="privacy",
    order=95,
    routers=(router,),
    jobs=(ScheduledJob("retention", _retention, every=timedelta(hours=1)),),
    scopes=(Scope("privacy:manage", "Export and erase candidates' personal data; set retention rules"),),
)
