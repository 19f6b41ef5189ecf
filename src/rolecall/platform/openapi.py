"""The published contract: ``/openapi.json`` built from the routes, completed centrally.

FastAPI's document knows the paths, parameters and models, but not how Rolecall behaves around
them: who may call a route, which problem documents it answers with, which media types the
non-JSON routes send. Describing that route by route would be forgotten on the next route, so this
module derives it from what every route already declares:

* **security**: the auth marker on the route's dependencies (:func:`rolecall.platform.auth.requires`
  or :data:`~rolecall.platform.auth.PUBLIC`) gives the OAuth 2.0 scopes, or ``security: []``;
* **problem responses**: authenticated routes can answer 401/403/404, routes with path parameters 404,
  routes with input 422, routes with a body 413/415, routes reading ``If-Match`` 412/428, unsafe
  POSTs (``Idempotency-Key``) 409, rate-limited routes 429, and every route 400 (unknown query
  parameters, malformed headers) and 503 (database unavailable) -- all as
  ``application/problem+json`` with the one :data:`PROBLEM_SCHEMA`;
* **operation ids** ``<area>.<action>`` from the router's tag and the endpoint's name, with a small
  override table where the rule reads badly;
* a **description** and an **example** for every operation, short unique **schema names** and a
  description for every **tag**.

A route can still say more for itself (``responses=``, ``openapi_extra=``): what it declares wins.
The document is built once per app and cached; ``rolecall openapi`` prints it, and
``tests/platform/openapi_snapshot.json`` holds the reviewed copy.

The module also serves ``/docs`` (Swagger UI) and ``/redoc`` from vendored assets, so the pages work
without a network: the caller passes the asset URLs (the web layer owns the static files).
"""

from __future__ import annotations

import copy
import html
import inspect
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rolecall.platform.auth import auth_declaration, get_session
from rolecall.platform.errors import PROBLEM_BASE, PROBLEM_JSON
from rolecall.platform.http import require_if_match
from rolecall.platform.ratelimit import RATE_LIMIT_HEADERS

OAUTH2 = "OAuth2"
BEARER = "BearerJWT"
PARTNER_BASIC = "PartnerBasic"
TOKEN_URL = "/v1/oauth/token"  # noqa: S105 - a path, not a secret
PROBLEM = "Problem"
OAUTH_ERROR = "OAuthError"
OPERATION_ID = re.compile(r"^[a-z][a-z0-9_.-]*$")
SCHEMA_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_REF = "#/components/schemas/"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": PROBLEM,
    "description": (
        "An RFC 9457 problem document: every error the API answers with (except the OAuth token "
        "endpoints, which follow RFC 6749). `errors` lists each invalid field of a validation "
        "problem; some problems add members of their own (for example `accepted`, the query "
        "parameters a route knows), so clients must ignore members they do not know."
    ),
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "Identifies the kind of problem"},
        "title": {"type": "string", "description": "Short summary of the kind of problem"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599, "description": "HTTP status"},
        "detail": {"type": "string", "description": "What went wrong this time"},
        "errors": {
            "type": "array",
            "description": "Validation problems: one entry per invalid field",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "description": "Dotted location, e.g. body.title"},
                    "message": {"type": "string"},
                    "code": {"type": ["string", "null"], "description": "Machine-readable reason"},
                },
                "additionalProperties": True,
            },
        },
    },
    "additionalProperties": True,
}

OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": OAUTH_ERROR,
    "description": "An OAuth 2.0 error (RFC 6749 section 5.2), sent by the token and revocation endpoints",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "string",
            "examples": ["invalid_grant"],
            "description": (
                "An RFC 6749 code, or one of Rolecall's: `mfa_required` and `mfa_enrolment_required` "
                "(401: the password was right and a second step is due; see `mfa_token`), "
                "`organisation_required` (400: the address and password open accounts in several "
                "organisations; send `organisation`)"
            ),
        },
        "error_description": {"type": "string"},
        "mfa_token": {
            "type": "string",
            "description": (
                "With `mfa_required` or `mfa_enrolment_required`: a single-use token, valid five "
                "minutes, for the `urn:rolecall:params:oauth:grant-type:mfa-otp` grant (and, for an "
                "enrolment, POST /v1/oauth/mfa/enrolment)"
            ),
        },
    },
    "additionalProperties": True,
}

# status -> (slug, title, when it happens). The slugs and titles are those of rolecall.platform.errors.
PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: (
        "bad-request",
        "Bad request",
        "The request cannot be read: an unknown query parameter (the problem's `accepted` lists the "
        "known ones), a malformed cursor, header or Idempotency-Key",
    ),
    401: ("unauthorized", "Authentication required", "The access token is missing, expired or invalid"),
    403: (
        "forbidden",
        "Not allowed",
        "The token lacks a scope this operation requires, or the caller may not act here",
    ),
    404: ("not-found", "Not found", "No such resource (in the caller's organisation)"),
    409: (
        "conflict",
        "Conflict",
        "The resource's current state does not allow this, or a request with the same "
        "Idempotency-Key is still running",
    ),
    412: (
        "precondition-failed",
        "Precondition failed",
        "If-Match does not match the current ETag: read again, retry",
    ),
    413: ("payload-too-large", "Request body too large", "The body exceeds the size limit"),
    415: (
        "unsupported-media-type",
        "Unsupported media type",
        "The body's Content-Type is not one this operation reads",
    ),
    422: (
        "validation-error",
        "Request validation failed",
        "The input is invalid (`errors[]` names each field), or an Idempotency-Key was reused with "
        "another request",
    ),
    428: ("precondition-required", "Precondition required", "If-Match is missing: send the ETag you read"),
    429: ("too-many-requests", "Too many requests", "Rate limited: wait Retry-After seconds"),
    503: (
        "service-unavailable",
        "Service unavailable",
        "The database is unreachable: retry after Retry-After seconds",
    ),
}

_RETRY_AFTER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 0}}
_PROBLEM_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "The challenge (Bearer)", "schema": {"type": "string"}}},
    412: {"ETag": {"description": "The resource's current ETag", "schema": {"type": "string"}}},
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}

IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the first answer to a key is stored and replayed (with "
        "`Idempotent-Replayed: true`); the same key with a different request is a 422, and a retry "
        "while the first request still runs is a 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}

# --- Override tables: where the rules cannot know -------------------------------------------------

# Operation ids the rule names badly or twice: (method, path) -> id.
OPERATION_IDS: dict[tuple[str, str], str] = {
    ("GET", "/v1/organisation"): "organisation.get",
    ("PATCH", "/v1/organisation"): "organisation.update",
    ("GET", "/v1/me"): "me.get",
    ("GET", "/v1/users"): "users.list",
    ("POST", "/v1/users"): "users.create",
    ("GET", "/v1/users/{user_id}"): "users.get",
    ("PATCH", "/v1/users/{user_id}"): "users.update",
    ("GET", "/v1/api-clients"): "api_clients.list",
    ("POST", "/v1/api-clients"): "api_clients.create",
    ("GET", "/v1/api-clients/{client_id}"): "api_clients.get",
    ("DELETE", "/v1/api-clients/{client_id}"): "api_clients.revoke",
    ("GET", "/healthz"): "operations.liveness",
    ("GET", "/readyz"): "operations.readiness",
    ("GET", "/metrics"): "operations.metrics",
    ("GET", "/.well-known/jwks.json"): "oauth.jwks",
    ("GET", "/.well-known/oauth-authorization-server"): "oauth.metadata",
    ("GET", "/v1/board/postings"): "board.search",
    ("GET", "/v1/board/{org_slug}/postings"): "board.search_organisation",
    ("GET", "/v1/board/{org_slug}/feed.xml"): "board.feed_xml",
    ("GET", "/v1/board/{org_slug}/feed.atom"): "board.feed_atom",
    ("GET", "/v1/board/{org_slug}/feed.rss"): "board.feed_rss",
    ("GET", "/v1/board/{org_slug}/sitemap.xml"): "board.sitemap",
    ("GET", "/v1/board/postings/{posting_id}/application-form"): "applying.form",
    ("GET", "/v1/application-status/{token}"): "applying.status",
    ("GET", "/v1/jobs/{job_id}/ranking"): "applications.ranking",
    ("GET", "/v1/jobs/{job_id}/candidate-ranking"): "assessments.candidate_ranking",
    ("GET", "/v1/analytics/jobs/{job_id}/funnel"): "analytics.job_funnel",
    ("GET", "/v1/analytics/funnel"): "analytics.funnel",
    ("GET", "/v1/jobs/{job_id}/description"): "jobs.description",
    ("GET", "/v1/role-profiles/{profile_id}/levels/{level}/description"): "role_profiles.description",
    ("GET", "/v1/role-library/{library_id}/levels/{level}/description"): "role_library.description",
    ("GET", "/v1/role-library"): "role_library.list",
    ("GET", "/v1/role-library/{library_id}"): "role_library.get",
    ("GET", "/v1/role-library/{library_id}/paths"): "role_library.paths",
    ("GET", "/v1/role-profiles"): "role_profiles.list",
    ("POST", "/v1/role-profiles"): "role_profiles.create",
    ("POST", "/v1/role-profiles/import"): "role_profiles.import",
    ("GET", "/v1/role-profiles/{profile_id}"): "role_profiles.get",
    ("PUT", "/v1/role-profiles/{profile_id}"): "role_profiles.update",
    ("GET", "/v1/role-profiles/{profile_id}/versions"): "role_profiles.versions.list",
    ("GET", "/v1/role-profiles/{profile_id}/versions/{number}"): "role_profiles.versions.get",
    ("GET", "/v1/role-profiles/{profile_id}/export"): "role_profiles.export",
    ("GET", "/v1/role-profiles/{profile_id}/paths"): "role_profiles.paths",
    ("GET", "/v1/candidates/{candidate_id}/export"): "privacy.export_candidate",
    ("POST", "/v1/candidates/{candidate_id}/erase"): "privacy.erase_candidate",
    ("POST", "/v1/candidates/{candidate_id}/notes"): "candidates.notes.create",
    ("GET", "/v1/candidates/{candidate_id}/notes"): "candidates.notes.list",
    ("DELETE", "/v1/candidates/{candidate_id}/notes/{note_id}"): "candidates.notes.delete",
    ("GET", "/v1/assessments/sessions/{session_id}/vendor"): "assessment_vendors.session",
    (
        "PATCH",
        "/partner/vendors/{vendor_id}/callback/{session_id}/{signature}",
    ): "assessment_vendors.callback",
    ("POST", "/v1/assessments/vendor-invitations"): "assessment_vendors.invite",
    ("PUT", "/v1/jobs/{job_id}/assessment-vendor"): "assessment_vendors.set_for_job",
    ("GET", "/v1/assessments/vendors/{vendor_id}/tests"): "assessment_vendors.tests",
}

# The area (first part of an operation id) of a router tag, where it is not the tag itself.
TAG_AREAS: dict[str, str] = {
    "candidate files": "candidates.files",
    "assessment partner contract": "partner_contract",
}

# Words that name a tag's resource in endpoint names, beyond the tag's own words.
_NOUNS: dict[str, set[str]] = {
    "candidate files": {"file", "files"},
    "talent pools": {"pool", "pools"},
    "assessment links": {"link"},
    "assessment vendors": {"vendor", "vendors"},
    "assessment partners": {"key", "keys"},
    "pipeline settings": {"settings"},
    "notifications": {"notification", "notifications"},
    "webhooks": {"endpoint", "endpoints"},
    "privacy": {"retention"},
}
_VERBS = {"read": "get"}

TAG_DESCRIPTIONS: dict[str, str] = {
    "operations": "Liveness, readiness and Prometheus metrics for operators and orchestrators.",
    "oauth": "OAuth 2.0 tokens (password, client credentials, refresh), revocation, keys and metadata.",
    "identity": "The organisation, its staff users and API clients, and the caller's own account.",
    "audit": "The append-only audit trail of who did what.",
    "roles": "Role profiles: levels, competencies and career paths, from the library or your own.",
    "board": "The public careers board: search, postings, feeds and sitemaps (no token needed).",
    "candidates": "Candidates (personal data, sealed at rest), notes, files and talent pools.",
    "candidate files": "Files attached to a candidate (resumes, portfolios), uploaded and downloaded.",
    "talent pools": "Named groups of candidates kept for later roles.",
    "applications": "Applications moving through a job's stages: move, reject, withdraw, in bulk, ranked.",
    "pipeline settings": "Rejection reasons and the consent text of the organisation's pipeline.",
    "applying": "The public side of applying: the form, applying, and the candidate's status link.",
    "analytics": "Hiring funnels, time to hire and source reports.",
    "interviews": "Interview scheduling, calendar invitations and scorecards.",
    "offers": "Offers, their versions, approvals, sending and the candidate's answer.",
    "assessments": "Skills assessments: item bank, blueprints, invitations, sessions, marking, ranking.",
    "assessment links": "The candidate's assessment link: the token in the path is the credential.",
    "assessment partners": "Keys for hiring systems that use Rolecall as an assessment partner.",
    "assessment partner contract": "The assessment-partner contract in Greenhouse's shape (Basic auth).",
    "assessment vendors": "Third-party assessment vendors, their tests and their completion callbacks.",
    "privacy": "Data-subject requests (export, erasure) and retention rules.",
    "notifications": "E-mail settings, templates, the outgoing messages and each user's preferences.",
    "webhooks": "Webhook endpoints, their signing secrets, deliveries and replays.",
    "events": "The domain event feed and the catalogue of event types.",
    "jobs": "Jobs, their lifecycle (open, pause, close), settings and generated descriptions.",
}

# Media types of routes that build their own Response and declare none: (method, path) -> {status: types}.
MEDIA_TYPES: dict[tuple[str, str], dict[int, dict[str, Any]]] = {
    ("GET", "/metrics"): {200: {"text/plain": {"schema": {"type": "string"}}}},
    ("GET", "/v1/board/{org_slug}/feed.xml"): {200: {"application/xml": {"schema": {"type": "string"}}}},
    ("GET", "/v1/board/{org_slug}/feed.atom"): {
        200: {"application/atom+xml": {"schema": {"type": "string"}}}
    },
    ("GET", "/v1/board/{org_slug}/feed.rss"): {200: {"application/rss+xml": {"schema": {"type": "string"}}}},
    ("GET", "/v1/board/{org_slug}/sitemap.xml"): {200: {"application/xml": {"schema": {"type": "string"}}}},
    ("GET", "/v1/candidates/{candidate_id}/files/{file_id}/content"): {
        200: {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in (
                "application/pdf",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "text/plain",
            )
        }
    },
    ("GET", "/readyz"): {
        503: {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"status": {"type": "string"}, "checks": {"type": "object"}},
                },
                "example": {"status": "not ready", "checks": {"database": "unreachable: OSError"}},
            }
        }
    },
}

# Request media types a route reads besides the one it declares: (method, path) -> (declared, also).
REQUEST_ALIASES: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("POST", "/v1/role-profiles/import"): (
        "application/yaml",
        ("application/x-yaml", "text/yaml", "text/plain"),
    ),
}

# Routes whose errors follow another standard than problem documents: (method, path) -> statuses.
OAUTH_ROUTES: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/v1/oauth/token"): (400, 401, 429),
    ("POST", "/v1/oauth/revoke"): (400, 401),
    ("POST", "/v1/oauth/mfa/enrolment"): (400,),
}
# The example body of an OAuth route's error status, where it is not the wrong password.
OAUTH_EXAMPLES: dict[tuple[str, int], dict[str, str]] = {
    (TOKEN_URL, 401): {
        "error": "mfa_required",
        "error_description": "The password was right; this account also needs a one-time code.",
        "mfa_token": "mfa_Jx3...",
    },
}

# Public routes whose own code checks a Basic key (path prefixes): they declare that scheme and 401.
BASIC_AUTH_PREFIXES: tuple[str, ...] = ("/partner/greenhouse/",)

# Routes that answer 304 to If-None-Match (the public board caches by ETag).
NOT_MODIFIED_PREFIXES: tuple[str, ...] = ("/v1/board/",)

# Descriptions for operations whose endpoint has no docstring and whose summary says too little.
DESCRIPTIONS: dict[str, str] = {
    "oauth.token": (
        "Exchange credentials for an access token (and, for people, a refresh token): grant_type "
        "`password` with username and password, `client_credentials` with an API client's id and "
        "secret (form fields or Basic auth), or `refresh_token`. Errors follow RFC 6749. A person "
        "whose address has accounts in several organisations adds `organisation` (its id). When a "
        "second factor is due the password grant answers 401 `mfa_required` (or "
        "`mfa_enrolment_required`) with an `mfa_token`; finish with grant_type "
        "`urn:rolecall:params:oauth:grant-type:mfa-otp`, `mfa_token` and `otp` (a TOTP code or a "
        "recovery code), whose answer also carries `recovery_codes` when it completed an enrolment."
    ),
    "oauth.revoke": "Revoke an access or refresh token (RFC 7009); unknown tokens are accepted silently.",
    "organisation.get": "Read the caller's organisation; its ETag is what an update sends in If-Match.",
    "organisation.update": "Change the organisation's settings (its name).",
    "users.list": "List the organisation's staff users.",
    "users.create": "Create a staff user with roles; the answer carries Location and ETag.",
    "users.get": "Read one staff user.",
    "users.update": "Change a staff user; fields left out stay as they are.",
    "api_clients.list": "List the organisation's API clients (callers of the client-credentials grant).",
    "api_clients.create": "Create an API client. The answer holds its `client_secret`, shown this once only.",
    "api_clients.get": "Read one API client, by its resource id (a UUID, not the `rc_...` login name).",
    "api_clients.revoke": "Deactivate an API client; its tokens are refused at once.",
    "audit.list_events": "List the audit trail, newest first; filter by `action`.",
    "role_library.get": "Read one starter role profile of the library.",
    "role_profiles.list": "List the organisation's role profiles.",
    "role_profiles.get": "Read one role profile at its current version.",
    "role_profiles.versions.list": "List the versions of a role profile, newest first.",
    "role_profiles.versions.get": "Read one version of a role profile, with its document.",
    "role_profiles.paths": "The career paths of a profile's level: entry, advancement and lateral moves.",
    "board.get_posting": "Read one published posting of the careers board.",
    "jobs.list": "List the organisation's jobs.",
    "jobs.get": "Read one job; the answer's ETag is what an update sends in If-Match.",
    "jobs.update": "Change a job's fields (the profile and level are fixed once it exists).",
    "jobs.get_settings": "Read the organisation's job settings: careers site, listing and stage template.",
    "jobs.update_settings": "Change the organisation's job settings.",
    "jobs.description": "The job's description, generated from its role profile: Markdown, HTML or JSON.",
    "candidates.list": "List candidates. Reading personal data is audited.",
    "candidates.get": "Read one candidate with their personal data; the read is audited.",
    "candidates.update": "Change a candidate's fields.",
    "candidates.files.list": "List the files attached to a candidate.",
    "candidates.files.download": "Download a file's bytes, as an attachment in its stored media type.",
    "candidates.files.get": "Read a file's details (kind, type, size, the skills found in it).",
    "candidates.files.delete": "Delete a file of a candidate, bytes included.",
    "talent_pools.create": "Create a talent pool.",
    "talent_pools.list": "List the organisation's talent pools.",
    "talent_pools.remove_member": "Take a candidate out of a talent pool.",
    "talent_pools.list_members": "List the candidates in a talent pool.",
    "talent_pools.get": "Read one talent pool.",
    "talent_pools.update": "Change a talent pool's name or description.",
    "talent_pools.delete": "Delete a talent pool (its candidates stay).",
    "pipeline_settings.get": "Read the pipeline settings: rejection reasons and the consent text.",
    "pipeline_settings.update": "Change the pipeline settings.",
    "applications.list": "List applications; filter by job, candidate, status or stage.",
    "applications.get": "Read one application with the answers given when applying; the read is audited.",
    "applications.reject": "Reject an application with one of the organisation's rejection reasons.",
    "applications.withdraw": "Record that the candidate withdrew the application.",
    "applications.unreject": "Take back a rejection: the application is active again in its stage.",
    "applications.allowed_actions": "What the caller may do with this application now (move, reject, ...).",
    "applications.transitions": "The stage history of an application: every move, who made it and when.",
    "applications.create": "Add an existing candidate to a job; the application starts in its first stage.",
    "applications.move": "Move an application to another stage of its job.",
    "applying.form": "The application form of an open posting: questions, consent text, resume rules.",
    "applying.status": "The candidate's view of their application, by the status link's token.",
    "applying.withdraw": "The candidate withdraws their application, by the status link's token.",
    "interviews.get": "Read one interview.",
    "interviews.update_my_scorecard": "Save the caller's scorecard draft for an interview.",
    "offers.list": "List offers.",
    "offers.get": "Read one offer with its versions and approvals.",
    "privacy.list_rules": "List the retention rules: months without activity before erasure, per outcome.",
    "privacy.delete_rule": "Delete the retention rule of an outcome.",
    "notifications.get_settings": "Read the organisation's e-mail settings.",
    "notifications.put_settings": "Replace the organisation's e-mail settings.",
    "notifications.list_templates": "List the e-mail templates, customised or built in.",
    "notifications.get_template": "Read one e-mail template.",
    "notifications.delete_template": "Delete a customised template: the built-in one is used again.",
    "notifications.list_messages": "List the outgoing e-mail messages and their state.",
    "notifications.get_message": "Read one outgoing e-mail message.",
    "notifications.get_my_preferences": "Read the caller's notification preferences.",
    "notifications.put_my_preferences": "Replace the caller's notification preferences.",
    "candidates.files.upload": (
        "Attach a file (multipart, field `file`) to a candidate; its type is recognised by content."
    ),
    "applying.apply": (
        "Apply to an open posting with `multipart/form-data`: the `application` part is JSON "
        "(PublicApplication), `resume` an optional file, and `file_<question key>` one file per file "
        "question of the form. The answer is the same whether the application was stored, repeated "
        "an earlier one or was refused as a bot; the status link is e-mailed to the address given."
    ),
}

# --- Building -------------------------------------------------------------------------------------


def install(app: FastAPI, *, asset_url: Callable[[str], str] | None = None) -> None:
    """Replace FastAPI's document with :func:`build_document` and serve ``/docs`` and ``/redoc``.

    ``asset_url`` maps a static asset name (``swagger-ui.js``) to its URL; without it no docs pages
    are served (the document still is).
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if asset_url is not None:
        _install_pages(app, asset_url)


def routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    """(method, path, route context) for every operation of the document."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in sorted(context.methods or ()):
                if method != "HEAD":
                    yield method, str(context.path_format), context


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _walk(dependency)


def auth_of(dependant: Dependant) -> tuple[str, frozenset[str]]:
    """("scopes", {...}) or ("public", {}) from the auth markers in the dependency tree."""
    kinds: set[str] = set()
    needed: set[str] = set()
    for dependency in _walk(dependant):
        declared = auth_declaration(dependency.call)
        if declared is not None:
            kinds.add(declared[0])
            needed |= declared[1]
    return ("scopes" if "scopes" in kinds else "public"), frozenset(needed)


def _calls(dependant: Dependant) -> set[Any]:
    return {dependency.call for dependency in _walk(dependant)}


def _words(name: str) -> list[str]:
    return [word for word in re.split(r"[_\W]+", name.lower()) if word]


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def _tag(context: Any) -> str | None:
    tags = [str(tag) for tag in (context.tags or [])]
    return tags[-1] if tags else None


def rule_operation_id(method: str, path: str, context: Any) -> str:
    """The id the naming rule gives: ``<area>.<action>``, before the override table."""
    override = OPERATION_IDS.get((method, path)) or getattr(context, "operation_id", None)
    if override:
        return str(override)
    tag = _tag(context)
    if tag is None:
        segments = [s for s in path.split("/") if s and s != "v1" and not s.startswith("{")]
        tag = segments[0] if segments else "api"
    area = TAG_AREAS.get(tag, re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_"))
    nouns = set(_words(tag)) | {_singular(w) for w in _words(tag)} | _NOUNS.get(tag, set())
    words = _words(context.name or "")
    if words:
        words[0] = _VERBS.get(words[0], words[0])
    action = [word for word in words if word not in nouns]
    if not action:
        action = ["list" if method == "GET" and not path.endswith("}") else method.lower()]
    return f"{area}.{'_'.join(action)}"


def operation_ids(app: FastAPI) -> dict[tuple[str, str], str]:
    return {(method, path): rule_operation_id(method, path, ctx) for method, path, ctx in routes(app)}


def build_document(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        servers=app.servers,
        separate_input_output_schemas=app.separate_input_output_schemas,
    )
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas[PROBLEM] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas[OAUTH_ERROR] = copy.deepcopy(OAUTH_ERROR_SCHEMA)
    _lift_defs(doc, schemas)
    catalogue = _scope_catalogue(app)
    components["securitySchemes"] = _security_schemes(catalogue)

    ids = operation_ids(app)
    seen: dict[str, tuple[str, str]] = {}
    used_tags: dict[str, Any] = {}
    for method, path, context in routes(app):
        operation = doc["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue
        op_id = ids[(method, path)]
        if op_id in seen:  # never two equal ids in the published document (a test forbids it)
            op_id = f"{op_id}.{method.lower()}"
        seen[op_id] = (method, path)
        operation["operationId"] = op_id
        for tag in operation.get("tags", []):
            used_tags.setdefault(tag, context)
        _complete_operation(operation, method, path, context, catalogue)

    _rename_schemas(doc)
    _add_examples(doc)
    doc["tags"] = [
        {"name": tag, "description": TAG_DESCRIPTIONS.get(tag) or _module_summary(context, tag)}
        for tag, context in sorted(used_tags.items())
    ]
    return doc


def _scope_catalogue(app: FastAPI) -> dict[str, str]:
    from rolecall.platform.contexts import scopes

    found = {name: scope.description for name, scope in scopes().items()}
    for name in getattr(app.state, "scope_catalogue", None) or ():
        found.setdefault(str(name), str(name))
    return dict(sorted(found.items()))


def _security_schemes(catalogue: dict[str, str]) -> dict[str, Any]:
    return {
        OAUTH2: {
            "type": "oauth2",
            "description": (
                "OAuth 2.0 at /v1/oauth/token: `password` for people, `client_credentials` for API "
                "clients, `refresh_token` to renew. Each operation lists the scopes it requires."
            ),
            "flows": {
                "password": {"tokenUrl": TOKEN_URL, "refreshUrl": TOKEN_URL, "scopes": catalogue},
                "clientCredentials": {"tokenUrl": TOKEN_URL, "refreshUrl": TOKEN_URL, "scopes": catalogue},
            },
        },
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from /v1/oauth/token, sent as `Authorization: Bearer <token>`.",
        },
        PARTNER_BASIC: {
            "type": "http",
            "scheme": "basic",
            "description": "A partner or board key of the organisation, as HTTP Basic credentials.",
        },
    }


def _module_summary(context: Any, tag: str) -> str:
    doc = inspect.getdoc(inspect.getmodule(context.endpoint)) or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ").strip()
    return first or f"Operations on {tag}."


def _problem_response(status: int, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    slug, title, when = PROBLEMS[status]
    example: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if status == 422:
        example["detail"] = "One or more fields are invalid."
        example["errors"] = [{"field": "body.title", "message": "Field required", "code": "missing"}]
    response: dict[str, Any] = {
        "description": f"{title}: {when}.",
        "content": {PROBLEM_JSON: {"schema": {"$ref": _REF + PROBLEM}, "example": example}},
    }
    found = {**_PROBLEM_HEADERS.get(status, {}), **(headers or {})}
    if found:
        response["headers"] = found
    return response


def _statuses(method: str, path: str, operation: dict[str, Any], context: Any, kind: str) -> set[int]:
    calls = _calls(context.dependant)
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation or method in {"POST", "PUT", "PATCH"}
    found = {400}
    if kind == "scopes" or path.startswith(BASIC_AUTH_PREFIXES):
        found |= {401, 403}
    # A signed-in caller can meet a 404 without naming anything (GET /v1/me with a client's token).
    if kind == "scopes" or any(p.get("in") == "path" for p in params) or has_body:
        found |= {404}
    if params or has_body:
        found |= {422}
    if has_body:
        found |= {413, 415}
    if method in {"POST", "PUT", "PATCH", "DELETE"}:
        found |= {409}
    if method == "POST":
        found |= {422}
    if require_if_match in calls or any(p.get("name", "").lower() == "if-match" for p in params):
        found |= {412, 428}
    if any(getattr(call, "__name__", "").startswith("rate_limited_") for call in calls):
        found |= {429}
    if get_session in calls or path == "/readyz":
        found |= {503}
    return found


def _tighten_parameters(params: list[dict[str, Any]], context: Any) -> None:
    """Say what the server checks about a parameter that its Python type alone does not show.

    ``If-Match`` is declared optional by the dependency (so a missing one can answer 428, not 422),
    but the operation needs it; ``updated_since`` is a string the server parses as an RFC 3339
    date-time with an offset.
    """
    calls = _calls(context.dependant)
    for param in params:
        _drop_null(param)
        name = param.get("name", "")
        if name.lower() == "if-match" and require_if_match in calls:
            param["required"] = True
            param["schema"] = {"type": "string", "minLength": 1, "description": "An ETag you read"}
        elif name == "updated_since" and param.get("in") == "query":
            schema = param.setdefault("schema", {})
            for variant in [schema, *schema.get("anyOf", [])]:
                if variant.get("type") == "string":
                    variant["format"] = "date-time"


def _complete_operation(
    operation: dict[str, Any], method: str, path: str, context: Any, catalogue: dict[str, str]
) -> None:
    kind, scopes = auth_of(context.dependant)
    scope_list = sorted(scopes)
    if "security" not in operation:
        if kind == "scopes":
            operation["security"] = [{OAUTH2: scope_list}, {BEARER: scope_list}]
        elif path.startswith(BASIC_AUTH_PREFIXES):
            operation["security"] = [{PARTNER_BASIC: []}]
        else:
            operation["security"] = []

    responses: dict[str, Any] = operation.setdefault("responses", {})
    _fix_success_media(responses, method, path, context)
    aliases = REQUEST_ALIASES.get((method, path))
    body_content = (operation.get("requestBody") or {}).get("content", {})
    if aliases is not None and aliases[0] in body_content:
        for media_type in aliases[1]:
            body_content.setdefault(media_type, copy.deepcopy(body_content[aliases[0]]))
    if method == "POST" and not any(
        p.get("name", "").lower() == "idempotency-key" for p in operation.get("parameters", [])
    ):
        operation.setdefault("parameters", []).append(copy.deepcopy(IDEMPOTENCY_KEY))
    _tighten_parameters(operation.get("parameters", []), context)

    oauth = OAUTH_ROUTES.get((method, path))
    statuses = _statuses(method, path, operation, context, kind) | set(oauth or ())
    for status in sorted(statuses):
        key = str(status)
        existing = responses.get(key)
        if oauth is not None and status in oauth:
            # The route's own errors follow RFC 6749; the middleware's (a bad header) are problems.
            # ``application/json`` comes first and also admits a problem: generators such as
            # openapi-python-client read only the first media type of a status, and must parse both.
            problem = _problem_response(status)
            responses[key] = {
                **problem,
                "description": "An OAuth 2.0 error (RFC 6749), or a problem document",
                "content": {
                    "application/json": {
                        "schema": {"anyOf": [{"$ref": _REF + OAUTH_ERROR}, {"$ref": _REF + PROBLEM}]},
                        "example": OAUTH_EXAMPLES.get(
                            (path, status),
                            {
                                "error": "invalid_grant",
                                "error_description": "The e-mail address or password is incorrect.",
                            },
                        ),
                    },
                    **problem["content"],
                },
            }
            continue
        if existing is None or _is_fastapi_validation(existing):
            responses[key] = _problem_response(status)
    for key, response in list(responses.items()):
        if not key.isdigit() or int(key) < 400:
            continue
        if _is_fastapi_validation(response):
            responses[key] = _problem_response(int(key))
            continue
        if not response.get("content") and int(key) in PROBLEMS:
            # Declared with a description only: the body is still a problem document.
            filled = _problem_response(int(key), response.get("headers"))
            filled["description"] = response.get("description") or filled["description"]
            responses[key] = filled
            continue
        content = response.get("content") or {}
        if PROBLEM_JSON in content:
            # A route's own problem response (the rate limiter's inline copy): the one schema.
            merged = (
                _problem_response(int(key), response.get("headers")) if int(key) in PROBLEMS else response
            )
            merged["description"] = response.get("description") or merged["description"]
            problem = {**content[PROBLEM_JSON], **merged["content"].get(PROBLEM_JSON, {})}
            problem["schema"] = {"$ref": _REF + PROBLEM}
            merged["content"] = {**content, PROBLEM_JSON: problem}
            responses[key] = merged
    if 429 in statuses and "429" in responses:
        # A counted request says its quota on every answer (rolecall.platform.ratelimit).
        for key, response in responses.items():
            if key.startswith("2"):
                response["headers"] = {**copy.deepcopy(RATE_LIMIT_HEADERS), **response.get("headers", {})}
    if any(path.startswith(prefix) for prefix in NOT_MODIFIED_PREFIXES) and method == "GET":
        responses.setdefault("304", {"description": "Not modified: the If-None-Match ETag is current"})
    for status, content in MEDIA_TYPES.get((method, path), {}).items():
        responses.setdefault(str(status), {"description": PROBLEMS.get(status, ("", "", "Answer"))[2]})
        kept = responses[str(status)].get("content", {}) if status >= 400 else {}
        responses[str(status)]["content"] = {**kept, **copy.deepcopy(content)}
    operation["responses"] = dict(sorted(responses.items()))
    operation["description"] = _description(operation, method, path, context, kind, scope_list, catalogue)
    own = DESCRIPTIONS.get(operation["operationId"])
    if own and operation.get("summary") == (context.name or "").replace("_", " ").title():
        operation["summary"] = own.split(". ")[0].split(": ")[0].rstrip(".")


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = (response.get("content") or {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _drop_null(param: dict[str, Any]) -> None:
    """An optional query or header parameter is left out to mean "none": ``null`` cannot be sent.

    FastAPI describes ``int | None = None`` as ``anyOf: [integer, null]``. Generated clients then
    offer a null they cannot put in a URL, and fuzzers count a mutated value that serialises to
    nothing (and so reaches the server as "absent", which is valid) as accepted invalid data.
    """
    schema = param.get("schema") or {}
    variants = schema.get("anyOf")
    if param.get("in") not in ("query", "header") or param.get("required") or not variants:
        return
    kept = [variant for variant in variants if variant != {"type": "null"}]
    if len(kept) == len(variants):
        return
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    param["schema"] = {**kept[0], **rest} if len(kept) == 1 else {"anyOf": kept, **rest}


def _fix_success_media(responses: dict[str, Any], method: str, path: str, context: Any) -> None:
    """Keep only the media types a route really sends on success.

    FastAPI adds the ``response_class``'s type (``text/plain`` for PlainTextResponse, none for a bare
    Response) next to what the route declared in ``responses=``; the declaration is what is sent.
    """
    declared = context.responses or {}
    for key, response in responses.items():
        if not key.isdigit() or not 200 <= int(key) < 300:
            continue
        own = declared.get(int(key)) or declared.get(key) or {}
        own_content = own.get("content")
        content = response.get("content")
        if own_content and content:
            content = response["content"] = {t: content.get(t) or own_content[t] for t in own_content}
        elif content is not None and not content and int(key) != 204:
            del response["content"]  # bare Response without a declaration: see MEDIA_TYPES
        for media_type, media in (content or {}).items():
            if media_type.endswith("yaml") and (media or {}).get("schema") in (None, {"type": "string"}):
                # Tools parse YAML answers into data: a "string" schema would not match the document.
                content[media_type] = {**(media or {}), "schema": {"description": "A YAML document"}}
            elif not media or "schema" not in media:
                content[media_type] = {**(media or {}), "schema": _text_schema(media_type)}


def _text_schema(media_type: str) -> dict[str, Any]:
    """The schema of a body declared by media type alone: text, or bytes for binary types."""
    textual = media_type.startswith("text/") or media_type.endswith(("json", "xml"))
    return {"type": "string"} if textual else {"type": "string", "format": "binary"}


def _description(
    operation: dict[str, Any],
    method: str,
    path: str,
    context: Any,
    kind: str,
    scopes: list[str],
    catalogue: dict[str, str],
) -> str:
    own = DESCRIPTIONS.get(operation["operationId"]) or operation.get("description", "").strip()
    if not own:
        summary = operation.get("summary", "").strip()
        own = summary if summary and summary != (context.name or "").replace("_", " ").title() else ""
        own = (own + ".") if own and not own.endswith(".") else own
    lines = [own] if own else []
    if kind == "scopes":
        granted = "; ".join(f"`{s}` ({catalogue.get(s, s)})" for s in scopes) or "any valid token"
        plural = "s" if len(scopes) > 1 else ""
        lines.append(f"**Requires scope{plural}:** {granted}. Authenticate with OAuth 2.0 or a bearer token.")
    elif path.startswith(BASIC_AUTH_PREFIXES):
        lines.append("**Authentication:** the organisation's partner key as HTTP Basic credentials.")
    else:
        lines.append("**Public:** no token needed.")
    names = {p.get("name") for p in operation.get("parameters", [])}
    notes = []
    if "cursor" in names:
        notes.append("Cursor-paginated: pass `next_cursor` of a page as `cursor` for the next one.")
    if "412" in operation["responses"] and "428" in operation["responses"]:
        notes.append("Send the ETag you read in `If-Match`: 428 without it, 412 if the resource changed.")
    if method == "POST":
        notes.append("Send an `Idempotency-Key` to make retries safe.")
    if "429" in operation["responses"]:
        notes.append("Rate limited: over the limit the answer is 429 with Retry-After.")
    if notes:
        lines.append(" ".join(notes))
    if not own:
        # No docstring, summary or override: the endpoint's name as a sentence ("List users.").
        words = " ".join(_words(context.name or "")) or rule_operation_id(method, path, context)
        lines.insert(0, f"{words[:1].upper()}{words[1:]}.")
    return "\n\n".join(lines)


# --- Schemas: lifted $defs, short unique names ----------------------------------------------------


def _lift_defs(node: Any, schemas: dict[str, Any]) -> None:
    """Move ``$defs`` that routes embedded (``model_json_schema(ref_template=...)``) into components."""
    if isinstance(node, dict):
        defs = node.pop("$defs", None)
        if isinstance(defs, dict):
            for name, schema in defs.items():
                schemas.setdefault(name, schema)
                _lift_defs(schema, schemas)
        for value in node.values():
            _lift_defs(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _lift_defs(value, schemas)


def _pascal(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text) if word)


def _rename_schemas(doc: dict[str, Any]) -> None:
    """FastAPI's long names become short ones: ``Body_upload_file_v1_...`` is named after its
    operation (``CandidatesFilesUploadForm``), and a model name two contexts share
    (``rolecall__offers__schemas__Thing``) gets its context (``OffersThing``) -- better still,
    rename one of the models."""
    schemas: dict[str, Any] = doc["components"]["schemas"]
    renames: dict[str, str] = {}
    for name in list(schemas):
        if SCHEMA_NAME.fullmatch(name):
            continue
        if name.startswith("Body_"):
            body_of = _body_owner(doc, name)
            new = _pascal(body_of) + "Form" if body_of else _pascal(name.removeprefix("Body_"))
        elif "__" in name:
            parts = name.split("__")
            context = parts[1] if len(parts) > 2 else ""
            new = _pascal(context) + parts[-1]
        else:
            new = _pascal(name)
        while new in schemas or new in renames.values():
            new += "X"
        renames[name] = new
    if not renames:
        return
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    doc["components"]["schemas"] = dict(sorted(schemas.items()))
    _rewrite_refs(doc, {_REF + old: _REF + new for old, new in renames.items()})


def _body_owner(doc: dict[str, Any], name: str) -> str | None:
    target = _REF + name
    for item in doc["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                if (media.get("schema") or {}).get("$ref") == target:
                    owner: str = operation["operationId"]
                    return owner
    return None


def _rewrite_refs(node: Any, mapping: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in mapping:
            node["$ref"] = mapping[ref]
        for value in node.values():
            _rewrite_refs(value, mapping)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, mapping)


# --- Examples: the schema's own, else one built from the schema -----------------------------------

EXAMPLE_UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
EXAMPLE_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
_FORMATS = {
    "uuid": EXAMPLE_UUID,
    "date-time": EXAMPLE_TIME.isoformat().replace("+00:00", "Z"),
    "date": EXAMPLE_TIME.date().isoformat(),
    "time": "09:30:00",
    "email": "ada@example.com",
    "uri": "https://example.com/",
    "binary": None,
    "duration": "P1D",
}


def example_for(schema: Any, schemas: dict[str, Any], depth: int = 0) -> Any:
    """A deterministic example value for a JSON schema (the schema's own examples first)."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "$ref" in schema:
        target = schemas.get(schema["$ref"].removeprefix(_REF), {})
        return example_for(target, schemas, depth + 1)
    for key in ("examples", "example"):
        if key in schema:
            value = schema[key]
            return copy.deepcopy(
                value[0] if key == "examples" and isinstance(value, list) and value else value
            )
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return copy.deepcopy(schema["default"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if not (isinstance(o, dict) and o.get("type") == "null")]
            return example_for(options[0], schemas, depth + 1) if options else None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_for(part, schemas, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
            elif value is not None:
                return value
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example_for(sub, schemas, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        item = example_for(schema.get("items", {}), schemas, depth + 1)
        return [] if item is None else [item]
    if kind == "string":
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        return "string" if schema.get("minLength", 1) <= 6 else "x" * int(schema["minLength"])
    if kind == "integer":
        return int(max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    return None


def _has_example(media: dict[str, Any], schemas: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    schema = media.get("schema") or {}
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].removeprefix(_REF), {})
    return bool(schema.get("examples") or schema.get("example"))


def _add_examples(doc: dict[str, Any]) -> None:
    """Every JSON body (request and success response) gets an example: the model's own or a built one."""
    schemas = doc["components"]["schemas"]
    for item in doc["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            bodies = [(operation.get("requestBody") or {}).get("content", {})]
            bodies += [
                r.get("content", {}) for k, r in operation.get("responses", {}).items() if k.startswith("2")
            ]
            for content in bodies:
                for media_type, media in content.items():
                    if media is None or not media_type.endswith("json") or _has_example(media, schemas):
                        continue
                    value = example_for(media.get("schema", {}), schemas)
                    if value is not None:
                        media["example"] = value


def dump(doc: dict[str, Any]) -> str:
    """The document as the snapshot stores it: indented, keys in the order built, a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def has_example(operation: dict[str, Any]) -> bool:
    bodies = [(operation.get("requestBody") or {}).get("content", {})]
    bodies += [r.get("content", {}) for r in operation.get("responses", {}).values()]
    return any(
        "example" in media or "examples" in media for content in bodies for media in content.values() if media
    )


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A reference to a model for ``openapi_extra``: the builder lifts the model and its nested
    models (carried in ``$defs``) into ``components/schemas``."""
    schema = model.model_json_schema(ref_template=_REF + "{model}")
    defs = schema.pop("$defs", {})
    name = model.__name__
    return {"$ref": _REF + name, "$defs": {**defs, name: schema}}


# --- /docs and /redoc -----------------------------------------------------------------------------

DOCS_ASSETS = ("swagger-ui.css", "swagger-ui.js", "redoc.js")
# Everything from this origin, nothing inline but styles (both UIs set style attributes); ReDoc
# searches in a worker it starts from a blob.
_DOCS_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def _page(title: str, head: str, body: str) -> HTMLResponse:
    text = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )
    return HTMLResponse(text, headers={"Content-Security-Policy": _DOCS_CSP, "Cache-Control": "no-cache"})


def _install_pages(app: FastAPI, asset_url: Callable[[str], str]) -> None:
    spec = app.openapi_url or "/openapi.json"

    async def swagger(_request: Request) -> Response:
        config = html.escape(json.dumps({"url": spec, "title": app.title}))
        return _page(
            f"{app.title} - Swagger UI",
            f'<link rel="stylesheet" href="{asset_url("swagger-ui.css")}">\n',
            f'<div id="swagger-ui" data-config="{config}"></div>\n'
            f'<script src="{asset_url("swagger-ui.js")}"></script>\n',
        )

    async def redoc(_request: Request) -> Response:
        return _page(
            f"{app.title} - ReDoc",
            "",
            f'<div id="redoc" data-spec-url="{html.escape(spec)}"></div>\n'
            f'<script src="{asset_url("redoc.js")}"></script>\n',
        )

    app.add_route("/docs", swagger, methods=["GET"], include_in_schema=False)
    app.add_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
