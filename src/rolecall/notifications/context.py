"""The notifications context's declaration: e-mail to candidates and staff."""

from __future__ import annotations

from datetime import timedelta

from rolecall.notifications import endpoints, handlers, jobs, pages, personal_data
from rolecall.notifications.sender import run_sender
from rolecall.platform.contexts import RECRUITER, Context, PersonalData, ScheduledJob, Scope

CONTEXT = Context(
    name="notifications",
    routers=(endpoints.router,),
    pages=(pages.router,),
    handlers=(handlers,),
    # The sender polls every ROLECALL_MAIL_POLL_SECONDS; the round's job is its safety net.
    loops=(run_sender,),
    jobs=(
        ScheduledJob("notifications_sent", jobs.send_due),
        ScheduledJob("scorecard_reminders", jobs.scorecard_reminders, every=timedelta(minutes=15)),
        ScheduledJob("application_digests", jobs.application_digest, every=timedelta(days=1)),
    ),
    scopes=(
        Scope(
            "notifications:read",
            "Read e-mail settings, templates and the messages queued or sent",
            frozenset({RECRUITER}),
        ),
        Scope("notifications:write", "Change e-mail settings and templates; cancel a queued message"),
    ),
    personal_data=PersonalData(
        export_key="notifications",
        tables=personal_data.TABLES,
        export_candidate=personal_data.export_candidate,
        erase_candidate=personal_data.erase_candidate,
        rotate_keys=personal_data.rotate_keys,
    ),
)
