"""The scope catalogue and what each staff role may do.

Routes check scopes, never role names, so user tokens (roles expanded to scopes at login) and API
clients (granted scopes directly) go through the same check.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    INTERVIEWER = "interviewer"


SCOPES: dict[str, str] = {
    "organisation:read": "Read the organisation's profile",
    "organisation:write": "Change the organisation's profile",
    "users:read": "List and read staff users",
    "users:write": "Invite, change and deactivate staff users",
    "clients:read": "List API clients",
    "clients:write": "Create, change and revoke API clients",
    "audit:read": "Read the audit log",
    "roles:read": "Read role profiles and the starter library",
    "roles:write": "Create, fork, edit and import role profiles",
    "jobs:read": "Read jobs, including drafts",
    "jobs:write": "Create and edit jobs; open, pause and close them",
    "jobs:settings": "Change the organisation's job settings (pay transparency, board, templates)",
    "candidates:read": "Read candidates, including their personal data (every read is audited)",
    "candidates:write": "Add and edit candidates, their files, notes and talent pools",
    "applications:read": "Read applications, their stages and history",
    "applications:write": "Add applications, move them through stages, reject, withdraw, bulk actions",
    "pipeline:settings": "Change the organisation's reject reasons and default stage template",
    "interviews:read": "Read interviews (interviewers: only their own) and submitted scorecards",
    "interviews:write": "Schedule, reschedule and cancel interviews",
    "scorecards:write": "Write and submit one's own scorecards",
    "offers:read": "Read offers and their versions and approvals",
    "offers:write": "Draft, revise, send and record answers to offers",
    "offers:approve": "Approve or reject an offer at one's step of the approval chain",
    "analytics:read": "Read hiring funnels, time-in-stage, time-to-hire and source reports",
    "assessments:read": "Read assessment results, item statistics and the ranking of a job's candidates",
    "assessments:write": (
        "Manage the question bank, blueprints, invitations, accommodations, partner keys and vendors"
    ),
    "assessments:mark": "Mark short-text answers against their rubric",
    "privacy:manage": "Export and erase candidates' personal data; set retention rules",
}

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(SCOPES),
    Role.RECRUITER: frozenset(
        {
            "organisation:read",
            "users:read",
            "roles:read",
            "roles:write",
            "jobs:read",
            "jobs:write",
            "candidates:read",
            "candidates:write",
            "applications:read",
            "applications:write",
            "pipeline:settings",
            "interviews:read",
            "interviews:write",
            "scorecards:write",
            "offers:read",
            "offers:write",
            "analytics:read",
            "assessments:read",
            "assessments:write",
            "assessments:mark",
        }
    ),
    Role.HIRING_MANAGER: frozenset(
        {
            "organisation:read",
            "users:read",
            "roles:read",
            "jobs:read",
            "candidates:read",
            "applications:read",
            "interviews:read",
            "interviews:write",
            "scorecards:write",
            "offers:read",
            "offers:approve",
            "analytics:read",
            "assessments:read",
            "assessments:mark",
        }
    ),
    Role.INTERVIEWER: frozenset(
        {"organisation:read", "roles:read", "jobs:read", "interviews:read", "scorecards:write"}
    ),
}


def scopes_for_roles(roles: list[str] | frozenset[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_SCOPES.get(Role(role), frozenset())
    return frozenset(granted)


def unknown_scopes(requested: set[str] | frozenset[str]) -> set[str]:
    return set(requested) - set(SCOPES)
