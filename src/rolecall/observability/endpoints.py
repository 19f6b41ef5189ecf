"""Liveness, readiness and metrics: unauthenticated, outside ``/v1``, for orchestrators and scrapers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from rolecall.observability import metrics
from rolecall.platform.auth import PUBLIC
from rolecall.platform.schema import current_revision, head_revision

router = APIRouter(tags=["operations"], dependencies=[PUBLIC])


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database reachable and migrated to head")
async def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    checks: dict[str, Any] = {}
    ready = True
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        ready = False
    if ready:
        current, head = await current_revision(engine), head_revision()
        checks["migrations"] = "ok" if current == head else f"at {current}, head is {head}"
        ready = current == head
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus_metrics(request: Request) -> Response:
    await metrics.refresh(request.app.state.engine, request.app.state.sessionmaker)
    await metrics.refresh_dead_letters(request.app.state.sessionmaker, request.app.state.settings)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
