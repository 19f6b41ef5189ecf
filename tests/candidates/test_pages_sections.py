"""The sections other contexts serve on a candidate's page: scorecards under blind review, offers."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.candidates.page_support import HX, applied, candidate_with_details, staff
from tests.factories import Tenant, move_application
from tests.interviews.support import NOTES_CANARY, fill, schedule
from tests.web.support import sign_in


async def test_blind_review_holds_in_the_scorecards_section(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Interviewers cannot open candidate pages, so a hiring manager on the panel stands in for B."""
    candidate = await candidate_with_details(client, tenant)
    _job, application = await applied(client, app, tenant, candidate)
    ann, _ = await staff(client, tenant, "interviewer")
    hana, hana_email = await staff(client, tenant, "hiring_manager")
    interview = await schedule(client, tenant, application["id"], ann, hana)
    await fill(client, interview, ann, 3, "yes")
    _rita, rita_email = await staff(client, tenant, "recruiter")
    path = f"/app/candidates/{candidate['id']}/scorecards"

    await sign_in(pages, hana_email)
    before = await pages.get(path, headers=HX)
    assert before.status_code == 200
    assert "Blind review" in before.text
    assert f'href="/app/interviews/{interview["id"]}/scorecard"' in before.text
    assert NOTES_CANARY not in before.text
    assert 'class="scorecard"' not in before.text
    api = await client.get(f"/v1/interviews/{interview['id']}/scorecards", headers=hana.headers)
    assert api.status_code == 403  # the same rule as the API

    await fill(client, interview, hana, 4, "strong_yes")
    after = await pages.get(path, headers=HX)
    assert "Blind review" not in after.text
    assert after.text.count('class="scorecard"') == 2
    assert after.text.count(NOTES_CANARY) == 2
    assert "recommends <strong>Strong yes</strong>" in after.text

    pages.cookies.clear()
    await sign_in(pages, rita_email)  # not on the panel: sees submitted cards
    seen = await pages.get(path)
    assert seen.status_code == 200
    assert "<h1>The candidate's scorecards</h1>" in seen.text
    assert seen.text.count('class="scorecard"') == 2


async def test_the_offers_section_shows_status_and_current_terms(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    _job, application = await applied(client, app, tenant, candidate)
    await move_application(client, tenant, application, "Offer")
    made = await client.post(
        f"/v1/applications/{application['id']}/offers",
        headers=tenant.headers,
        json={
            "salary": 130000,
            "currency": "USD",
            "period": "year",
            "start_date": "2031-01-06",
            "terms": "Permanent",
        },
    )
    assert made.status_code == 201, made.text
    _rita, email = await staff(client, tenant, "recruiter")
    await sign_in(pages, email)

    section = await pages.get(f"/app/candidates/{candidate['id']}/offers", headers=HX)

    assert section.status_code == 200
    assert f'href="/app/offers/{made.json()["id"]}"' in section.text
    assert '<dd class="offer-status">Waiting for approval</dd>' in section.text
    assert '<dd class="offer-salary">USD 130,000 a year</dd>' in section.text
    assert "2031-01-06" in section.text
    assert "Permanent" in section.text
