"""The job editor's pages: saving with the version that was read, the live description preview,
escaping, and the open, pause and close buttons."""

from __future__ import annotations

import httpx

from tests.factories import Tenant, create_job
from tests.jobs.test_pages import STATUS, api_job, form_values, rows, sign_in_recruiter
from tests.web.support import sign_in

# --- editing --------------------------------------------------------------------------------------


async def test_the_editor_saves_changes_with_the_version_it_was_read_at(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    await sign_in_recruiter(client, pages, tenant)
    values = form_values((await pages.get(f"/app/jobs/{job['id']}")).text)
    assert values["version"] == "1"
    assert values["department"] == "Engineering"

    values.update(
        {"department": "Robotics", "openings": "3", "locations.1.city": "Paris", "locations.1.country": "FR"}
    )
    saved = await pages.post(f"/app/jobs/{job['id']}", data=values)

    assert saved.status_code == 303, saved.text
    after = await api_job(client, tenant, job["id"])
    assert after["department"] == "Robotics"
    assert after["openings"] == 3
    assert after["version"] == 2
    assert [loc["city"] for loc in after["locations"]] == ["Berlin", "Paris"]
    assert after["salary"] == job["salary"]
    assert after["title"] == job["title"]
    assert "Job saved." in (await pages.get(f"/app/jobs/{job['id']}")).text


async def test_a_stale_editor_reports_the_colleagues_change_instead_of_overwriting_it(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    await sign_in_recruiter(client, pages, tenant)
    values = form_values((await pages.get(f"/app/jobs/{job['id']}")).text)
    current = await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)
    patched = await client.patch(
        f"/v1/jobs/{job['id']}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"department": "Theirs"},
    )
    assert patched.status_code == 200

    values["openings"] = "7"
    stale = await pages.post(f"/app/jobs/{job['id']}", data=values)

    assert stale.status_code == 409
    assert "Someone changed this job since you opened it" in stale.text
    assert f'<a href="/app/jobs/{job["id"]}">Reload the job</a>' in stale.text
    assert 'value="7"' in stale.text
    after = await api_job(client, tenant, job["id"])
    assert after["department"] == "Theirs"
    assert after["openings"] == 1


async def test_the_preview_renders_the_forms_values_with_the_description_renderer(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    token = await sign_in_recruiter(client, pages, tenant)
    editor = await pages.get(f"/app/jobs/{job['id']}")
    assert 'hx-post="/app/jobs/' in editor.text
    assert 'hx-trigger="change, input changed delay:500ms"' in editor.text
    assert '<article class="job-description">' in editor.text  # present without JavaScript
    values = form_values(editor.text)
    values.update(
        {"title": "Preview <b>Lead</b>", "department": "Warehouse Robotics", "locations.0.country": "ZZZ"}
    )

    preview = await pages.post(
        f"/app/jobs/{job['id']}/preview", data=values, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )

    assert preview.status_code == 200
    assert "<h2>Preview &lt;b&gt;Lead&lt;/b&gt;</h2>" in preview.text
    assert "Warehouse Robotics" in preview.text
    assert "Berlin, DE" in preview.text
    assert "<h1" not in preview.text
    assert "application/ld+json" not in preview.text
    assert "<html" not in preview.text
    assert (await api_job(client, tenant, job["id"]))["department"] == "Engineering"


async def test_hostile_text_is_escaped_on_the_list_and_in_the_editor(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    hostile = "<script>alert(1)</script>\"'"
    job = await create_job(
        client,
        tenant,
        title="T" * 200,
        department=hostile,
        locations=[{"city": hostile, "country": "DE"}, {"city": "\u202eabc", "country": "FR"}],
    )
    await sign_in(pages, tenant.admin_email)

    for path in ("/app/jobs", f"/app/jobs/{job['id']}"):
        page = await pages.get(path)
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path
        assert "T" * 200 in page.text
        assert "\u202eabc" in page.text


# --- the lifecycle --------------------------------------------------------------------------------


async def test_open_pause_and_close_through_the_buttons(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    token = await sign_in_recruiter(client, pages, tenant)
    url = f"/app/jobs/{job['id']}"

    async def press(action: str, **extra: str) -> str:
        response = await pages.post(f"{url}/{action}", data={"csrf_token": token, **extra})
        assert response.status_code == 303
        assert response.headers["location"] == url
        return (await pages.get(url)).text

    draft = (await pages.get(url)).text
    assert "Open job" in draft
    assert "Pause job" not in draft
    opened = await press("open")
    assert "Job opened." in opened
    badge = STATUS.search(opened)
    assert badge is not None
    assert badge.group(2) == "Open"
    assert "Pause job" in opened
    assert "Open job" not in opened
    paused = await press("pause")
    assert "Job paused." in paused
    assert "Open again" in paused
    assert (await api_job(client, tenant, job["id"]))["status"] == "paused"
    no_reason = await press("close")
    assert "Nothing changed: Choose why the job is closing." in no_reason
    closed = await press("close", reason="filled", note="Hired <em>Ada</em>")
    assert "Job closed." in closed
    assert "Hired &lt;em&gt;Ada&lt;/em&gt;" in closed
    assert "Save changes" not in closed
    assert "Close job" not in closed
    again = await press("open")
    assert "Nothing changed: A closed job cannot be opened; allowed from: draft, paused." in again
    after = await api_job(client, tenant, job["id"])
    assert after["status"] == "closed"
    assert after["close_reason"] == "filled"
    assert rows((await pages.get("/app/jobs")).text)[job["id"]]["status"] == "Closed"
