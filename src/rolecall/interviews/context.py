"""What the interviews context contributes: interviews, scorecards, their pages and handlers."""

from __future__ import annotations

from rolecall.interviews import handlers, service
from rolecall.interviews.candidate_pages import router as candidate_pages
from rolecall.interviews.endpoints import router
from rolecall.interviews.pages import router as pages
from rolecall.platform.contexts import HIRING_MANAGER, INTERVIEWER, RECRUITER, Context, PersonalData, Scope

CONTEXT = Context(
    name="interviews",
    order=70,
    routers=(router,),
    pages=(pages, candidate_pages),
    handlers=(handlers,),
    scopes=(
        Scope(
            "interviews:read",
            "Read interviews (interviewers: only their own) and submitted scorecards",
            frozenset({RECRUITER, HIRING_MANAGER, INTERVIEWER}),
        ),
        Scope(
            "interviews:write",
            "Schedule, reschedule and cancel interviews",
            frozenset({RECRUITER, HIRING_MANAGER}),
        ),
        Scope(
            "scorecards:write",
            "Write and submit one's own scorecards",
            frozenset({RECRUITER, HIRING_MANAGER, INTERVIEWER}),
        ),
    ),
    personal_data=PersonalData(
        export_key="interviews",
        tables=("interviews", "scorecards"),
        export_candidate=service.export_candidate,
        erase_candidate=service.erase_candidate,
        rotate_keys=service.rotate_keys,
    ),
)
