"""Applying from the careers board, and the candidate's status link."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.models import Candidate, CandidateFile
from rolecall.pipeline.models import Application
from rolecall.platform.db import transaction
from rolecall.platform.ratelimit import SlidingWindowLimiter
from rolecall.platform.tenancy import all_tenants
from tests.candidates.test_resumes import make_pdf
from tests.conftest import FrozenClock
from tests.factories import Tenant, apply, apply_form, open_job
from tests.mail import STATUS_LINK, send_mail, status_token, text_of
from tests.platform.problems import assert_problem

FORM = [
    {
        "key": "notice",
        "label": "Notice period (weeks)",
        "type": "number",
        "required": True,
        "min_value": 0,
        "max_value": 26,
    },
    {"key": "visa", "label": "Do you need a visa?", "type": "yes_no", "required": True},
    {
        "key": "stack",
        "label": "Favourite stack",
        "type": "single_choice",
        "options": ["Python", "Go", "Rust"],
    },
    {"key": "langs", "label": "Languages", "type": "multi_choice", "options": ["English", "German"]},
    {"key": "why", "label": "Why us?", "type": "long_text", "max_length": 50},
    {"key": "portfolio", "label": "Portfolio", "type": "file"},
]
GOOD = {"notice": 4, "visa": False, "stack": "Python", "langs": ["English"], "why": "Robots."}
RECEIVED = {
    "status": "received",
    "message": "Thank you, your application was received. We have e-mailed you a link to follow or "
    "withdraw it; keep that e-mail.",
}
RESUME = make_pdf([["Lead back-end engineer, 9 years", "Python, PostgreSQL, Kubernetes, RabbitMQ, Docker"]])


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with transaction(sessionmaker) as session:
        stmt = select(func.count()).select_from(model).execution_options(**all_tenants())
        return int((await session.execute(stmt)).scalar_one())


async def post(client: httpx.AsyncClient, posting_id: str, **kwargs: Any) -> httpx.Response:
    return await client.post(f"/v1/board/postings/{posting_id}/applications", **apply_form(**kwargs))


async def test_applying_creates_candidate_application_resume_and_match(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant, application_form=FORM)
    form = await client.get(f"/v1/board/postings/{job['id']}/application-form")
    assert form.status_code == 200
    assert [q["key"] for q in form.json()["questions"]] == [q["key"] for q in FORM]
    version = form.json()["consent_version"]

    result = await apply(
        client,
        job["id"],
        consent_version=version,
        answers=GOOD,
        years_experience=9,
        resume=RESUME,
        files={"portfolio": b"My portfolio: robots that sort parcels.\n"},
        tracking={"utm_source": "newsletter"},
    )
    assert result["status"] == "received"  # the link came by e-mail (tests.factories.apply)

    staff = await client.get(f"/v1/applications/{result['application_id']}", headers=tenant.headers)
    body = staff.json()
    assert (body["source"], body["source_details"]) == ("careers_board", {"utm_source": "newsletter"})
    assert body["consent"]["given"] is True
    assert body["consent"]["text_version"] == version
    assert body["answers"]["notice"] == 4
    assert set(body["answers"]["portfolio"]) == {"file_id"}
    assert body["resume_file_id"] is not None
    assert body["match_score"] > 0
    assert body["match"]["total"] == body["match_score"]
    kinds = {component["kind"] for component in body["match"]["components"]}
    assert "experience" in kinds or any("python" in json.dumps(c) for c in body["match"]["components"])
    assert await count(sessionmaker, CandidateFile) == 2

    status = await client.get(result["status_url"])
    assert status.status_code == 200
    assert status.headers["cache-control"] == "no-store"
    assert (status.json()["stage"], status.json()["status"], status.json()["can_withdraw"]) == (
        "Applied",
        "active",
        True,
    )
    assert "match_score" not in status.json()


async def test_answers_are_checked_against_the_form_and_nothing_is_saved(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant, application_form=[*FORM[:5], {**FORM[5], "required": True}])
    bad = {"notice": 30, "visa": "no", "stack": "Cobol", "langs": ["Klingon"], "why": "x" * 51, "extra": 1}
    response = await post(client, job["id"], answers=bad)
    fields = {error["field"] for error in assert_problem(response, 422)["errors"]}
    assert fields == {
        "answers.notice",
        "answers.visa",
        "answers.stack",
        "answers.langs",
        "answers.why",
        "answers.extra",
        "files.portfolio",
    }
    missing = await post(client, job["id"], answers={})
    assert {e["field"] for e in assert_problem(missing, 422)["errors"]} >= {"answers.notice", "answers.visa"}
    assert await count(sessionmaker, Candidate) == 0
    assert await count(sessionmaker, Application) == 0


async def test_consent_is_required_with_the_current_text_version(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    old = await post(client, job["id"], consent_version="2019")
    assert assert_problem(old, 422)["errors"][0]["field"] == "consent.text_version"
    refused = await client.post(
        f"/v1/board/postings/{job['id']}/applications",
        files={
            "application": (
                None,
                json.dumps(
                    {
                        "full_name": "A",
                        "email": "a@example.com",
                        "consent": {"given": False, "text_version": "rolecall-default-1"},
                    }
                ),
            )
        },
    )
    assert assert_problem(refused, 422)["errors"][0]["field"] == "consent.given"
    absent = await client.post(
        f"/v1/board/postings/{job['id']}/applications",
        files={"application": (None, json.dumps({"full_name": "A", "email": "a@example.com"}))},
    )
    assert assert_problem(absent, 422)["errors"][0]["field"] == "consent"
    not_json = await client.post(
        f"/v1/board/postings/{job['id']}/applications", files={"application": (None, "{")}
    )
    assert_problem(not_json, 422)
    not_multipart = await client.post(f"/v1/board/postings/{job['id']}/applications", json={"full_name": "A"})
    assert_problem(not_multipart, 400)


async def test_a_disguised_resume_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    exe = b"MZ\x90\x00" + b"\x00" * 200
    response = await post(client, job["id"], resume=exe)
    assert assert_problem(response, 422)["errors"][0]["field"] in ("resume", "file")
    assert await count(sessionmaker, Application) == 0
    assert await count(sessionmaker, Candidate) == 0
    files_dir = app.state.settings.file_store_path
    assert not any(p.is_file() for p in files_dir.rglob("*")) if files_dir.exists() else True


async def test_a_double_submit_creates_one_application_and_reveals_nothing(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    same = apply_form(email="twice@example.com", resume=RESUME)
    url = f"/v1/board/postings/{job['id']}/applications"
    first, second = await asyncio.gather(client.post(url, **same), client.post(url, **same))
    # Two submissions in the same instant: one wins; the other is told it was received (or, if it
    # lost the race on the unique index itself, gets a 409 to retry — which then succeeds quietly).
    assert {first.status_code, second.status_code} <= {202, 409}, (first.text, second.text)
    assert 202 in (first.status_code, second.status_code)
    assert await count(sessionmaker, Application) == 1
    assert await count(sessionmaker, Candidate) == 1
    assert await count(sessionmaker, CandidateFile) == 1  # the loser's resume did not stay behind
    files_dir = app.state.settings.file_store_path
    assert len([p for p in files_dir.rglob("*") if p.is_file()]) == 1

    # The winner's address was mailed its link (and a fresh one if the loser arrived after it).
    earlier = [STATUS_LINK.search(text_of(m)) for m in await send_mail(app)]
    earlier_tokens = [match.group(1) for match in earlier if match]
    assert 1 <= len(earlier_tokens) <= 2

    # Later, written differently: the very same answer, nothing stored — the apply form does not
    # tell anyone whether this person applied. The address on file gets a fresh link by e-mail.
    later = await client.post(url, **apply_form(email="TWICE@example.com", phone="+49 30 5550000"))
    assert (later.status_code, later.json()) == (202, RECEIVED)
    assert await count(sessionmaker, Application) == 1
    (repeat,) = await send_mail(app)
    assert repeat["X-Rolecall-Template"] == "application_repeat"
    token = status_token([repeat], "twice@example.com")
    assert (await client.get(f"/v1/application-status/{token}")).status_code == 200
    for replaced in earlier_tokens:
        assert_problem(await client.get(f"/v1/application-status/{replaced}"), 404)
    # ...and anonymous input added nothing to the person on file (no phone slipped in).
    (person,) = (await client.get("/v1/candidates", headers=tenant.headers)).json()["items"]
    detail = (await client.get(f"/v1/candidates/{person['id']}", headers=tenant.headers)).json()
    assert detail["phone"] is None


async def test_a_refused_file_leaves_no_stored_bytes_behind(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant, application_form=FORM)
    exe = b"MZ\x90\x00" + b"\x00" * 200
    response = await post(client, job["id"], answers=GOOD, resume=RESUME, files={"portfolio": exe})
    assert assert_problem(response, 422)["errors"][0]["field"] == "files.portfolio"
    assert await count(sessionmaker, CandidateFile) == 0
    files_dir = app.state.settings.file_store_path
    assert not [p for p in files_dir.rglob("*") if p.is_file()], (
        "the accepted resume was stored, then removed"
    )


async def test_one_person_applying_to_two_jobs_is_one_candidate(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    other = await open_job(client, app, tenant, job["role_profile_id"])
    first = await apply(client, job["id"], email="one@example.com")
    second = await apply(client, other["id"], email="one@example.com", phone="+49 30 1234567")
    a = (await client.get(f"/v1/applications/{first['application_id']}", headers=tenant.headers)).json()
    b = (await client.get(f"/v1/applications/{second['application_id']}", headers=tenant.headers)).json()
    assert a["candidate_id"] == b["candidate_id"]


async def test_the_honeypot_answers_like_a_success_and_stores_nothing(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    form = apply_form()
    form["files"].append(("website", (None, "http://spam.example", "text/plain")))
    response = await client.post(f"/v1/board/postings/{job['id']}/applications", **form)
    assert (response.status_code, response.json()) == (202, RECEIVED)
    assert await count(sessionmaker, Application) == 0
    assert await count(sessionmaker, Candidate) == 0
    assert await send_mail(app) == []  # and nothing is sent


async def test_an_invalid_application_is_refused_even_with_the_honeypot_filled(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Found by schemathesis: the trap answered 202 to a body the document says is invalid.
    job = await open_job(client, app, tenant)
    form = apply_form(phone={"not": "a phone"})
    form["files"].append(("website", (None, "http://spam.example", "text/plain")))
    response = await client.post(f"/v1/board/postings/{job['id']}/applications", **form)
    assert_problem(response, 422)
    assert any(error["field"] == "phone" for error in response.json()["errors"])
    assert await count(sessionmaker, Application) == 0


async def test_applications_are_rate_limited_per_client_address(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    app.state.apply_limiter = SlidingWindowLimiter(2, timedelta(hours=1))
    for _ in range(2):
        await apply(client, job["id"])
    limited = await post(client, job["id"])
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) > 0
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as elsewhere:
        assert (await post(elsewhere, job["id"])).status_code == 202


async def test_closed_and_unknown_postings_take_no_applications(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    await client.post(f"/v1/jobs/{job['id']}/close", headers=tenant.headers, json={"reason": "cancelled"})
    from tests.factories import deliver

    await deliver(app)
    assert_problem(await post(client, job["id"]), 404)
    assert_problem(await post(client, "01890000-0000-7000-8000-000000000000"), 404)


async def test_the_status_link_shows_progress_withdraws_and_expires(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    job = await open_job(client, app, tenant)
    result = await apply(client, job["id"])
    application_id = result["application_id"]
    moved = await client.post(
        f"/v1/applications/{application_id}/move", headers=tenant.headers, json={"stage": "Recruiter screen"}
    )
    assert moved.status_code == 200
    status = (await client.get(result["status_url"])).json()
    assert status["stage"] == "Recruiter screen"
    assert [s["name"] for s in status["stages"] if s["current"]] == ["Recruiter screen"]
    assert "Rejected" not in [s["name"] for s in status["stages"]]

    withdrawn = await client.post(result["status_url"] + "/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["can_withdraw"]) == ("withdrawn", False)
    history = (
        await client.get(f"/v1/applications/{application_id}/transitions", headers=tenant.headers)
    ).json()
    assert history[-1]["action"] == "withdraw"
    assert history[-1]["actor"].startswith("applicant:")
    assert_problem(await client.post(result["status_url"] + "/withdraw"), 409)

    assert_problem(await client.get("/v1/application-status/" + "x" * 43), 404)
    clock.advance(days=366)
    assert_problem(await client.get(result["status_url"]), 410, "status-link-expired")


def _received(metrics: str, outcome: str) -> float:
    prefix = f'rolecall_applications_received_total{{outcome="{outcome}"}} '
    return next(
        (float(line.removeprefix(prefix)) for line in metrics.splitlines() if line.startswith(prefix)), 0.0
    )


async def test_submissions_are_counted_by_outcome(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    before = (await client.get("/metrics")).text
    await apply(client, job["id"], email="counted@example.com")
    await post(client, job["id"], email="counted@example.com")  # a duplicate
    assert_problem(await post(client, job["id"], consent_version="old"), 422)
    after = (await client.get("/metrics")).text
    for outcome, added in (("created", 1), ("duplicate", 1), ("invalid", 1), ("honeypot", 0)):
        assert _received(after, outcome) - _received(before, outcome) == added, outcome


async def test_the_resume_states_proficiency_and_years_and_stated_years_win(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)  # back-end engineer, lead
    resume = (
        b"Back-end engineer with 10 years of experience.\n"
        b"Skills: REST (expert), Docker - basic, SQL, Kubernetes (5 years)\n"
        b"Leadership, mentoring\n"
    )

    async def match_of(**fields: Any) -> dict[str, Any]:
        applied = await apply(client, job["id"], resume=resume, **fields)
        staff = await client.get(f"/v1/applications/{applied['application_id']}", headers=tenant.headers)
        match: dict[str, Any] = staff.json()["match"]
        return match

    found = await match_of()
    assert found["evidence"]["proficiency"] == {"docker": 1, "kubernetes": 4, "rest": 5}
    assert found["evidence"]["skills"] == ["docker", "kubernetes", "leadership", "mentoring", "rest", "sql"]
    assert (found["evidence"]["years_experience"], found["evidence"]["resume_years_experience"]) == (None, 10)
    assert found["evidence"]["source"] == "resume"
    by_skill = {c["skill_id"]: c for c in found["components"] if c["skill_id"]}
    assert by_skill["leadership"]["kind"] == by_skill["mentoring"]["kind"] == "not_assessed"
    assert by_skill["leadership"]["reason"] == "Leadership is not assessed from a resume."
    assert any(c["kind"] == "proficiency_gap" and c["skill_id"] == "docker" for c in found["components"])
    [fit] = [c for c in found["components"] if c["kind"] == "experience_fit"]
    assert fit["reason"].startswith("10 years of experience (found in the resume) is within")

    stated = await match_of(years_experience=3)
    assert (stated["evidence"]["years_experience"], stated["evidence"]["resume_years_experience"]) == (3, 10)
    [fit] = [c for c in stated["components"] if c["kind"] == "experience_fit"]
    assert fit["reason"].startswith("3 years of experience is below")
    assert stated["total"] < found["total"]
