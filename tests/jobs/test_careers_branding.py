"""Careers-site branding in the job settings: the accent colour and its contrast, the introduction,
republishing, and the public branding lookup the careers pages call without a principal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs import service
from rolecall.jobs.schemas import Branding
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation, current_organisation
from tests.factories import Tenant, create_job, create_tenant, job_events
from tests.platform.problems import assert_problem


async def read_settings(client: httpx.AsyncClient, tenant: Tenant) -> httpx.Response:
    response = await client.get("/v1/job-settings", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response


async def patch_settings(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> httpx.Response:
    etag = (await read_settings(client, tenant)).headers["etag"]
    return await client.patch("/v1/job-settings", headers={**tenant.headers, "If-Match": etag}, json=body)


# --- the contrast rule, without a database --------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [
        ("#ffffff", 1.0),
        ("#000000", 21.0),
        ("#767676", 4.54),  # the lightest grey that passes AA on white
        ("#777777", 4.48),
        ("#1f6feb", 4.63),
        ("#ffcc00", 1.51),
    ],
)
def test_contrast_with_white_follows_the_wcag_formula(colour: str, ratio: float) -> None:
    assert service.contrast_with_white(colour) == pytest.approx(ratio, abs=0.005)


# --- over HTTP ------------------------------------------------------------------------------------


async def test_branding_is_saved_normalised_and_read_back(client: httpx.AsyncClient, tenant: Tenant) -> None:
    intro = "We build robots for hospitals.\n\nCome and help."

    response = await patch_settings(client, tenant, {"accent_colour": " #1F6FEB ", "careers_intro": intro})

    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["accent_colour"] == "#1f6feb"
    assert saved["careers_intro"] == intro
    assert saved["version"] == 2
    assert (await read_settings(client, tenant)).json() == saved

    blank = await patch_settings(client, tenant, {"careers_intro": "  \n\t ", "accent_colour": None})
    assert blank.status_code == 200, blank.text
    assert blank.json()["careers_intro"] is None
    assert blank.json()["accent_colour"] is None

    audit = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": "job_settings.updated"}
    )
    assert [e["details"]["changed_fields"] for e in audit.json()["items"]] == [
        ["accent_colour", "careers_intro"],
        ["accent_colour", "careers_intro"],
    ]


@pytest.mark.parametrize(
    "colour", ["#fff", "1f6feb", "#1f6fe", "#1f6febff", "blue", "#gggggg", "", "rgb(0,0,0)"]
)
async def test_an_accent_colour_not_written_rrggbb_is_a_validation_error(
    client: httpx.AsyncClient, tenant: Tenant, colour: str
) -> None:
    before = (await read_settings(client, tenant)).json()

    response = await patch_settings(client, tenant, {"accent_colour": colour})

    body = assert_problem(response, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("body.accent_colour", "hex_colour")]
    assert "#RRGGBB" in body["errors"][0]["message"]
    assert (await read_settings(client, tenant)).json() == before


@pytest.mark.parametrize(
    ("colour", "shown"), [("#ffcc00", "1.51:1"), ("#777777", "4.47:1"), ("#FFFFFF", "1.00:1")]
)
async def test_an_accent_colour_white_text_cannot_be_read_on_is_refused_with_its_ratio(
    client: httpx.AsyncClient, tenant: Tenant, colour: str, shown: str
) -> None:
    before = (await read_settings(client, tenant)).json()

    response = await patch_settings(client, tenant, {"accent_colour": colour, "careers_intro": "Hello"})

    body = assert_problem(response, 422, "unprocessable")
    assert [e["field"] for e in body["errors"]] == ["accent_colour"]
    # The measured ratio is cut, never rounded up: 4.478 reads 4.47, not a passing-looking 4.48.
    assert f"{colour.lower()} has a contrast ratio of {shown} against white" in body["detail"]
    assert "at least 4.5:1" in body["detail"]
    assert (await read_settings(client, tenant)).json() == before


async def test_the_lightest_passing_grey_is_accepted(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await patch_settings(client, tenant, {"accent_colour": "#767676"})

    assert response.status_code == 200, response.text
    assert response.json()["accent_colour"] == "#767676"


async def test_careers_intro_holds_at_most_2000_characters(client: httpx.AsyncClient, tenant: Tenant) -> None:
    too_long = await patch_settings(client, tenant, {"careers_intro": "x" * 2001})
    body = assert_problem(too_long, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body.careers_intro"]

    longest = await patch_settings(client, tenant, {"careers_intro": "x" * 2000})
    assert longest.status_code == 200, longest.text
    assert longest.json()["careers_intro"] == "x" * 2000


async def test_changing_branding_republishes_open_jobs(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await create_job(client, tenant)
    opened = await client.post(f"/v1/jobs/{job['id']}/open", headers=tenant.headers)
    assert opened.json()["version"] == 2

    colour = await patch_settings(client, tenant, {"accent_colour": "#0969da"})
    intro = await patch_settings(client, tenant, {"careers_intro": "Robots, mostly."})

    assert colour.status_code == 200, colour.text
    assert intro.status_code == 200, intro.text
    events = await job_events(sessionmaker, job["id"])
    assert [e.type for e in events] == ["job.created", "job.opened", "job.updated", "job.updated"]
    assert [e.data["job"]["version"] for e in events[-2:]] == [3, 4]
    assert all(e.data["posting"] is not None for e in events[-2:])


# --- the public lookup ----------------------------------------------------------------------------


async def test_board_branding_needs_no_principal_and_reads_one_organisation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await patch_settings(
        client,
        tenant,
        {
            "accent_colour": "#1F6FEB",
            "careers_intro": "Come build robots.",
            "logo_url": "https://tenant-a.example/logo.png",
            "website": "https://tenant-a.example",
            "board_slug": "tenant-a-careers",
        },
    )
    await patch_settings(client, other_tenant, {"accent_colour": "#000000"})
    expected = Branding(
        organisation_id=tenant.organisation_id,
        name="Tenant A",
        board_slug="tenant-a-careers",
        website="https://tenant-a.example/",
        logo_url="https://tenant-a.example/logo.png",
        accent_colour="#1f6feb",
        careers_intro="Come build robots.",
    )

    async with transaction(sessionmaker) as session:  # a public page: no organisation bound
        assert current_organisation(session) is None
        assert await service.board_branding(session, tenant.organisation_id) == expected
        assert await service.board_branding_by_slug(session, "tenant-a-careers") == expected
        assert await service.board_branding_by_slug(session, "tenant-a") is None
        assert current_organisation(session) is None

    async with transaction(sessionmaker) as session:  # bound to someone else: still the asked-for one
        bind_organisation(session, other_tenant.organisation_id)
        assert await service.board_branding(session, tenant.organisation_id) == expected
        other = await service.board_branding(session, other_tenant.organisation_id)
        assert other is not None
        assert (other.name, other.board_slug, other.accent_colour) == ("Tenant B", "tenant-b", "#000000")
        assert current_organisation(session) == other_tenant.organisation_id


async def test_board_branding_of_an_organisation_without_settings_is_none(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    fresh = await create_tenant(client, sessionmaker, "No Board Yet")

    async with transaction(sessionmaker) as session:
        assert await service.board_branding(session, fresh.organisation_id) is None

    await read_settings(client, fresh)  # the first read creates the settings and the board address
    async with transaction(sessionmaker) as session:
        found = await service.board_branding(session, fresh.organisation_id)
    assert found is not None
    assert (found.name, found.board_slug, found.accent_colour, found.careers_intro) == (
        "No Board Yet",
        "no-board-yet",
        None,
        None,
    )
