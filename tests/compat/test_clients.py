"""An existing open-source client of both public APIs reads Rolecall's compat boards.

``openroles`` (PyPI, MIT, standard library only) reads Greenhouse job boards and Lever postings the
way careers-page tools and aggregators do. It takes no base URL, so its module-level endpoint
addresses are pointed at a live Rolecall server on a free loopback port; everything else (the HTTP
requests, the JSON parsing, the mapping into its own ``Job``) is the client's own code. Its
robots.txt lookup goes over https, which the test server does not speak, so it is answered as "no
robots.txt" (what the client does for a 404).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from openroles import _http as openroles_http
from openroles.providers import greenhouse as openroles_greenhouse
from openroles.providers import lever as openroles_lever

from tests.compat.support import make_board
from tests.factories import Tenant


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def live_url(app: FastAPI) -> AsyncIterator[str]:
    """The test app served by uvicorn on 127.0.0.1 (its lifespan already ran in the app fixture)."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@pytest.fixture
def pointed(live_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    host = live_url.removeprefix("http://")
    monkeypatch.setattr(openroles_greenhouse, "HOST", host)
    monkeypatch.setattr(
        openroles_greenhouse, "URL", f"{live_url}/compat/greenhouse/v1/boards/{{token}}/jobs?content=true"
    )
    monkeypatch.setattr(openroles_greenhouse, "META", f"{live_url}/compat/greenhouse/v1/boards/{{token}}")
    monkeypatch.setattr(openroles_lever, "HOSTS", (f"{live_url}/compat/lever",))
    monkeypatch.setattr(openroles_http, "robots_txt", lambda _host: (404, ""))
    return live_url


async def test_openroles_reads_the_greenhouse_and_lever_boards(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pointed: str
) -> None:
    board = await make_board(client, app, tenant)
    titles = sorted(job["title"] for job in board.open_jobs)

    assert await asyncio.to_thread(openroles_greenhouse.exists, board.slug)
    greenhouse_jobs = await asyncio.to_thread(openroles_greenhouse.fetch, board.slug)
    assert sorted(job.title for job in greenhouse_jobs) == titles
    engineering = next(job for job in greenhouse_jobs if job.department == "Engineering")
    assert engineering.location == "Berlin, DE"
    assert engineering.url.startswith("http://rolecall.test/jobs/")
    assert engineering.posted
    assert engineering.description
    remote = next(job for job in greenhouse_jobs if job.department == "Data")
    assert remote.remote is True

    assert not await asyncio.to_thread(openroles_greenhouse.exists, "no-such-board")

    lever_jobs = await asyncio.to_thread(openroles_lever.fetch, board.slug)
    assert sorted(job.title for job in lever_jobs) == titles
    by_department = {job.department: job for job in lever_jobs}
    assert by_department["Engineering"].salary_min == 110_000
    assert by_department["Engineering"].salary_currency == "USD"
    assert by_department["Engineering"].salary_period == "year"
    assert by_department["Data"].remote is True
    assert by_department["Data"].employment_type == "Contract"
    assert by_department["Engineering"].id == f"lv-{board.open_jobs[0]['id']}"
