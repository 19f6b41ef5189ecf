"""The staff app's navigation: each entry is shown only to people whose scopes allow the page."""

from __future__ import annotations

from dataclasses import dataclass

from rolecall.platform.auth import Principal


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    any_scope: frozenset[str]


NAV = (
    NavItem("Jobs", "/app/jobs", frozenset({"jobs:read"})),
    NavItem("Candidates", "/app/candidates", frozenset({"candidates:read"})),
    NavItem("Interviews", "/app/interviews", frozenset({"interviews:read"})),
    NavItem("Offers", "/app/offers", frozenset({"offers:read"})),
    NavItem("Assessments", "/app/assessments", frozenset({"assessments:read"})),
    NavItem("Analytics", "/app/analytics", frozenset({"analytics:read"})),
    NavItem(
        "Settings",
        "/app/settings",
        frozenset({"jobs:settings", "pipeline:settings", "users:write", "organisation:write"}),
    ),
)


def visible_nav(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in NAV if item.any_scope & principal.scopes]
