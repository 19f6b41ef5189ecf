"""Pipeline analytics: the definitions as pure functions over hand-built trails, then the routes over a
pipeline built through the services with a frozen clock, so every duration is exact."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.jobs.schemas import DEFAULT_STAGES as STAGE_MODELS
from rolecall.pipeline import service as pipeline
from rolecall.pipeline.analytics import FUNNEL_TYPES, Move, Step, Trail, funnel, percentile, sources, stays
from rolecall.pipeline.analytics_schemas import Period
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_application, create_user, login, move_application, open_job
from tests.platform.problems import assert_problem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JOB = uuid.UUID(int=7)
STAGES = [("Applied", "applied"), ("Screen", "screen"), ("Interview", "interview"), ("Offer", "offer")]
TYPES = dict(STAGES) | {"Hired": "hired", "Rejected": "rejected"}
DEFAULT_STAGES = [stage.model_dump() for stage in STAGE_MODELS]
STEPS = [Step(name, kind) for name, kind in [*STAGES, ("Hired", "hired")]]


def by_name(stage: str, stage_type: str) -> str | None:
    return None if stage_type == "rejected" else stage


def trail(*path: tuple[float, str, str, str | None], source: str = "referral") -> Trail:
    """A trail from (hours after T0, action, stage moved to, reason) steps; the first is 'applied'."""
    moves: list[Move] = []
    status, stage = "active", None
    for hours, action, to_stage, reason in path:
        status = {"reject": "rejected", "withdraw": "withdrawn", "hire": "hired"}.get(action, "active")
        moves.append(
            Move(
                action,
                stage,
                TYPES.get(stage or ""),
                to_stage,
                TYPES[to_stage],
                status,
                reason,
                T0 + timedelta(hours=hours),
            )
        )
        stage = to_stage
    assert stage is not None
    reason = moves[-1].reason if status == "rejected" else None
    return Trail(uuid.uuid4(), JOB, stage, TYPES[stage], status, source, reason, T0, moves)


def test_percentile_interpolates_like_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 0.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0], 0.9) == 90.0
    assert percentile([0.0, 10.0], 0.9) == pytest.approx(9.0)


def test_a_stay_counts_active_time_only_and_ends_when_the_application_leaves() -> None:
    # Screen from 24h; rejected at 30h (moved to Rejected); unrejected back to Screen at 50h; moved at 60h.
    moved = trail(
        (0, "applied", "Applied", None),
        (24, "move", "Screen", None),
        (30, "reject", "Rejected", "skills_gap"),
        (50, "unreject", "Screen", None),
        (60, "move", "Interview", None),
    )
    done, open_stay = stays(moved, by_name)
    assert done == [("Applied", 24 * 3600.0), ("Screen", 6 * 3600.0), ("Screen", 10 * 3600.0)]
    assert open_stay == "Interview"


def test_a_withdrawal_in_place_closes_the_stay_with_its_active_time() -> None:
    withdrawn = trail((0, "applied", "Applied", None), (5, "withdraw", "Applied", None))
    assert stays(withdrawn, by_name) == ([("Applied", 5 * 3600.0)], None)


def test_funnel_counts_reached_entered_current_and_where_applications_ended() -> None:
    trails = [
        trail((0, "applied", "Applied", None)),
        trail((0, "applied", "Applied", None), (10, "reject", "Rejected", "skills_gap")),
        # Skips the screen: still counts as having reached it, but not as having entered it.
        trail((0, "applied", "Applied", None), (20, "move", "Interview", None)),
        trail(
            (0, "applied", "Applied", None),
            (30, "move", "Screen", None),
            (40, "reject", "Rejected", "location"),
        ),
        trail(
            (0, "applied", "Applied", None),
            (10, "move", "Screen", None),
            (20, "move", "Offer", None),
            (24 * 5, "hire", "Hired", None),
        ),
        trail((0, "applied", "Applied", None), (2, "withdraw", "Applied", None), source="sourced"),
    ]
    report = funnel(trails, STEPS, by_name, Period(), JOB)
    stages = {stage.name: stage for stage in report.stages}
    assert [s.name for s in report.stages] == ["Applied", "Screen", "Interview", "Offer", "Hired"]
    assert [s.reached for s in report.stages] == [6, 3, 2, 1, 1]
    assert [s.entered for s in report.stages] == [6, 2, 1, 1, 1]
    assert [s.current for s in report.stages] == [1, 0, 1, 0, 1]
    assert [s.conversion_to_next for s in report.stages] == [0.5, 0.6667, 0.5, 1.0, None]
    assert (stages["Applied"].rejected, stages["Applied"].withdrawn) == (1, 1)
    assert (stages["Screen"].rejected, stages["Screen"].withdrawn) == (1, 0)
    assert [(r.reason, r.count) for r in report.reject_reasons] == [("location", 1), ("skills_gap", 1)]
    # Applied stays: 10, 20, 30, 10 and 2 hours completed; one still open.
    applied = stages["Applied"].time_in_stage
    assert (applied.completed, applied.in_progress, applied.median_hours) == (5, 1, 10.0)
    assert applied.p90_hours == pytest.approx(26.0)
    assert stages["Hired"].time_in_stage.completed == 0
    assert report.time_to_hire.hires == 1
    assert report.time_to_hire.median_days == 5.0


def test_a_reverted_hire_has_not_reached_the_hired_stage() -> None:
    reverted = trail(
        (0, "applied", "Applied", None),
        (1, "move", "Offer", None),
        (2, "hire", "Hired", None),
        (3, "hire_reverted", "Offer", None),
    )
    report = funnel([reverted], STEPS, by_name, Period(), JOB)
    assert [s.reached for s in report.stages] == [1, 1, 1, 1, 0]
    assert report.stages[-1].entered == 0
    assert report.time_to_hire.hires == 0
    assert report.time_to_hire.median_days is None


def test_no_applications_give_zeros_and_nulls() -> None:
    report = funnel([], STEPS, by_name, Period(), JOB)
    assert report.applications == 0
    assert all(s.reached == 0 and s.conversion_to_next is None for s in report.stages)
    assert all(s.time_in_stage.median_hours is None for s in report.stages)
    assert report.reject_reasons == []
    assert sources([], Period(), None).sources == []


def test_sources_count_how_far_each_source_gets() -> None:
    trails = [
        trail((0, "applied", "Applied", None), (1, "move", "Screen", None), source="careers_board"),
        trail((0, "applied", "Applied", None), source="careers_board"),
        trail(
            (0, "applied", "Applied", None),
            (1, "move", "Interview", None),
            (2, "move", "Offer", None),
            (3, "hire", "Hired", None),
        ),
    ]
    report = sources(trails, Period(), None)
    rows = {row.source: row for row in report.sources}
    assert [row.source for row in report.sources] == ["careers_board", "referral"]
    board, referral = rows["careers_board"], rows["referral"]
    assert (board.applications, board.reached_screen, board.reached_interview, board.hired) == (2, 1, 0, 0)
    assert board.hire_rate == 0.0
    assert (referral.reached_screen, referral.reached_interview, referral.reached_offer) == (1, 1, 1)
    assert (referral.hired, referral.hire_rate) == (1, 1.0)
    assert set(FUNNEL_TYPES) >= {"screen", "interview", "offer", "hired"}


# --- the routes -----------------------------------------------------------------------------------


@pytest.fixture
def analytics_app(app: FastAPI) -> FastAPI:
    """The app under test (kept as a name: the timeline fixtures read better with it)."""
    return app


@asynccontextmanager
async def unit_of_work(app: FastAPI, tenant: Tenant) -> AsyncIterator[tuple[AsyncSession, Principal]]:
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        yield session, Principal.acting_for("system", tenant.organisation_id)


async def refresh(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """A token issued at the frozen clock's current time (the old one expires as days pass)."""
    tenant.token = (await login(client, tenant.admin_email))["access_token"]


async def apply(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, job: dict[str, Any], source: str
) -> uuid.UUID:
    await refresh(client, tenant)
    return uuid.UUID((await create_application(client, app, tenant, job, source=source))["id"])


async def act(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, application_id: uuid.UUID, action: str, arg: str
) -> None:
    await refresh(client, tenant)
    if action == "hire":  # no route hires: the accepted offer's saga does, through this service call
        async with unit_of_work(app, tenant) as (session, principal):
            assert await pipeline.mark_hired(session, principal, application_id)
    elif action == "move":
        await move_application(client, tenant, {"id": str(application_id)}, arg)
    else:
        body = {"reason": arg} if action == "reject" else {}
        url = f"/v1/applications/{application_id}/{action}"
        response = await client.post(url, headers=tenant.headers, json=body)
        assert response.status_code == 200, response.text


@pytest.fixture
async def pipeline_data(
    client: httpx.AsyncClient, analytics_app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> dict[str, Any]:
    """Two jobs with default stages; day 0 is the clock's start. See each test for the timeline."""
    app, start = analytics_app, clock.now
    job = await open_job(client, app, tenant)
    other_job = await open_job(client, app, tenant, job["role_profile_id"])
    a1 = await apply(client, app, tenant, job, "referral")
    a2 = await apply(client, app, tenant, job, "careers_board")
    a3 = await apply(client, app, tenant, job, "careers_board")
    await apply(client, app, tenant, job, "careers_board")  # a4 stays in Applied
    a6 = await apply(client, app, tenant, other_job, "agency")
    timeline: list[tuple[int, uuid.UUID, str, str]] = [
        (1, a1, "move", "Recruiter screen"),
        (1, a3, "withdraw", ""),
        (1, a6, "move", "Team interview"),
        (2, a2, "move", "Recruiter screen"),
        (3, a1, "move", "Technical interview"),
        (4, a2, "reject", "skills_gap"),
        (5, a6, "move", "Offer"),
        (6, a1, "move", "Offer"),
        (8, a6, "hire", ""),
        (10, a1, "hire", ""),
    ]
    for day, application_id, action, arg in timeline:
        clock.now = start + timedelta(days=day)
        await act(client, app, tenant, application_id, action, arg)
    await apply(client, app, tenant, job, "sourced")  # a5, on day 10, stays in Applied
    return {"job": job, "other_job": other_job, "start": start}


async def get(client: httpx.AsyncClient, tenant: Tenant, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(path, headers=tenant.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def column(report: dict[str, Any], name: str) -> list[Any]:
    return [stage[name] for stage in report["stages"]]


def hours(report: dict[str, Any], stage: str) -> tuple[int, int, float | None, float | None]:
    row = next(s["time_in_stage"] for s in report["stages"] if s["name"] == stage)
    return row["completed"], row["in_progress"], row["median_hours"], row["p90_hours"]


async def test_a_jobs_funnel_follows_its_stages_with_exact_durations(
    client: httpx.AsyncClient, tenant: Tenant, pipeline_data: dict[str, Any]
) -> None:
    report = await get(client, tenant, f"/v1/analytics/jobs/{pipeline_data['job']['id']}/funnel")
    assert report["job_id"] == pipeline_data["job"]["id"]
    assert report["applications"] == 5
    assert column(report, "name") == [
        stage["name"] for stage in DEFAULT_STAGES if stage["type"] != "rejected"
    ]
    assert column(report, "entered") == [5, 2, 0, 1, 0, 1, 1]
    assert column(report, "reached") == [5, 2, 1, 1, 1, 1, 1]
    assert column(report, "current") == [2, 0, 0, 0, 0, 0, 1]
    assert column(report, "conversion_to_next") == [0.4, 0.5, 1.0, 1.0, 1.0, 1.0, None]
    assert column(report, "rejected") == [0, 1, 0, 0, 0, 0, 0]
    assert column(report, "withdrawn") == [1, 0, 0, 0, 0, 0, 0]
    assert report["reject_reasons"] == [{"reason": "skills_gap", "count": 1}]
    assert hours(report, "Applied") == (3, 2, 24.0, 43.2)
    assert hours(report, "Recruiter screen") == (2, 0, 48.0, 48.0)
    assert hours(report, "Technical interview") == (1, 0, 72.0, 72.0)
    assert hours(report, "Offer") == (1, 0, 96.0, 96.0)
    assert hours(report, "Hired") == (0, 0, None, None)
    assert report["time_to_hire"] == {"hires": 1, "median_days": 10.0, "p90_days": 10.0}


async def test_the_organisation_funnel_groups_stages_by_type(
    client: httpx.AsyncClient, tenant: Tenant, pipeline_data: dict[str, Any]
) -> None:
    report = await get(client, tenant, "/v1/analytics/funnel")
    assert report["job_id"] is None
    assert report["applications"] == 6
    assert column(report, "name") == list(FUNNEL_TYPES)
    assert column(report, "entered") == [6, 2, 0, 2, 2, 2]
    assert column(report, "reached") == [6, 3, 2, 2, 2, 2]
    assert column(report, "conversion_to_next") == [0.5, 0.6667, 1.0, 1.0, 1.0, None]
    assert hours(report, "applied") == (4, 2, 24.0, 40.8)
    assert hours(report, "interview") == (2, 0, 84.0, 93.6)
    assert report["time_to_hire"] == {"hires": 2, "median_days": 9.0, "p90_days": 9.8}

    one_job = await get(client, tenant, "/v1/analytics/funnel", job_id=pipeline_data["other_job"]["id"])
    assert one_job["applications"] == 1
    assert column(one_job, "reached") == [1, 1, 1, 1, 1, 1]


async def test_time_to_hire_per_job_and_overall(
    client: httpx.AsyncClient, tenant: Tenant, pipeline_data: dict[str, Any]
) -> None:
    report = await get(client, tenant, "/v1/analytics/time-to-hire")
    assert (report["hires"], report["median_days"], report["p90_days"]) == (2, 9.0, 9.8)
    per_job = {row["job_id"]: row for row in report["jobs"]}
    assert per_job[pipeline_data["job"]["id"]]["median_days"] == 10.0
    assert per_job[pipeline_data["other_job"]["id"]]["median_days"] == 8.0


async def test_sources_report_how_far_each_source_gets(
    client: httpx.AsyncClient, tenant: Tenant, pipeline_data: dict[str, Any]
) -> None:
    report = await get(client, tenant, "/v1/analytics/sources")
    fields = ("applications", "reached_screen", "reached_interview", "reached_offer", "hired", "hire_rate")
    rows = [(row["source"], *(row[name] for name in fields)) for row in report["sources"]]
    assert rows == [
        ("careers_board", 3, 1, 0, 0, 0, 0.0),
        ("agency", 1, 1, 1, 1, 1, 1.0),
        ("referral", 1, 1, 1, 1, 1, 1.0),
        ("sourced", 1, 0, 0, 0, 0, 0.0),
    ]


async def test_the_period_filters_on_application_creation_days(
    client: httpx.AsyncClient, tenant: Tenant, pipeline_data: dict[str, Any]
) -> None:
    first, last = pipeline_data["start"].date(), (pipeline_data["start"] + timedelta(days=10)).date()
    path = f"/v1/analytics/jobs/{pipeline_data['job']['id']}/funnel"
    late = await get(client, tenant, path, **{"from": last.isoformat()})
    assert late["period"] == {"from": last.isoformat(), "to": None}
    assert (late["applications"], column(late, "current")[0], hours(late, "Applied")[1]) == (1, 1, 1)
    early = await get(client, tenant, path, **{"from": first.isoformat(), "to": first.isoformat()})
    assert early["applications"] == 4
    sourced = await get(client, tenant, "/v1/analytics/sources", to=first.isoformat())
    assert "sourced" not in {row["source"] for row in sourced["sources"]}
    backwards = await client.get(
        path, headers=tenant.headers, params={"from": last.isoformat(), "to": first.isoformat()}
    )
    assert assert_problem(backwards, 422)["errors"][0]["field"] == "to"


async def test_no_data_gives_zeros_and_nulls(
    client: httpx.AsyncClient, analytics_app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, analytics_app, tenant)
    report = await get(client, tenant, f"/v1/analytics/jobs/{job['id']}/funnel")
    assert report["applications"] == 0
    assert set(column(report, "reached")) == {0}
    assert set(column(report, "conversion_to_next")) == {None}
    assert report["time_to_hire"] == {"hires": 0, "median_days": None, "p90_days": None}
    hires = await get(client, tenant, "/v1/analytics/time-to-hire")
    assert (hires["hires"], hires["median_days"], hires["jobs"]) == (0, None, [])
    assert (await get(client, tenant, "/v1/analytics/sources"))["sources"] == []


async def test_another_organisation_sees_none_of_it(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, pipeline_data: dict[str, Any]
) -> None:
    other_tenant.token = (await login(client, other_tenant.admin_email))["access_token"]
    report = await get(client, other_tenant, "/v1/analytics/funnel")
    assert report["applications"] == 0
    assert set(column(report, "reached")) == {0}
    job_id = pipeline_data["job"]["id"]
    assert_problem(await client.get(f"/v1/analytics/jobs/{job_id}/funnel", headers=other_tenant.headers), 404)
    for path in ("/v1/analytics/funnel", "/v1/analytics/time-to-hire", "/v1/analytics/sources"):
        response = await client.get(path, headers=other_tenant.headers, params={"job_id": job_id})
        assert_problem(response, 404)


async def test_unknown_jobs_are_404_and_the_scope_is_required(
    client: httpx.AsyncClient, analytics_app: FastAPI, tenant: Tenant
) -> None:
    assert_problem(await client.get(f"/v1/analytics/jobs/{uuid.uuid4()}/funnel", headers=tenant.headers), 404)
    _, manager_token = await create_user(client, tenant, "hiring_manager")
    manager = await client.get("/v1/analytics/funnel", headers={"Authorization": f"Bearer {manager_token}"})
    assert manager.status_code == 200, manager.text
    _, token = await create_user(client, tenant, "interviewer")
    denied = await client.get("/v1/analytics/funnel", headers={"Authorization": f"Bearer {token}"})
    assert_problem(denied, 403)
