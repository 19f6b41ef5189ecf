"""What the jobs context contributes: jobs and job descriptions, their pages, the republish handler.

Its pages come last: ``/app/jobs/{job_id}`` must not shadow the literal ``/app/jobs/...`` paths of
the pipeline's job list.
"""

from __future__ import annotations

from rolecall.jobs import handlers
from rolecall.jobs.endpoints import router
from rolecall.jobs.generator_pages import router as generator_pages
from rolecall.jobs.pages import router as pages
from rolecall.jobs.settings_pages import router as settings_pages
from rolecall.platform.contexts import HIRING_MANAGER, INTERVIEWER, RECRUITER, Context, Scope

CONTEXT = Context(
    name="jobs",
    order=200,
    routers=(router,),
    pages=(settings_pages, generator_pages, pages),
    handlers=(handlers,),
    scopes=(
        Scope(
            "jobs:read", "Read jobs, including drafts", frozenset({RECRUITER, HIRING_MANAGER, INTERVIEWER})
        ),
        Scope("jobs:write", "Create and edit jobs; open, pause and close them", frozenset({RECRUITER})),
        Scope("jobs:settings", "Change the organisation's job settings (pay transparency, board, templates)"),
    ),
)
