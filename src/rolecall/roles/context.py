"""What the roles context contributes: role profiles and the starter library, their API and pages."""

from __future__ import annotations

from rolecall.platform.contexts import HIRING_MANAGER, INTERVIEWER, RECRUITER, Context, Scope
from rolecall.roles.endpoints import router
from rolecall.roles.pages import router as pages

CONTEXT = Context(
    name="roles",
    order=30,
    routers=(router,),
    pages=(pages,),
    scopes=(
        Scope(
            "roles:read",
            "Read role profiles and the starter library",
            frozenset({RECRUITER, HIRING_MANAGER, INTERVIEWER}),
        ),
        Scope("roles:write", "Create, fork, edit and import role profiles", frozenset({RECRUITER})),
    ),
)
