"""The API process: one FastAPI app with every context's router and the platform middleware."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rolecall import __version__
from rolecall.assessments.outbound import outbound_policy
from rolecall.board.indexes import open_search_index
from rolecall.config import Settings, get_settings
from rolecall.identity.auth import authenticate_bearer, authenticate_page
from rolecall.identity.permissions import SCOPES
from rolecall.identity.principal_cache import PrincipalCache
from rolecall.identity.tokens import KeyRing
from rolecall.platform.access import keep_teams_for
from rolecall.platform.contexts import discover
from rolecall.platform.cors import ReadOnlyCorsMiddleware
from rolecall.platform.db import create_engine, create_read_sessionmaker, create_sessionmaker, transaction
from rolecall.platform.errors import install_problem_handlers
from rolecall.platform.idempotency import IdempotencyMiddleware
from rolecall.platform.logging import configure_logging
from rolecall.platform.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from rolecall.platform.openapi import install as install_openapi
from rolecall.platform.query_params import QUERY_GUARD
from rolecall.web import assets
from rolecall.web.compression import PageGzipMiddleware
from rolecall.web.errors import install_page_errors, server_error_page
from rolecall.web.pages import router as web_pages
from rolecall.worker import BackgroundJobs

# Routes that take files (multipart): they get ROLECALL_MAX_UPLOAD_BYTES instead of the JSON limit.
UPLOAD_PATHS = re.compile(
    r"/v1/board/postings/[^/]+/applications|/v1/candidates/[^/]+/files|/v1/candidate-imports|/jobs/[^/]+/apply"
    r"|/compat/greenhouse/v1/boards/[^/]+/jobs/[^/]+|/compat/lever/v0/postings/[^/]+/[^/]+"
)

DESCRIPTION = """
Rolecall is an API-first back end for structured hiring.

Authenticate with `POST /v1/oauth/token` and send `Authorization: Bearer <access_token>`.
Errors are RFC 9457 problem documents; lists use cursor pagination; unsafe POSTs accept an
`Idempotency-Key`; updates need the resource's `ETag` in `If-Match`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_public_url()  # production builds links on its public URL, never on a Host header
    configure_logging(settings.log_level, settings.log_json)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        pool_recycle=settings.database_pool_recycle_seconds,
        echo=settings.database_echo,
    )
    sessionmaker = create_sessionmaker(engine)
    read_sessionmaker = create_read_sessionmaker(engine)
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
        # /docs and /redoc are served by rolecall.platform.openapi from vendored assets (no CDN).
        docs_url=None,
        redoc_url=None,
        # Unknown query parameters on API routes: a 400 listing the accepted ones (platform/query_params.py).
        dependencies=[QUERY_GUARD],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.read_sessionmaker = read_sessionmaker
    app.state.keyring = keyring
    app.state.principal_cache = PrincipalCache(settings.auth_cache_seconds)
    keep_teams_for(settings.auth_cache_seconds)
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
    # Every context declares its routers in its context.py (rolecall.platform.contexts).
    contexts = discover()
    for context in contexts:
        for router in context.routers:
            app.include_router(router)
    # Web pages: the same services as the routers above, answered as HTML (not in the OpenAPI document).
    app.include_router(web_pages)
    for context in contexts:
        for pages in context.pages:
            app.include_router(pages)
    install_page_errors(app)
    install_openapi(app, asset_url=assets.url_for)

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
    app.add_middleware(
        ReadOnlyCorsMiddleware, origins=settings.cors_origins, paths=("/v1/board/", "/compat/")
    )
    app.add_middleware(RequestContextMiddleware, error_page=server_error_page)
    return app
