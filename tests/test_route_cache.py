"""The suite's route cache (tests/route_cache.py) shares built routes between applications; each
application must still answer with its own dependency overrides and its own state."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform.auth import get_session


async def _teapot(request: Request) -> AsyncIterator[AsyncSession]:
    raise HTTPException(status_code=418)
    yield  # pragma: no cover - a generator dependency, like the one it replaces


async def _status(app: FastAPI, path: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as http:
        return (await http.get(path)).status_code


async def test_a_second_application_keeps_its_own_dependency_overrides(
    app: FastAPI, settings: Settings
) -> None:
    path = "/v1/board/no-such-board/postings"
    assert await _status(app, path) == 404  # the first application builds its routes
    second = create_app(settings)
    second.dependency_overrides[get_session] = _teapot
    async with LifespanManager(second):
        assert await _status(second, path) == 418
        assert await _status(app, path) == 404
        second.dependency_overrides.clear()
        assert await _status(second, path) == 404
