"""The webhooks context's declaration: routes, the fan-out handler, the delivery job, its scopes."""

from __future__ import annotations

from datetime import timedelta

from rolecall.platform.contexts import ADMIN, RECRUITER, Context, PersonalData, ScheduledJob, Scope
from rolecall.webhooks import handlers
from rolecall.webhooks.delivery import deliver_job, purge_job, run_delivery_loop
from rolecall.webhooks.endpoints import router
from rolecall.webhooks.event_endpoints import router as events_router
from rolecall.webhooks.personal_data import rotate_keys

CONTEXT = Context(
    name="webhooks",
    routers=(router, events_router),
    handlers=(handlers,),
    # A safety net each housekeeping round: the worker runs the loop below, which sends within a second.
    jobs=(
        ScheduledJob("webhooks.deliver", deliver_job),
        ScheduledJob("webhooks.log_purged", purge_job, every=timedelta(hours=1)),
    ),
    scopes=(
        Scope("webhooks:read", "Read webhook endpoints and their delivery log", frozenset({ADMIN})),
        Scope(
            "webhooks:write",
            "Create, change, delete webhook endpoints; rotate secrets; redeliver and replay",
            frozenset({ADMIN}),
        ),
        Scope(
            "events:read",
            "Read the organisation's event feed (personal data only with candidates:read)",
            frozenset({ADMIN, RECRUITER}),
        ),
    ),
    # Only the signing secrets, sealed with the key ring: no candidate's data (tables stays empty).
    personal_data=PersonalData(export_key="webhooks", tables=(), rotate_keys=rotate_keys),
    loops=(run_delivery_loop,),
)
