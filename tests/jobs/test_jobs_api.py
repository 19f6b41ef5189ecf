"""Jobs over HTTP: creation rules, profile pinning, the lifecycle and its events, edits, descriptions."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs.schemas import DEFAULT_STAGES
from rolecall.platform.http import etag_for
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant, create_job, create_user, fork_profile, job_body, job_events
from tests.factories import update_job_settings as update_settings
from tests.platform.problems import assert_problem

BAND = "Unspecified (US dollar range): 100,000-160,000 USD"


# --- helpers ----------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def add_staff(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> str:
    """A staff user who never signs in (cheaper than ``create_user``); returns the id."""
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": f"staff-{uuid.uuid4().hex[:8]}@example.com",
            "full_name": "Team Member",
            "password": PASSWORD,
            "roles": list(roles),
        },
    )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def post_job(
    client: httpx.AsyncClient, tenant: Tenant, profile_id: str, **overrides: object
) -> httpx.Response:
    return await client.post("/v1/jobs", headers=tenant.headers, json=job_body(profile_id, **overrides))


async def read_job(client: httpx.AsyncClient, tenant: Tenant, job_id: str) -> httpx.Response:
    response = await client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response


async def patch_job(
    client: httpx.AsyncClient, tenant: Tenant, job_id: str, body: dict[str, Any], etag: str | None = ""
) -> httpx.Response:
    """PATCH with the job's current ETag (``etag=""``), a given one, or none at all (``None``)."""
    headers = dict(tenant.headers)
    if etag == "":
        etag = (await read_job(client, tenant, job_id)).headers["etag"]
    if etag is not None:
        headers["If-Match"] = etag
    return await client.patch(f"/v1/jobs/{job_id}", headers=headers, json=body)


async def act(
    client: httpx.AsyncClient, tenant: Tenant, job_id: str, action: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"/v1/jobs/{job_id}/{action}", headers=tenant.headers, json=body)


def problem_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


async def description(
    client: httpx.AsyncClient, tenant: Tenant, path: str, fmt: str | None = None
) -> httpx.Response:
    params = {"format": fmt} if fmt else {}
    response = await client.get(path, headers=tenant.headers, params=params)
    assert response.status_code == 200, response.text
    return response


# --- creating drafts --------------------------------------------------------------------------


async def test_create_draft_with_defaults(client: httpx.AsyncClient, tenant: Tenant) -> None:
    profile = await fork_profile(client, tenant)

    response = await post_job(client, tenant, profile["id"])

    assert response.status_code == 201, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert response.headers["etag"] == etag_for(uuid.UUID(job["id"]), 1)
    assert job["title"] == "Lead Back-End Engineer"
    assert job["status"] == "draft"
    assert job["role_profile_id"] == profile["id"]
    assert job["profile_version"] == 1
    assert job["level"] == "lead"
    assert job["openings"] == 1
    assert job["employment_type"] == "full_time"
    assert job["stages"] == [stage.model_dump() for stage in DEFAULT_STAGES]
    assert job["stages"][0] == {"name": "Applied", "type": "applied"}
    assert job["locations"] == [{"city": "Berlin", "region": None, "country": "DE"}]
    assert job["remote_countries"] == []
    assert job["hiring_team"] == []
    assert job["application_form"] == []
    assert job["salary"] == {
        "min": 110_000,
        "max": 150_000,
        "currency": "USD",
        "period": "year",
        "override_reason": None,
    }
    assert job["show_salary"] is None
    assert job["salary_visible"] is True  # the organisation default
    assert job["posting_url"] is None
    assert job["first_opened_at"] is None
    assert job["close_reason"] is None
    assert job["version"] == 1
    assert (await read_job(client, tenant, job["id"])).json() == job

    mid = (await post_job(client, tenant, profile["id"], level="mid", salary=None)).json()
    assert mid["title"] == "Mid-level Back-End Engineer"
    assert mid["salary"] is None
    assert mid["salary_visible"] is False
    named = (await post_job(client, tenant, profile["id"], title="  Staff API Engineer ", openings=3)).json()
    assert named["title"] == "Staff API Engineer"
    assert named["openings"] == 3


async def test_jobs_pin_the_profile_version(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "backend-engineer"}
    )
    profile = created.json()
    old_summary = profile["document"]["summary"]
    pinned = await create_job(client, tenant, profile["id"])
    document = {**copy.deepcopy(profile["document"]), "summary": "Version two of the summary."}
    updated = await client.put(
        f"/v1/role-profiles/{profile['id']}",
        headers={**tenant.headers, "If-Match": created.headers["etag"]},
        json={"document": document},
    )
    assert updated.status_code == 200, updated.text

    assert (await read_job(client, tenant, pinned["id"])).json()["profile_version"] == 1
    text = (await description(client, tenant, f"/v1/jobs/{pinned['id']}/description")).text
    assert old_summary.split(":")[0] in text
    assert "Version two of the summary." not in text

    latest = await create_job(client, tenant, profile["id"])
    assert latest["profile_version"] == 2
    text = (await description(client, tenant, f"/v1/jobs/{latest['id']}/description")).text
    assert "Version two of the summary." in text
    explicit = await create_job(client, tenant, profile["id"], profile_version=1)
    assert explicit["profile_version"] == 1

    missing = await post_job(client, tenant, profile["id"], profile_version=5)
    body = assert_problem(missing, 422)
    assert body["detail"] == "Role profile 'backend-engineer' has no version 5."
    unknown = await post_job(client, tenant, str(uuid.uuid4()))
    assert problem_fields(assert_problem(unknown, 422)) == ["role_profile_id"]


async def test_missing_profile_version_names_the_field(client: httpx.AsyncClient, tenant: Tenant) -> None:
    profile = await fork_profile(client, tenant)

    body = assert_problem(await post_job(client, tenant, profile["id"], profile_version=5), 422)

    assert problem_fields(body) == ["profile_version"]


async def test_level_and_places_are_checked(client: httpx.AsyncClient, tenant: Tenant) -> None:
    backend = await fork_profile(client, tenant)
    manager = await fork_profile(client, tenant, "engineering-manager")

    no_level = await post_job(client, tenant, manager["id"], level="junior")
    body = assert_problem(no_level, 422, "unprocessable")
    assert problem_fields(body) == ["level"]
    assert (
        body["detail"]
        == "Profile 'engineering-manager' has no level 'junior' (it has senior, lead, principal)."
    )

    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"work_arrangement": "onsite", "locations": []},
            "locations",
            "An onsite job needs at least one location.",
        ),
        (
            {"work_arrangement": "hybrid", "locations": []},
            "locations",
            "A hybrid job needs at least one location.",
        ),
        (
            {"work_arrangement": "remote", "locations": []},
            "remote_countries",
            "A remote job needs the countries",
        ),
        (
            {"work_arrangement": "remote", "locations": [], "remote_time_zones": ["Europe/Berlin"]},
            "remote_countries",
            "A remote job needs the countries",
        ),
        ({"remote_countries": ["DE"]}, "remote_countries", "apply to remote jobs only"),
        ({"remote_time_zones": ["UTC+1"]}, "remote_countries", "apply to remote jobs only"),
    ]
    for overrides, field, message in cases:
        body = assert_problem(
            await post_job(client, tenant, backend["id"], **overrides), 422, "unprocessable"
        )
        assert problem_fields(body) == [field], overrides
        assert message in body["detail"], (overrides, body)

    bad_zone = await post_job(
        client,
        tenant,
        backend["id"],
        work_arrangement="remote",
        remote_countries=["DE"],
        remote_time_zones=["Mars/Olympus"],
    )
    body = assert_problem(bad_zone, 422, "validation-error")
    assert problem_fields(body)[0].startswith("body.remote_time_zones")
    assert "Mars/Olympus" in body["errors"][0]["message"]
    no_country = await post_job(
        client, tenant, backend["id"], work_arrangement="remote", remote_countries=["XX"]
    )
    body = assert_problem(no_country, 422, "validation-error")
    assert problem_fields(body) == ["body.remote_countries.0"]
    assert "'XX' is not an ISO 3166-1 alpha-2 country code" in body["errors"][0]["message"]

    remote = await post_job(
        client,
        tenant,
        backend["id"],
        work_arrangement="remote",
        locations=[],
        remote_countries=["DE", "pl"],
        remote_time_zones=["Europe/Berlin", "UTC+02:00"],
    )
    assert remote.status_code == 201, remote.text
    assert remote.json()["remote_countries"] == ["DE", "PL"]  # normalised
    assert remote.json()["remote_time_zones"] == ["Europe/Berlin", "UTC+2"]
    office_only = await post_job(client, tenant, backend["id"], work_arrangement="remote")
    assert office_only.status_code == 201, office_only.text
    assert office_only.json()["locations"][0]["city"] == "Berlin"

    jobs = (await client.get("/v1/jobs", headers=tenant.headers)).json()["items"]
    assert len(jobs) == 2


async def test_salary_must_fit_the_band_or_give_a_reason(client: httpx.AsyncClient, tenant: Tenant) -> None:
    profile = await fork_profile(client, tenant)

    inverted = await post_job(
        client, tenant, profile["id"], salary={"min": 150_000, "max": 110_000, "currency": "USD"}
    )
    body = assert_problem(inverted, 422, "validation-error")
    assert problem_fields(body) == ["body.salary"]
    assert "salary min (150000) must not exceed max (110000)" in body["errors"][0]["message"]

    for salary in (
        {"min": 90_000, "max": 150_000, "currency": "USD"},
        {"min": 110_000, "max": 170_000, "currency": "USD"},
        {"min": 100, "max": 200, "currency": "USD", "period": "hour"},  # 208,000-416,000 a year
    ):
        body = assert_problem(
            await post_job(client, tenant, profile["id"], salary=salary), 422, "unprocessable"
        )
        assert problem_fields(body) == ["salary"]
        assert f"outside the lead band(s) of the profile ({BAND})" in body["detail"], body

    override = await post_job(
        client,
        tenant,
        profile["id"],
        salary={
            "min": 90_000,
            "max": 150_000,
            "currency": "USD",
            "override_reason": "  Hard-to-fill niche  ",
        },
    )
    assert override.status_code == 201, override.text
    assert override.json()["salary"]["override_reason"] == "Hard-to-fill niche"

    monthly = await post_job(
        client,
        tenant,
        profile["id"],
        salary={"min": 9_000, "max": 12_000, "currency": "USD", "period": "month"},
    )
    assert monthly.status_code == 201, monthly.text  # 108,000-144,000 a year: inside the band
    no_band = await post_job(
        client, tenant, profile["id"], salary={"min": 10, "max": 5_000_000, "currency": "EUR"}
    )
    assert no_band.status_code == 201, no_band.text
    assert no_band.json()["salary"]["currency"] == "EUR"
    # Levels without a band are not checked either.
    senior = await post_job(
        client, tenant, profile["id"], level="senior", salary={"min": 1, "max": 2, "currency": "USD"}
    )
    assert senior.status_code == 201, senior.text


async def test_hiring_team_members_must_be_active_staff_with_fitting_roles(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    profile = await fork_profile(client, tenant)
    recruiter_id = await add_staff(client, tenant, "recruiter")
    interviewer_id = await add_staff(client, tenant, "interviewer")
    leaver_id = await add_staff(client, tenant, "recruiter")
    stranger_id = str(other_tenant.admin_id)
    read = await client.get(f"/v1/users/{leaver_id}", headers=tenant.headers)
    deactivated = await client.patch(
        f"/v1/users/{leaver_id}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"is_active": False},
    )
    assert deactivated.status_code == 200, deactivated.text

    cases: list[tuple[list[dict[str, str]], str, str]] = [
        (
            [{"user_id": str(uuid.uuid4()), "role": "recruiter"}],
            "hiring_team.0",
            "No staff user with this id",
        ),
        ([{"user_id": stranger_id, "role": "recruiter"}], "hiring_team.0", "No staff user with this id"),
        ([{"user_id": leaver_id, "role": "recruiter"}], "hiring_team.0", "This user is deactivated."),
        (
            [{"user_id": interviewer_id, "role": "hiring_manager"}],
            "hiring_team.0",
            "do not allow hiring_manager",
        ),
        (
            [
                {"user_id": recruiter_id, "role": "recruiter"},
                {"user_id": interviewer_id, "role": "coordinator"},
            ],
            "hiring_team.1",
            "do not allow coordinator",
        ),
        (
            [{"user_id": recruiter_id, "role": "recruiter"}, {"user_id": recruiter_id, "role": "recruiter"}],
            "hiring_team.1",
            "listed twice",
        ),
    ]
    for team, field, message in cases:
        body = assert_problem(
            await post_job(client, tenant, profile["id"], hiring_team=team), 422, "unprocessable"
        )
        assert problem_fields(body) == [field], team
        assert message in body["detail"], (team, body)
    bad_role = await post_job(
        client, tenant, profile["id"], hiring_team=[{"user_id": recruiter_id, "role": "boss"}]
    )
    assert problem_fields(assert_problem(bad_role, 422)) == ["body.hiring_team.0.role"]
    assert (await client.get("/v1/jobs", headers=tenant.headers)).json()["items"] == []

    team = [
        {"user_id": recruiter_id, "role": "recruiter"},
        {"user_id": interviewer_id, "role": "interviewer"},
        {"user_id": str(tenant.admin_id), "role": "hiring_manager"},
        {"user_id": recruiter_id, "role": "interviewer"},
    ]
    valid = await post_job(client, tenant, profile["id"], hiring_team=team)
    assert valid.status_code == 201, valid.text
    assert valid.json()["hiring_team"] == team


async def test_application_form_and_stages_are_validated(client: httpx.AsyncClient, tenant: Tenant) -> None:
    profile = await fork_profile(client, tenant)
    text = {"key": "portfolio", "label": "Portfolio link", "type": "short_text"}
    choice = {
        "key": "visa",
        "label": "Do you need a visa?",
        "type": "single_choice",
        "options": ["Yes", "No"],
    }

    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"application_form": [text, {**choice, "key": "portfolio"}]},
            "body.application_form",
            "duplicate question keys: ['portfolio']",
        ),
        (
            {"application_form": [{**choice, "options": []}]},
            "body.application_form.0",
            "needs at least two options",
        ),
        (
            {"application_form": [{**choice, "options": ["Yes", "Yes"]}]},
            "body.application_form.0",
            "options must be unique",
        ),
        (
            {"application_form": [{**text, "options": ["a", "b"]}]},
            "body.application_form.0",
            "only choice questions have options",
        ),
        (
            {"application_form": [{**text, "key": "Bad Key"}]},
            "body.application_form.0.key",
            "String should match pattern",
        ),
        (
            {
                "stages": [
                    {"name": "Screen", "type": "screen"},
                    {"name": "Hired", "type": "hired"},
                    {"name": "No", "type": "rejected"},
                ]
            },
            "body.stages",
            "the first stage must be of type 'applied'",
        ),
        (
            {"stages": [{"name": "Applied", "type": "applied"}, {"name": "Hired", "type": "hired"}]},
            "body.stages",
            "stages need a stage of type ['rejected']",
        ),
        (
            {"stages": [{"name": "Applied", "type": "applied"}]},
            "body.stages",
            "stages need a stage of type ['hired', 'rejected']",
        ),
        ({"stages": []}, "body.stages", "the first stage must be of type 'applied'"),
    ]
    for overrides, field, message in cases:
        body = assert_problem(
            await post_job(client, tenant, profile["id"], **overrides), 422, "validation-error"
        )
        assert problem_fields(body) == [field], overrides
        assert message in body["errors"][0]["message"], (overrides, body)
    assert (await client.get("/v1/jobs", headers=tenant.headers)).json()["items"] == []

    stages = [
        {"name": "Applied", "type": "applied"},
        {"name": "Chat", "type": "interview"},
        {"name": "Hired", "type": "hired"},
        {"name": "Rejected", "type": "rejected"},
    ]
    valid = await post_job(client, tenant, profile["id"], application_form=[text, choice], stages=stages)
    assert valid.status_code == 201, valid.text
    assert valid.json()["stages"] == stages
    assert [q["key"] for q in valid.json()["application_form"]] == ["portfolio", "visa"]
    assert valid.json()["application_form"][1]["options"] == ["Yes", "No"]


# --- lifecycle --------------------------------------------------------------------------------


async def test_lifecycle_with_one_event_per_step(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    recruiter_id = await add_staff(client, tenant, "recruiter")
    job = await create_job(client, tenant, hiring_team=[{"user_id": recruiter_id, "role": "recruiter"}])
    job_id = job["id"]

    opened = await act(client, tenant, job_id, "open")
    assert opened.status_code == 200, opened.text
    first = opened.json()
    assert first["status"] == "open"
    assert first["version"] == 2
    assert first["posting_url"] == f"/v1/board/postings/{job_id}"
    assert first["first_opened_at"] is not None
    assert first["first_opened_at"] == first["opened_at"]
    assert opened.headers["etag"] == etag_for(uuid.UUID(job_id), 2)

    paused = (await act(client, tenant, job_id, "pause")).json()
    assert paused["status"] == "paused"
    assert paused["posting_url"] is None

    reopened = (await act(client, tenant, job_id, "open")).json()
    assert reopened["status"] == "open"
    assert reopened["first_opened_at"] == first["first_opened_at"]
    assert reopened["opened_at"] >= first["opened_at"]

    closed = await act(client, tenant, job_id, "close", {"reason": "filled", "note": "  Hired internally  "})
    assert closed.status_code == 200, closed.text
    final = closed.json()
    assert final["status"] == "closed"
    assert final["close_reason"] == "filled"
    assert final["close_note"] == "Hired internally"
    assert final["closed_at"] is not None
    assert final["version"] == 5
    assert final["posting_url"] is None
    assert (await read_job(client, tenant, job_id)).json() == final

    events = await job_events(sessionmaker, job_id)
    assert [e.type for e in events] == ["job.created", "job.opened", "job.paused", "job.opened", "job.closed"]
    assert [e.data["job"]["status"] for e in events] == ["draft", "open", "paused", "open", "closed"]
    assert [e.data["action"] for e in events] == ["created", "opened", "paused", "opened", "closed"]
    assert [e.data["job"]["version"] for e in events] == [1, 2, 3, 4, 5]
    assert {e.source for e in events} == {"/rolecall/jobs"}
    assert {e.organisation_id for e in events} == {tenant.organisation_id}
    assert [e.data["posting"] is not None for e in events] == [False, True, False, True, False]
    posting = events[1].data["posting"]
    assert posting["id"] == job_id
    assert posting["title"] == "Lead Back-End Engineer"
    assert posting["salary"] == {"min": 110_000, "max": 150_000, "currency": "USD", "period": "year"}
    assert posting["organisation"]["name"] == "Tenant A"
    assert "hiring_team" not in posting
    assert recruiter_id not in json.dumps(posting)
    assert events[4].data["job"]["close_reason"] == "filled"

    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"action": "job.opened"})
    assert [(e["target_id"], e["details"]) for e in audit.json()["items"]] == [
        (job_id, {"status": "open"})
    ] * 2


async def test_illegal_transitions_and_closing_without_a_reason_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    draft = await create_job(client, tenant)
    closed = await create_job(client, tenant, draft["role_profile_id"])
    assert (await act(client, tenant, closed["id"], "close", {"reason": "cancelled"})).status_code == 200

    for job, action, body, message in (
        (draft, "pause", None, "A draft job cannot be paused; allowed from: open."),
        (closed, "open", None, "A closed job cannot be opened; allowed from: draft, paused."),
        (closed, "pause", None, "A closed job cannot be paused; allowed from: open."),
        (
            closed,
            "close",
            {"reason": "filled"},
            "A closed job cannot be closed; allowed from: draft, open, paused.",
        ),
    ):
        before = await read_job(client, tenant, job["id"])
        events_before = len(await job_events(sessionmaker, job["id"]))
        response = await act(client, tenant, job["id"], action, body)
        assert assert_problem(response, 409, "conflict")["detail"] == message
        after = await read_job(client, tenant, job["id"])
        assert after.json() == before.json()
        assert after.headers["etag"] == before.headers["etag"]
        assert len(await job_events(sessionmaker, job["id"])) == events_before
    assert (await read_job(client, tenant, closed["id"])).json()["close_reason"] == "cancelled"

    # Closing needs a reason.
    job = await create_job(client, tenant, draft["role_profile_id"])

    reasons: list[dict[str, Any]] = [{}, {"reason": "bored"}, {"reason": None}]
    for reason in reasons:
        response = await act(client, tenant, job["id"], "close", reason)
        assert problem_fields(assert_problem(response, 422, "validation-error")) == ["body.reason"], reason
    no_body = await client.post(f"/v1/jobs/{job['id']}/close", headers=tenant.headers)
    assert assert_problem(no_body, 422)["errors"][0]["field"] == "body"
    assert (await read_job(client, tenant, job["id"])).json()["status"] == "draft"


async def test_valid_through_in_the_past_blocks_opening(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    expiry = clock.now + timedelta(minutes=5)
    job = await create_job(client, tenant, valid_through=expiry.isoformat())
    clock.advance(minutes=6)

    response = await act(client, tenant, job["id"], "open")

    body = assert_problem(response, 422, "unprocessable")
    assert problem_fields(body) == ["valid_through"]
    assert (await read_job(client, tenant, job["id"])).json()["status"] == "draft"
    later = (clock.now + timedelta(days=30)).isoformat()
    assert (await patch_job(client, tenant, job["id"], {"valid_through": later})).status_code == 200
    opened = await act(client, tenant, job["id"], "open")
    assert opened.status_code == 200, opened.text
    assert opened.json()["first_opened_at"].startswith(clock.now.isoformat()[:19])

    naive = await post_job(client, tenant, job["role_profile_id"], valid_through="2030-01-01T00:00:00")
    assert problem_fields(assert_problem(naive, 422)) == ["body.valid_through"]


# --- editing ----------------------------------------------------------------------------------


async def test_patch_rules_and_preconditions(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await create_job(client, tenant, title="Custom title")
    job_id = job["id"]

    body = assert_problem(await patch_job(client, tenant, job_id, {"salary": None}), 422, "unprocessable")
    assert problem_fields(body) == ["salary"]
    assert body["detail"] == "Send clear_salary: true to remove the salary range."
    body = assert_problem(await patch_job(client, tenant, job_id, {"openings": None}), 422, "unprocessable")
    assert problem_fields(body) == ["openings"]
    outside = await patch_job(
        client, tenant, job_id, {"salary": {"min": 50_000, "max": 60_000, "currency": "USD"}}
    )
    assert BAND in assert_problem(outside, 422)["detail"]
    assert (await read_job(client, tenant, job_id)).json()["version"] == 1

    cleared = await patch_job(client, tenant, job_id, {"salary": None, "clear_salary": True, "title": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["salary"] is None
    assert cleared.json()["salary_visible"] is False
    assert cleared.json()["title"] == "Lead Back-End Engineer"  # null restores the default title

    remote = await patch_job(
        client,
        tenant,
        job_id,
        {
            "work_arrangement": "remote",
            "locations": [],
            "remote_countries": ["DE", "FR"],
            "remote_time_zones": ["UTC+1"],
        },
    )
    assert remote.status_code == 200, remote.text
    assert remote.json()["remote_countries"] == ["DE", "FR"]
    needs_office = await patch_job(client, tenant, job_id, {"work_arrangement": "hybrid"})
    assert problem_fields(assert_problem(needs_office, 422)) == ["locations"]
    hybrid = await patch_job(
        client,
        tenant,
        job_id,
        {"work_arrangement": "hybrid", "locations": [{"city": "Lyon", "country": "FR"}]},
    )
    assert hybrid.status_code == 200, hybrid.text
    assert hybrid.json()["work_arrangement"] == "hybrid"
    assert hybrid.json()["remote_countries"] == []
    assert hybrid.json()["remote_time_zones"] == []
    assert hybrid.json()["locations"] == [{"city": "Lyon", "region": None, "country": "FR"}]
    still_remote_only = await patch_job(client, tenant, job_id, {"remote_countries": ["DE"]})
    assert problem_fields(assert_problem(still_remote_only, 422)) == ["remote_countries"]
    fixed = await patch_job(client, tenant, job_id, {"level": "senior"})
    assert problem_fields(assert_problem(fixed, 422, "validation-error")) == ["body.level"]

    events = await job_events(sessionmaker, job_id)
    assert [e.type for e in events] == ["job.created", "job.updated", "job.updated", "job.updated"]
    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"action": "job.updated"})
    assert [e["details"]["changed_fields"] for e in audit.json()["items"]] == [
        ["salary", "title"],
        ["locations", "remote_countries", "remote_time_zones", "work_arrangement"],
        ["locations", "work_arrangement"],
    ]

    # If-Match, and closed jobs are final.
    created = await client.post("/v1/jobs", headers=tenant.headers, json=job_body(job["role_profile_id"]))
    job_id, stale = created.json()["id"], created.headers["etag"]

    assert_problem(
        await patch_job(client, tenant, job_id, {"openings": 2}, None), 428, "precondition-required"
    )
    ok = await patch_job(client, tenant, job_id, {"openings": 2}, stale)
    assert ok.status_code == 200, ok.text
    assert ok.json()["openings"] == 2
    assert ok.json()["version"] == 2
    assert ok.headers["etag"] == etag_for(uuid.UUID(job_id), 2)
    refused = await patch_job(client, tenant, job_id, {"openings": 3}, stale)
    assert_problem(refused, 412, "precondition-failed")
    assert (await read_job(client, tenant, job_id)).json()["openings"] == 2

    assert (await act(client, tenant, job_id, "close", {"reason": "duplicate"})).status_code == 200
    closed = await patch_job(client, tenant, job_id, {"openings": 4})
    assert assert_problem(closed, 409, "conflict")["detail"].startswith("A closed job cannot be edited")
    assert (await read_job(client, tenant, job_id)).json()["openings"] == 2


async def test_open_job_events_carry_a_public_posting(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    recruiter_id = await add_staff(client, tenant, "recruiter")
    job = await create_job(
        client,
        tenant,
        show_salary=False,
        salary={"min": 90_000, "max": 150_000, "currency": "USD", "override_reason": "Secret reason"},
        hiring_team=[{"user_id": recruiter_id, "role": "recruiter"}],
    )
    assert job["salary_visible"] is False
    assert (await act(client, tenant, job["id"], "open")).status_code == 200
    assert (await patch_job(client, tenant, job["id"], {"openings": 2})).status_code == 200

    events = await job_events(sessionmaker, job["id"])
    assert [e.type for e in events] == ["job.created", "job.opened", "job.updated"]
    for event in events[1:]:
        assert event.data["job"]["status"] == "open"
        posting = event.data["posting"]
        assert posting["salary"] is None
        text = json.dumps(posting)
        for secret in ("90,000", "90000", "150,000", "150000", "Secret reason", recruiter_id, "hiring_team"):
            assert secret not in text, secret
        assert "baseSalary" not in posting["json_ld"]
    assert events[2].data["job"]["openings"] == 2

    shown = await patch_job(client, tenant, job["id"], {"show_salary": True})
    assert shown.json()["salary_visible"] is True
    posting = (await job_events(sessionmaker, job["id"]))[-1].data["posting"]
    assert posting["salary"] == {"min": 90_000, "max": 150_000, "currency": "USD", "period": "year"}
    assert "Secret reason" not in json.dumps(posting)
    assert posting["json_ld"]["baseSalary"]["currency"] == "USD"


# --- descriptions -----------------------------------------------------------------------------


async def test_job_description_formats(client: httpx.AsyncClient, tenant: Tenant) -> None:
    job = await create_job(client, tenant)
    path = f"/v1/jobs/{job['id']}/description"

    markdown = await description(client, tenant, path)
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text.startswith("# Lead Back-End Engineer")
    assert "USD 110,000 \N{EN DASH} 150,000 per year" in markdown.text
    assert (await description(client, tenant, path, "markdown")).text == markdown.text

    page = await description(client, tenant, path, "html")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="application/ld+json">' in page.text
    jsonld = json.loads(page.text.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0])
    assert jsonld["@type"] == "JobPosting"
    assert jsonld["title"] == "Lead Back-End Engineer"
    assert jsonld["hiringOrganization"]["name"] == "Tenant A"

    data = (await description(client, tenant, path, "json")).json()
    assert data["title"] == "Lead Back-End Engineer"
    keys = [section["key"] for section in data["sections"]]
    assert keys[:4] == ["about_role", "responsibilities", "requirements", "skills"]
    assert "location" in keys
    location = next(s for s in data["sections"] if s["key"] == "location")
    assert location["work_arrangement"] == "hybrid"
    assert location["locations"][0]["city"] == "Berlin"
    compensation = next(s for s in data["sections"] if s["key"] == "compensation")
    assert compensation["salary"]["min"] == 110_000

    body = assert_problem(await client.get(path, headers=tenant.headers, params={"format": "pdf"}), 422)
    assert problem_fields(body) == ["query.format"]
    assert_problem(await client.get(f"/v1/jobs/{uuid.uuid4()}/description", headers=tenant.headers), 404)


async def test_salary_visibility_in_descriptions(client: httpx.AsyncClient, tenant: Tenant) -> None:
    profile = await fork_profile(client, tenant)
    default = await create_job(client, tenant, profile["id"])
    hidden = await create_job(client, tenant, profile["id"], show_salary=False)
    shown = await create_job(client, tenant, profile["id"], show_salary=True)

    async def salary_shown(job: dict[str, Any]) -> bool:
        text = (await description(client, tenant, f"/v1/jobs/{job['id']}/description")).text
        data = (await description(client, tenant, f"/v1/jobs/{job['id']}/description", "json")).json()
        page = (await description(client, tenant, f"/v1/jobs/{job['id']}/description", "html")).text
        in_json = any((s.get("salary") or None) is not None for s in data["sections"])
        visible = "110,000" in text
        assert visible == in_json == ("110,000" in page) == ("baseSalary" in page)
        return visible

    assert [await salary_shown(j) for j in (default, hidden, shown)] == [True, False, True]

    await update_settings(client, tenant, show_salary=False)

    assert [await salary_shown(j) for j in (default, hidden, shown)] == [False, False, True]
    listed = {
        j["id"]: j["salary_visible"]
        for j in (await client.get("/v1/jobs", headers=tenant.headers)).json()["items"]
    }
    assert listed == {default["id"]: False, hidden["id"]: False, shown["id"]: True}


async def test_profile_and_library_descriptions(client: httpx.AsyncClient, tenant: Tenant) -> None:
    profile = await fork_profile(
        client, tenant, "backend-engineer", slug="core-engineer", title="Core Engineer"
    )

    org_path = f"/v1/role-profiles/{profile['id']}/levels/senior/description"
    markdown = await description(client, tenant, org_path)
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text.startswith("# Senior Core Engineer")
    data = (await description(client, tenant, org_path, "json")).json()
    keys = [section["key"] for section in data["sections"]]
    assert "location" not in keys
    assert "about_role" in keys
    assert data["company"]["name"] == "Tenant A"
    page = await description(client, tenant, org_path, "html")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "application/ld+json" in page.text

    library_path = "/v1/role-library/backend-engineer/levels/mid/description"
    data = (await description(client, tenant, library_path, "json")).json()
    assert data["title"] == "Mid-level Back-End Engineer"
    assert "location" not in [section["key"] for section in data["sections"]]
    assert "compensation" not in [section["key"] for section in data["sections"]]
    assert data["company"]["name"] == "Your company"

    manager = "/v1/role-library/engineering-manager/levels/junior/description"
    assert_problem(await client.get(manager, headers=tenant.headers), 404)
    assert_problem(
        await client.get(
            f"/v1/role-profiles/{profile['id']}/levels/wizard/description", headers=tenant.headers
        ),
        422,
    )
    assert_problem(
        await client.get(f"/v1/role-profiles/{uuid.uuid4()}/levels/mid/description", headers=tenant.headers),
        404,
    )
    assert_problem(await client.get(library_path, headers=tenant.headers, params={"format": "docx"}), 422)


# --- reading, listing and permissions ---------------------------------------------------------


async def test_interviewers_read_jobs_but_cannot_change_them(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    _, token = await create_user(client, tenant, "interviewer")
    headers = bearer(token)

    read = await client.get(f"/v1/jobs/{job['id']}", headers=headers)
    assert read.status_code == 200, read.text
    assert read.json() == job
    assert [j["id"] for j in (await client.get("/v1/jobs", headers=headers)).json()["items"]] == [job["id"]]
    assert (await client.get(f"/v1/jobs/{job['id']}/description", headers=headers)).status_code == 200

    created = await client.post("/v1/jobs", headers=headers, json=job_body(job["role_profile_id"]))
    assert "jobs:write" in assert_problem(created, 403, "forbidden")["detail"]
    assert_problem(await client.post(f"/v1/jobs/{job['id']}/open", headers=headers), 403, "forbidden")
    patched = await client.patch(
        f"/v1/jobs/{job['id']}", headers={**headers, "If-Match": read.headers["etag"]}, json={"openings": 9}
    )
    assert_problem(patched, 403, "forbidden")
    assert (await read_job(client, tenant, job["id"])).json() == job

    # Another organisation sees nothing and can build nothing on this organisation's profile.
    assert_problem(await client.get(f"/v1/jobs/{job['id']}", headers=other_tenant.headers), 404)
    assert (await client.get("/v1/jobs", headers=other_tenant.headers)).json()["items"] == []
    foreign = await client.post(
        "/v1/jobs", headers=other_tenant.headers, json=job_body(job["role_profile_id"])
    )
    assert problem_fields(assert_problem(foreign, 422)) == ["role_profile_id"]


async def test_list_filters_by_status_and_pages(client: httpx.AsyncClient, tenant: Tenant) -> None:
    profile = await fork_profile(client, tenant)
    jobs = [await create_job(client, tenant, profile["id"]) for _ in range(4)]
    for job in jobs[1:]:
        assert (await act(client, tenant, job["id"], "open")).status_code == 200
    assert (await act(client, tenant, jobs[3]["id"], "pause")).status_code == 200

    async def listed(**params: str) -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:
            query: dict[str, str | int] = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
            response = await client.get("/v1/jobs", headers=tenant.headers, params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= 1
            ids.extend(item["id"] for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return ids

    assert await listed() == [job["id"] for job in jobs]
    assert await listed(status="open") == [jobs[1]["id"], jobs[2]["id"]]
    assert await listed(status="draft") == [jobs[0]["id"]]
    assert await listed(status="paused") == [jobs[3]["id"]]
    assert await listed(status="closed") == []
    page = (
        await client.get("/v1/jobs", headers=tenant.headers, params={"status": "open", "limit": 1})
    ).json()
    assert page["items"][0]["status"] == "open"
    assert page["next_cursor"] is not None
    bad = await client.get("/v1/jobs", headers=tenant.headers, params={"status": "archived"})
    # status is repeatable (tests/jobs/test_list_filters.py): the field names the refused value's place.
    assert problem_fields(assert_problem(bad, 422)) == ["query.status.0"]


# --- places and dates that would not render are refused when saved ---------------------------


async def test_duplicate_places_are_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # The renderer (description.JobDetails) rejects duplicates; a job that saves must render.
    profile = await fork_profile(client, tenant)
    berlin = {"city": "Berlin", "country": "DE"}
    remote: dict[str, Any] = {"work_arrangement": "remote", "locations": []}

    for overrides, field in (
        ({**remote, "remote_countries": ["DE", "de"]}, "body.remote_countries"),
        (
            {**remote, "remote_countries": ["DE"], "remote_time_zones": ["UTC+1", "UTC+1"]},
            "body.remote_time_zones",
        ),
        ({"locations": [berlin, {**berlin, "city": "berlin"}]}, "body.locations"),
    ):
        response = await post_job(client, tenant, profile["id"], **overrides)
        body = assert_problem(response, 422, "validation-error")
        assert problem_fields(body) == [field], (overrides, body)
        assert "listed twice" in body["errors"][0]["message"]
    assert (await client.get("/v1/jobs", headers=tenant.headers)).json()["items"] == []


async def test_valid_through_must_be_in_the_future(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # A past date would also break the description (valid_through must follow date_posted).
    profile = await fork_profile(client, tenant)

    past = await post_job(client, tenant, profile["id"], valid_through="2020-01-01T00:00:00Z")
    assert problem_fields(assert_problem(past, 422, "unprocessable")) == ["valid_through"]

    job = await create_job(client, tenant, profile["id"])
    assert (await act(client, tenant, job["id"], "open")).status_code == 200
    before = await read_job(client, tenant, job["id"])
    response = await patch_job(client, tenant, job["id"], {"valid_through": "2020-01-01T00:00:00Z"})
    assert problem_fields(assert_problem(response, 422, "unprocessable")) == ["valid_through"]
    assert (await read_job(client, tenant, job["id"])).json() == before.json()
    assert (await client.get(f"/v1/jobs/{job['id']}/description", headers=tenant.headers)).status_code == 200


# --- bugs: jobs the API accepts but cannot describe ---------------------------------------------


async def test_default_title_of_a_long_profile_title_fits(client: httpx.AsyncClient, tenant: Tenant) -> None:
    document = (await client.get("/v1/role-library/backend-engineer", headers=tenant.headers)).json()
    document.update(id="long-title", title="T" * 120)  # the longest title a profile may have
    profile = await client.post("/v1/role-profiles", headers=tenant.headers, json={"document": document})
    assert profile.status_code == 201, profile.text

    created = await post_job(client, tenant, profile.json()["id"])

    if created.status_code == 422:
        assert problem_fields(created.json()) == ["title"]
    else:
        assert created.status_code == 201, created.text
        assert len(created.json()["title"]) <= 200
        response = await client.get(f"/v1/jobs/{created.json()['id']}/description", headers=tenant.headers)
        assert response.status_code == 200, response.text


async def test_profile_description_with_a_long_job_family(client: httpx.AsyncClient, tenant: Tenant) -> None:
    document = (await client.get("/v1/role-library/backend-engineer", headers=tenant.headers)).json()
    document.update(id="long-family", job_family=["F" * 300])
    profile = await client.post("/v1/role-profiles", headers=tenant.headers, json={"document": document})

    if profile.status_code == 422:
        assert profile.json()["errors"][0]["field"].startswith("document.job_family")
    else:
        assert profile.status_code == 201, profile.text
        path = f"/v1/role-profiles/{profile.json()['id']}/levels/mid/description"
        response = await client.get(path, headers=tenant.headers)
        assert response.status_code == 200, response.text
