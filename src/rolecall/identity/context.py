"""What the identity context contributes: the OAuth and staff APIs, sign-in pages, the staff scopes."""

from __future__ import annotations

from rolecall.identity.endpoints import router
from rolecall.identity.mfa_endpoints import oauth_router as mfa_oauth_router
from rolecall.identity.mfa_endpoints import router as mfa_router
from rolecall.identity.mfa_pages import router as mfa_pages
from rolecall.identity.oauth_endpoints import router as oauth_router
from rolecall.identity.organisation_pages import router as organisation_pages
from rolecall.identity.pages import router as pages
from rolecall.identity.sso_endpoints import router as sso_router
from rolecall.identity.sso_keys import rotate_keys
from rolecall.identity.sso_pages import router as sso_pages
from rolecall.identity.user_pages import router as user_pages
from rolecall.platform.contexts import HIRING_MANAGER, INTERVIEWER, RECRUITER, Context, PersonalData, Scope

CONTEXT = Context(
    name="identity",
    order=10,
    routers=(oauth_router, mfa_oauth_router, router, mfa_router, sso_router),
    pages=(pages, user_pages, mfa_pages, sso_pages, organisation_pages),
    # No candidate data; the port lets `rolecall rotate-keys` re-seal the TOTP and SSO client secrets.
    personal_data=PersonalData(export_key="identity", tables=(), rotate_keys=rotate_keys),
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
