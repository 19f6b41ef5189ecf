"""What the identity context contributes: the OAuth and staff APIs, sign-in pages, the staff scopes."""

from __future__ import annotations

from rolecall.identity.endpoints import router
from rolecall.identity.oauth_endpoints import router as oauth_router
from rolecall.identity.pages import router as pages
from rolecall.identity.user_pages import router as user_pages
from rolecall.platform.contexts import HIRING_MANAGER, INTERVIEWER, RECRUITER, Context, Scope

CONTEXT = Context(
    name="identity",
    order=10,
    routers=(oauth_router, router),
    pages=(pages, user_pages),
    scopes=(
        Scope(
            "organisation:read",
            "Read the organisation's profile",
            frozenset({RECRUITER, HIRING_MANAGER, INTERVIEWER}),
        ),
        Scope("organisation:write", "Change the organisation's profile"),
        Scope("users:read", "List and read staff users", frozenset({RECRUITER, HIRING_MANAGER})),
        Scope("users:write", "Invite, change and deactivate staff users"),
        Scope("clients:read", "List API clients"),
        Scope("clients:write", "Create, change and revoke API clients"),
    ),
)
