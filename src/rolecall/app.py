"""The API process: one FastAPI app with every context's router and the platform middleware."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rolecall import __version__
from rolecall.assessments.candidate_pages import router as assessment_candidate_pages
from rolecall.assessments.endpoints import router as assessments_router
from rolecall.assessments.link_endpoints import candidate_router as assessment_link_router
from rolecall.assessments.outbound import outbound_policy
from rolecall.assessments.pages import router as assessment_pages
from rolecall.assessments.partner_endpoints import partner_keys_router, partner_router
from rolecall.assessments.review_pages import router as assessment_review_pages
from rolecall.assessments.session_endpoints import router as assessment_session_router
from rolecall.assessments.vendor_endpoints import vendor_callback_router, vendors_router
from rolecall.audit.endpoints import router as audit_router
from rolecall.board.endpoints import router as board_router
from rolecall.board.indexes import open_search_index
from rolecall.board.pages import router as board_pages
from rolecall.candidates.endpoints import router as candidates_router
from rolecall.candidates.pages import router as candidate_pages
from rolecall.config import Settings, get_settings
from rolecall.identity.auth import authenticate_bearer, authenticate_page
from rolecall.identity.endpoints import router as identity_router
from rolecall.identity.oauth_endpoints import router as oauth_router
from rolecall.identity.pages import router as identity_pages
from rolecall.identity.permissions import SCOPES
from rolecall.identity.tokens import KeyRing
from rolecall.identity.user_pages import router as user_pages
from rolecall.interviews.candidate_pages import router as candidate_scorecard_pages
from rolecall.interviews.endpoints import router as interviews_router
from rolecall.interviews.pages import router as interview_pages
from rolecall.jobs.endpoints import router as jobs_router
from rolecall.jobs.generator_pages import router as generator_pages
from rolecall.jobs.pages import router as job_pages
from rolecall.jobs.settings_pages import router as job_settings_pages
from rolecall.observability.endpoints import router as ops_router
from rolecall.offers.candidate_pages import router as candidate_offer_pages
from rolecall.offers.endpoints import router as offers_router
from rolecall.offers.pages import router as offer_pages
from rolecall.pipeline.analytics_endpoints import router as analytics_router
from rolecall.pipeline.analytics_pages import router as analytics_pages
from rolecall.pipeline.candidate_pages import router as candidate_application_pages
from rolecall.pipeline.endpoints import router as pipeline_router
from rolecall.pipeline.job_list_pages import router as job_list_pages
from rolecall.pipeline.pages import router as pipeline_board_pages
from rolecall.pipeline.public_endpoints import router as apply_router
from rolecall.pipeline.public_pages import router as apply_pages
from rolecall.pipeline.settings_pages import router as pipeline_settings_pages
from rolecall.platform.cors import ReadOnlyCorsMiddleware
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.errors import install_problem_handlers
from rolecall.platform.idempotency import IdempotencyMiddleware
from rolecall.platform.logging import configure_logging
from rolecall.platform.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from rolecall.privacy.endpoints import router as privacy_router
from rolecall.roles.endpoints import router as roles_router
from rolecall.roles.pages import router as role_pages
from rolecall.web.compression import PageGzipMiddleware
from rolecall.web.errors import install_page_errors, server_error_page
from rolecall.web.pages import router as web_pages
from rolecall.worker import BackgroundJobs

# Routes that take files (multipart): they get ROLECALL_MAX_UPLOAD_BYTES instead of the JSON limit.
UPLOAD_PATHS = re.compile(
    r"/v1/board/postings/[^/]+/applications|/v1/candidates/[^/]+/files|/jobs/[^/]+/apply"
)

PAGE_ROUTERS = (
    web_pages,
    board_pages,
    identity_pages,
    analytics_pages,
    job_settings_pages,
    pipeline_settings_pages,
    user_pages,
    offer_pages,
    apply_pages,
    pipeline_board_pages,
    role_pages,
    generator_pages,
    interview_pages,
    candidate_pages,
    candidate_application_pages,
    candidate_scorecard_pages,
    candidate_offer_pages,
    assessment_pages,
    assessment_review_pages,
    assessment_candidate_pages,
    job_list_pages,
    job_pages,
)

DESCRIPTION = """
Rolecall is an API-first back end for structured hiring.

Authenticate with `POST /v1/oauth/token` and send `Authorization: Bearer <access_token>`.
Errors are RFC 9457 problem documents; lists use cursor pagination; unsafe POSTs accept an
`Idempotency-Key`; updates need the resource's `ETag` in `If-Match`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    engine = create_engine(
        settings.database_url, pool_size=settings.database_pool_size, echo=settings.database_echo
    )
    sessionmaker = create_sessionmaker(engine)
    keyring = KeyRing(settings)
    search_index, index_sync = open_search_index(settings, sessionmaker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with transaction(sessionmaker) as session:
            await keyring.ensure_active(session)
        stop = asyncio.Event()
        task: asyncio.Task[None] | None = None
        sync_task: asyncio.Task[None] | None = None
        if settings.embedded_worker:
            jobs = BackgroundJobs(settings, sessionmaker)
            app.state.dispatcher = jobs.dispatcher
            task = asyncio.create_task(jobs.run(stop), name="rolecall-background-jobs")
        if index_sync is not None and settings.search_sync_seconds > 0:
            # Every API process follows the board projection into its own local index.
            coro = index_sync.run_forever(stop, settings.search_sync_seconds)
            sync_task = asyncio.create_task(coro, name="rolecall-search-sync")
        # Everything loaded so far (modules, models, tables, templates) lives as long as the process:
        # moved out of the collector's reach, it is no longer walked by every full collection that a
        # large request (a ranking of thousands) sets off. Collected first, so no garbage is frozen.
        if settings.gc_freeze:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if settings.gc_freeze:
                gc.unfreeze()  # a process that builds apps again must not keep the old ones forever
            stop.set()
            for running in (task, sync_task):
                if running is not None:
                    await running
            if index_sync is not None:
                index_sync.index.close()
            await engine.dispose()

    app = FastAPI(
        title="Rolecall API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.keyring = keyring
    app.state.authenticate = authenticate_bearer
    app.state.authenticate_page = authenticate_page
    app.state.scope_catalogue = SCOPES
    app.state.pii_keyring = settings.pii_keyring()
    app.state.blind_index = settings.blind_index()
    app.state.file_store = settings.file_store()
    app.state.search_index = search_index
    app.state.assessment_outbound = outbound_policy(settings.assessment_partner_allowed_hosts)
    app.state.index_sync = index_sync

    install_problem_handlers(app)
    for router in (
        ops_router,
        oauth_router,
        identity_router,
        audit_router,
        roles_router,
        jobs_router,
        board_router,
        candidates_router,
        pipeline_router,
        apply_router,
        analytics_router,
        interviews_router,
        offers_router,
        assessments_router,
        assessment_session_router,
        assessment_link_router,
        partner_keys_router,
        partner_router,
        vendors_router,
        vendor_callback_router,
        privacy_router,
    ):
        app.include_router(router)
    # Web pages: the same services as the routers above, answered as HTML (not in the OpenAPI document).
    for pages in PAGE_ROUTERS:
        app.include_router(pages)
    install_page_errors(app)

    # Added last runs first: request id and metrics wrap everything, then the size limit, then idempotency.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        upload_max_bytes=settings.max_upload_bytes,
        upload_paths=UPLOAD_PATHS,
    )
    app.add_middleware(PageGzipMiddleware)
    # CORS for the public read-only board API (GET /v1/board/..., the application form included).
    app.add_middleware(ReadOnlyCorsMiddleware, origins=settings.cors_origins, paths=("/v1/board/",))
    app.add_middleware(RequestContextMiddleware, error_page=server_error_page)
    return app
