"""Deny by default: every route declares who may call it, and the public ones are a reviewed list."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.identity.permissions import Role, scopes_for_roles
from rolecall.platform.auth import auth_declaration
from tests.factories import Tenant, create_user
from tests.platform.problems import assert_problem
from tests.web.support import create_staff, sign_in

# Adding to this list makes a route reachable without a token: it needs a reviewer's yes.
EXPECTED_PUBLIC = {
    ("POST", "/v1/oauth/token"),
    ("POST", "/v1/oauth/revoke"),
    # Enrolment during a sign-in the organisation requires MFA for: the single-use, five-minute
    # mfa_token from the password grant is the credential (docs/api.md#signing-in-with-mfa).
    ("POST", "/v1/oauth/mfa/enrolment"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    # The careers board: public by design (docs/careers-board.md), read-only, published postings only.
    ("GET", "/v1/board/postings"),
    ("GET", "/v1/board/postings/{posting_id}"),
    ("GET", "/v1/board/{org_slug}/postings"),
    ("GET", "/v1/board/{org_slug}/feed.xml"),
    ("GET", "/v1/board/{org_slug}/feed.atom"),
    ("GET", "/v1/board/{org_slug}/feed.rss"),
    ("GET", "/v1/board/{org_slug}/sitemap.xml"),
    # Applying (docs/pipeline.md#applying): the form of an open posting, the apply route (rate
    # limited, honeypot, the same answer for everyone; the status link goes by e-mail), and the
    # candidate's status link, whose 256-bit token is the credential.
    ("GET", "/v1/board/postings/{posting_id}/application-form"),
    ("POST", "/v1/board/postings/{posting_id}/applications"),
    ("GET", "/v1/application-status/{token}"),
    ("POST", "/v1/application-status/{token}/withdraw"),
    # Taking an assessment (docs/assessments.md): the invitation link's 256-bit token is the
    # credential, like the status link's; it reaches one session and only while it is open.
    ("GET", "/v1/assessment-links/{token}"),
    ("POST", "/v1/assessment-links/{token}/extra-time"),
    ("POST", "/v1/assessment-links/{token}/start"),
    ("GET", "/v1/assessment-links/{token}/questions"),
    ("PUT", "/v1/assessment-links/{token}/answers/{position}"),
    ("POST", "/v1/assessment-links/{token}/signals"),
    ("POST", "/v1/assessment-links/{token}/submit"),
    ("GET", "/v1/assessment-links/{token}/result"),
    # The assessment-partner contract (docs/assessments-partners.md): partners authenticate with a
    # per-organisation Basic key checked by the routes themselves; a vendor's completion callback
    # carries an HMAC of the vendor and session ids in its path (anything wrong is a 404).
    ("GET", "/partner/greenhouse/v1/list_tests"),
    ("POST", "/partner/greenhouse/v1/send_test"),
    ("GET", "/partner/greenhouse/v1/test_status"),
    ("POST", "/partner/greenhouse/v1/response_error"),
    ("PATCH", "/partner/vendors/{vendor_id}/callback/{session_id}/{signature}"),
    # The event catalogue (docs/webhooks.md, docs/events.md): the published contract, type names and
    # JSON Schemas only, the same for every organisation.
    ("GET", "/v1/events/types"),
}
# Public web pages (docs/web.md): candidates and visitors use them without an account. The staff
# app's sign-in form is the only public page under /app.
EXPECTED_PUBLIC_PAGES = {
    ("GET", "/"),
    ("GET", "/static/{name}"),
    ("GET", "/app/login"),
    ("POST", "/app/login"),
    # The second step of a sign-in: the mfa_token in an HttpOnly cookie is the credential.
    ("GET", "/app/login/mfa"),
    ("POST", "/app/login/mfa"),
    ("GET", "/app/login/mfa/enrol"),
    # Single sign-on (docs/sso.md): the start route only redirects to the organisation's provider;
    # at the callback the sealed, ten-minute flow cookie and the provider's signed ID token are the
    # credentials.
    ("GET", "/app/login/sso"),
    ("GET", "/app/login/sso/callback"),
    # Role guides and the job-description generator: library data and a renderer, nothing stored.
    ("GET", "/roles"),
    ("GET", "/roles/{profile_id}"),
    ("GET", "/tools/job-description"),
    ("GET", "/tools/job-description/preview"),
    ("GET", "/tools/job-description/download"),
    # The careers board as pages: the same postings as the public board API, plus a colour sheet.
    ("GET", "/jobs"),
    ("GET", "/jobs/{posting_id}"),
    ("GET", "/careers/{board_slug}"),
    ("GET", "/careers/{board_slug}/theme.css"),
    # Applying and the status link, as the public applying routes of the API (rate limit, honeypot,
    # the status token as the credential).
    ("GET", "/jobs/{posting_id}/apply"),
    ("POST", "/jobs/{posting_id}/apply"),
    # The same confirmation for everyone who applies: the status link goes by e-mail (docs/email.md).
    ("GET", "/jobs/{posting_id}/apply/received"),
    ("GET", "/status/{token}"),
    ("GET", "/status/{token}/withdraw"),
    ("POST", "/status/{token}/withdraw"),
    # The candidate's assessment link (docs/assessments.md), as the public assessment-link routes of
    # the API: the 256-bit link token is the credential, only its hash is stored.
    ("GET", "/assessments/{token}"),
    ("POST", "/assessments/{token}/extra-time"),
    ("POST", "/assessments/{token}/start"),
    ("GET", "/assessments/{token}/take"),
    ("POST", "/assessments/{token}/answers/{position}"),
    ("POST", "/assessments/{token}/signals"),
    ("POST", "/assessments/{token}/submit"),
    # The Greenhouse- and Lever-shaped careers boards (docs/compat.md): JSON routes kept out of the
    # OpenAPI document because they follow those vendors' published contracts, not Rolecall's. The
    # same live postings as /v1/board; applying checks the organisation's board key itself.
    ("GET", "/compat/greenhouse/v1/boards/{board_slug}"),
    ("GET", "/compat/greenhouse/v1/boards/{board_slug}/jobs"),
    ("GET", "/compat/greenhouse/v1/boards/{board_slug}/jobs/{job_id}"),
    ("POST", "/compat/greenhouse/v1/boards/{board_slug}/jobs/{job_id}"),
    ("GET", "/compat/greenhouse/v1/boards/{board_slug}/departments"),
    ("GET", "/compat/greenhouse/v1/boards/{board_slug}/departments/{department_id}"),
    ("GET", "/compat/greenhouse/v1/boards/{board_slug}/offices"),
    ("GET", "/compat/greenhouse/v1/boards/{board_slug}/offices/{office_id}"),
    ("GET", "/compat/lever/v0/postings/{board_slug}"),
    ("GET", "/compat/lever/v0/postings/{board_slug}/{posting_id}"),
    ("POST", "/compat/lever/v0/postings/{board_slug}/{posting_id}"),
}
# The documentation routes (rolecall.platform.openapi) are plain Starlette routes, outside the
# dependency system. There is no OAuth redirect page: the documented flows (password, client
# credentials) use none.
EXPECTED_FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/redoc"}


@pytest.fixture(scope="module")
def static_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as built for production, never started: enough to inspect its routes."""
    scratch = tmp_path_factory.mktemp("static-app")
    return create_app(
        Settings(
            environment="test",
            database_url="sqlite+aiosqlite:///:memory:",
            search_index_path=scratch / "index",
            file_store_path=scratch / "files",
        )
    )


def declarations(dependant: Dependant) -> Iterator[tuple[str, frozenset[str]]]:
    for dependency in dependant.dependencies:
        declared = auth_declaration(dependency.call)
        if declared is not None:
            yield declared
        yield from declarations(dependency)


def api_routes(app: FastAPI, *, pages: bool = False) -> Iterator[tuple[str, str, RouteContext]]:
    """The JSON API's routes, or (``pages=True``) the web pages, which stay out of the OpenAPI document."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema != pages:
            for method in sorted(context.methods or ()):
                assert context.path is not None
                yield method, context.path, context


def route_kinds(app: FastAPI, *, pages: bool = False) -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    """(method, path) -> ("public", {}) or ("scopes", {...}) for every API route (or page)."""
    kinds: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    for method, path, context in api_routes(app, pages=pages):
        found = set(declarations(context.dependant))
        assert found, (
            f"{method} {path} declares no authorisation: depend on requires(...) for a protected "
            "route, or add dependencies=[PUBLIC] (and extend EXPECTED_PUBLIC) for a public one"
        )
        kinds_found = {kind for kind, _ in found}
        assert len(kinds_found) == 1, f"{method} {path} is both public and protected: {found}"
        scopes = frozenset().union(*(scopes for _, scopes in found))
        kinds[(method, path)] = (kinds_found.pop(), scopes)
    return kinds


def test_every_api_route_declares_who_may_call_it(static_app: FastAPI) -> None:
    kinds = route_kinds(static_app)
    assert len(kinds) >= 16
    assert all(kind in {"public", "scopes"} for kind, _ in kinds.values())


def test_no_two_routes_answer_the_same_method_and_path(static_app: FastAPI) -> None:
    """A second route on a taken path is silently unreachable (the first one registered wins)."""
    seen: dict[tuple[str, str], int] = {}
    for pages in (False, True):
        for method, path, _context in api_routes(static_app, pages=pages):
            seen[(method, path)] = seen.get((method, path), 0) + 1
    assert [route for route, count in seen.items() if count > 1] == []


def test_the_public_routes_are_exactly_the_reviewed_list(static_app: FastAPI) -> None:
    public = {route for route, (kind, _) in route_kinds(static_app).items() if kind == "public"}
    assert public == EXPECTED_PUBLIC


def test_every_page_declares_who_may_open_it_and_the_public_ones_are_the_reviewed_list(
    static_app: FastAPI,
) -> None:
    kinds = route_kinds(static_app, pages=True)
    public = {route for route, (kind, _) in kinds.items() if kind == "public"}
    assert public == EXPECTED_PUBLIC_PAGES
    staff_pages = [path for (_method, path), (kind, _) in kinds.items() if kind == "scopes"]
    assert staff_pages
    assert all(path.startswith("/app/") or path == "/app" for path in staff_pages), staff_pages


async def test_a_staff_page_without_a_sign_in_sends_the_person_to_sign_in(
    app: FastAPI, pages: httpx.AsyncClient
) -> None:
    protected = [(m, p) for (m, p), (kind, _) in route_kinds(app, pages=True).items() if kind != "public"]

    for method, path in protected:
        response = await pages.request(method, concrete(path))
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/app/login?next="), (method, path)


async def test_a_staff_page_beyond_the_persons_role_is_a_403_page(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, email = await create_staff(client, tenant, Role.INTERVIEWER.value)
    csrf = await sign_in(pages, email)
    granted = scopes_for_roles([Role.INTERVIEWER.value])
    denied = [
        (m, p)
        for (m, p), (kind, scopes) in route_kinds(app, pages=True).items()
        if kind == "scopes" and scopes - granted
    ]
    assert denied

    for method, path in denied:
        response = await pages.request(method, concrete(path), headers={"X-CSRF-Token": csrf})
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), (method, path)


def test_no_route_escapes_the_walk(static_app: FastAPI) -> None:
    """Anything that is not an APIRoute (a mount, a websocket, a raw Starlette route) is unchecked."""
    others = {
        getattr(context, "path", repr(context.original_route))
        for context in iter_route_contexts(static_app.routes)
        if not isinstance(context.original_route, APIRoute)
    }
    assert others == EXPECTED_FRAMEWORK_ROUTES


def test_every_scope_a_route_requires_exists(static_app: FastAPI) -> None:
    catalogue = static_app.state.scope_catalogue
    for route, (_, scopes) in route_kinds(static_app).items():
        assert scopes <= set(catalogue), f"{route} requires unknown scopes {scopes - set(catalogue)}"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_a_protected_route_without_a_valid_token_is_a_401_problem(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    protected = [(m, p) for (m, p), (kind, _) in route_kinds(app).items() if kind != "public"]
    assert protected

    for method, path in protected:
        for headers, challenge in (
            ({}, 'Bearer realm="rolecall"'),
            ({"Authorization": "Bearer not.a.token"}, 'error="invalid_token"'),
            ({"Authorization": "Basic dXNlcjpwYXNz"}, 'Bearer realm="rolecall"'),
        ):
            response = await client.request(method, concrete(path), headers=headers, json={})
            assert_problem(response, 401, "unauthorized")
            assert challenge in response.headers["www-authenticate"], (method, path)


async def test_a_token_without_the_required_scope_is_a_403_problem(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, token = await create_user(client, tenant, Role.INTERVIEWER.value)
    granted = scopes_for_roles([Role.INTERVIEWER.value])
    denied = [
        (m, p) for (m, p), (kind, scopes) in route_kinds(app).items() if kind == "scopes" and scopes - granted
    ]
    assert denied

    for method, path in denied:
        response = await client.request(
            method, concrete(path), headers={"Authorization": f"Bearer {token}", "If-Match": "*"}, json={}
        )
        assert_problem(response, 403, "forbidden")
