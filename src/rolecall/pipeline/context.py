"""What the pipeline context contributes: applications and stages, public apply, analytics, their pages."""

from __future__ import annotations

from rolecall.candidates import service as candidates
from rolecall.pipeline import handlers, service
from rolecall.pipeline.analytics_endpoints import router as analytics_router
from rolecall.pipeline.analytics_pages import router as analytics_pages
from rolecall.pipeline.applying import posting_organisation
from rolecall.pipeline.candidate_pages import router as candidate_pages
from rolecall.pipeline.endpoints import router
from rolecall.pipeline.export_endpoints import router as export_router
from rolecall.pipeline.job_list_pages import router as job_list_pages
from rolecall.pipeline.pages import router as board_pages
from rolecall.pipeline.public_endpoints import router as apply_router
from rolecall.pipeline.public_pages import router as apply_pages
from rolecall.pipeline.settings_pages import router as settings_pages
from rolecall.platform.contexts import ADMIN, HIRING_MANAGER, RECRUITER, Context, PersonalData, Scope
from rolecall.platform.idempotency import PUBLIC_ROUTES

CONTEXT = Context(
    name="pipeline",
    order=60,
    routers=(router, apply_router, analytics_router, export_router),
    pages=(analytics_pages, settings_pages, apply_pages, board_pages, candidate_pages, job_list_pages),
    handlers=(handlers,),
    # A retried application replays the first answer instead of applying (and e-mailing) again.
    extra={
        PUBLIC_ROUTES: (("POST", "/v1/board/postings/{posting_id}/applications", posting_organisation),),
        # GET /v1/candidates?job_id=&stage= asks this for the candidates with such an application.
        candidates.APPLICATION_FILTER: service.candidate_ids_with_application,
    },
    scopes=(
        Scope(
            "applications:read",
            "Read applications, their stages and history",
            frozenset({RECRUITER, HIRING_MANAGER}),
        ),
        Scope(
            "applications:write",
            "Add applications, move them through stages, reject, withdraw, bulk actions",
            frozenset({RECRUITER}),
        ),
        Scope(
            "pipeline:settings",
            "Change the organisation's reject reasons and default stage template",
            frozenset({RECRUITER}),
        ),
        Scope(
            "analytics:read",
            "Read hiring funnels, time-in-stage, time-to-hire and source reports",
            frozenset({RECRUITER, HIRING_MANAGER}),
        ),
        # Copying people's contact details out of Rolecall is a grant of its own, not part of reading.
        Scope(
            "candidates:export",
            "Download candidates' personal data as files (CSV exports of a job's applicants; audited)",
            frozenset({ADMIN, RECRUITER}),
        ),
    ),
    personal_data=PersonalData(
        export_key="applications",
        tables=("applications", "application_transitions"),
        export_candidate=service.export_candidate,
        erase_candidate=service.erase_candidate,
        rotate_keys=service.rotate_keys,
    ),
)
