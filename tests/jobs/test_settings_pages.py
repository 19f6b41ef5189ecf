"""Settings pages of the jobs context: careers site and stage template, saved like PATCH /v1/job-settings."""

from __future__ import annotations

import re

import httpx

from tests.factories import Tenant
from tests.web.support import create_staff, sign_in


def _form_values(html: str) -> dict[str, str]:
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    values.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    for name in re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="checkbox"[^>]*checked', html):
        values[name] = "true"
    return values


async def test_the_careers_settings_save_and_reach_the_api(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    values = _form_values((await pages.get("/app/settings/careers")).text)
    values.update(
        {"about": "We build robots.", "benefits": "Pension\nBikes\n\n", "website": "https://acme.example"}
    )

    saved = await pages.post("/app/settings/careers", data=values)

    assert saved.status_code == 303, saved.text
    settings = (await client.get("/v1/job-settings", headers=tenant.headers)).json()
    assert settings["about"] == "We build robots."
    assert settings["benefits"] == ["Pension", "Bikes"]
    assert settings["website"] == "https://acme.example/"
    assert "Careers site settings saved." in (await pages.get("/app/settings/careers")).text


async def test_a_refused_careers_setting_is_explained_and_nothing_typed_is_lost(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    values = _form_values((await pages.get("/app/settings/careers")).text)
    values.update({"board_slug": "Not A Slug!", "about": "Kept <b>text</b>"})

    refused = await pages.post("/app/settings/careers", data=values)

    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text
    assert "Kept &lt;b&gt;text&lt;/b&gt;" in refused.text
    assert 'value="Not A Slug!"' in refused.text
    assert (await client.get("/v1/job-settings", headers=tenant.headers)).json()["about"] is None


async def test_a_stale_careers_form_does_not_overwrite_a_newer_save(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    values = _form_values((await pages.get("/app/settings/careers")).text)
    current = await client.get("/v1/job-settings", headers=tenant.headers)
    await client.patch(
        "/v1/job-settings",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"about": "Saved elsewhere first."},
    )

    stale = await pages.post("/app/settings/careers", data={**values, "about": "Mine"})

    assert stale.status_code == 409
    assert "Someone else saved these settings" in stale.text
    assert (await client.get("/v1/job-settings", headers=tenant.headers)).json()[
        "about"
    ] == "Saved elsewhere first."


async def test_the_stage_template_is_edited_row_by_row_with_the_apis_rules(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    page = await pages.get("/app/settings/stages")
    csrf, version = _form_values(page.text)["csrf_token"], _form_values(page.text)["version"]
    rows = [("Applied", "applied"), ("Phone screen", "screen"), ("Hired", "hired"), ("Rejected", "rejected")]
    data = {"csrf_token": csrf, "version": version}
    for index, (name, kind) in enumerate(rows):
        data[f"name_{index}"], data[f"type_{index}"] = name, kind

    missing_hired = await pages.post(
        "/app/settings/stages", data={k: v for k, v in data.items() if k not in ("name_2", "type_2")}
    )
    saved = await pages.post("/app/settings/stages", data=data)

    assert missing_hired.status_code == 422
    assert "hired" in missing_hired.text
    assert saved.status_code == 303
    template = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["stage_template"]
    assert [(s["name"], s["type"]) for s in template] == rows


async def test_settings_pages_follow_the_scopes(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, recruiter = await create_staff(client, tenant, "recruiter")
    await sign_in(pages, recruiter)

    overview = await pages.get("/app/settings")

    assert overview.status_code == 200
    assert "/app/settings/pipeline" in overview.text
    assert "/app/settings/careers" not in overview.text
    assert (await pages.get("/app/settings/careers")).status_code == 403
    pages.cookies.clear()
    _, interviewer = await create_staff(client, tenant, "interviewer")
    await sign_in(pages, interviewer)
    assert (await pages.get("/app/settings")).status_code == 403
