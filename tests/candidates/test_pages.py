"""Candidate pages: the list, one candidate's page with the sections of the pipeline, interviews and
offers contexts, notes and file downloads, for exactly the people whose scopes allow them, with the
same audit entries as the API."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import update

from rolecall.candidates.models import Candidate
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from tests.candidates.page_support import HX, SECTIONS, applied, candidate_with_details, note_by, staff
from tests.candidates.support import CANARY, RESUME_LINES, make_pdf, upload
from tests.factories import Tenant
from tests.web.support import sign_in

HOSTILE = '<script>alert(1)</script> "quoted" \u202eabc'


async def _audit(client: httpx.AsyncClient, tenant: Tenant, action: str, actor: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["action"] == action and e["actor"] == actor]


def _points(fragment: str) -> list[float]:
    """The points column of the match table, the total row last."""
    table = re.search(r'<table class="data match-table">(.*?)</table>', fragment, re.S)
    assert table, "no match table"
    return [
        float(p.replace("\u2212", "-"))
        for p in re.findall(r'<td class="points">([^<]+)</td>', table.group(1))
    ]


async def test_a_recruiter_sees_contact_details_resume_notes_and_the_sections(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    job, application = await applied(client, app, tenant, candidate)
    await note_by(client, tenant.token, candidate["id"], "Strong systems background")
    _rita, email = await staff(client, tenant, "recruiter")
    await sign_in(pages, email)

    page = await pages.get(f"/app/candidates/{candidate['id']}")

    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    assert "<h1>Ada Lovelace</h1>" in text
    assert f'<a href="mailto:{candidate["email"]}">{candidate["email"]}</a>' in text
    assert "+44 20 7946 0958" in text
    assert "London" in text
    assert '<a href="https://ada.example.com/portfolio" rel="noopener noreferrer nofollow">' in text
    assert '<li class="tag">python</li>' in text
    assert '<li class="tag">remote</li>' in text
    assert "Referral" in text
    resume = re.search(r'<details class="resume">.*?<pre class="resume-text">(.*?)</pre>', text, re.S)
    assert resume
    assert CANARY in resume.group(1)
    files = (await client.get(f"/v1/candidates/{candidate['id']}/files", headers=tenant.headers)).json()
    assert f'href="/app/candidates/{candidate["id"]}/files/{files[0]["id"]}"' in text
    assert re.search(r"<strong>A colleague</strong>.*?Strong systems background", text, re.S)
    assert 'action="/app/candidates/{}/notes"'.format(candidate["id"]) in text
    for key in SECTIONS:  # a recruiter may open all three; each loads on its own and links for no-JS
        assert f'hx-get="/app/candidates/{candidate["id"]}/{key}" hx-trigger="load"' in text
        assert f'<a href="/app/candidates/{candidate["id"]}/{key}">' in text

    section = await pages.get(f"/app/candidates/{candidate['id']}/applications", headers=HX)
    assert section.status_code == 200, section.text
    assert "<html" not in section.text  # the section alone
    api = (await client.get(f"/v1/applications/{application['id']}", headers=tenant.headers)).json()
    assert f'<a href="/app/jobs/{job["id"]}/pipeline">{html.escape(job["title"])}</a>' in section.text
    assert "<dt>Stage</dt><dd>Recruiter screen</dd>" in section.text
    assert f"<strong>{api['match_score']}</strong> of 100" in section.text
    for component in api["match"]["components"]:
        assert html.escape(component["reason"]) in section.text
    points = _points(section.text)
    assert points[-1] == api["match"]["total"] == api["match_score"]
    assert sum(points[:-1]) == points[-1]  # the components add up to the total
    assert "python" in re.search(r'<p class="match-evidence">(.*?)</p>', section.text, re.S).group(1)  # type: ignore[union-attr]
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', section.text, re.S)
    assert timeline
    steps = re.findall(r"</time> · (.*?), by ([\w ]+?)(?: <span|</li>)", timeline.group(1))
    assert steps == [
        ("Applied, into Applied", "a colleague"),
        ("Moved from Applied to Recruiter screen", "a colleague"),
    ]

    plain = await pages.get(f"/app/candidates/{candidate['id']}/applications")
    assert plain.status_code == 200
    assert "<h1>The candidate's applications</h1>" in plain.text
    assert f'<a href="/app/jobs/{job["id"]}/pipeline">' in plain.text


async def test_a_note_added_through_the_form_shows_and_the_api_lists_it(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    rita, email = await staff(client, tenant, "recruiter")
    csrf = await sign_in(pages, email)

    added = await pages.post(
        f"/app/candidates/{candidate['id']}/notes", data={"body": "Call back on Monday", "csrf_token": csrf}
    )

    assert added.status_code == 303
    assert added.headers["location"] == f"/app/candidates/{candidate['id']}#notes"
    page = await pages.get(f"/app/candidates/{candidate['id']}")
    assert "Your note was added." in page.text
    assert re.search(r"<strong>You</strong>.*?Call back on Monday", page.text, re.S)
    listed = await client.get(f"/v1/candidates/{candidate['id']}/notes", headers=tenant.headers)
    notes = listed.json()["items"]
    assert [(n["body"], n["author"]) for n in notes] == [("Call back on Monday", f"user:{rita.id}")]

    # Her own note has a delete button, which deletes it through the API's service.
    delete = f"/app/candidates/{candidate['id']}/notes/{notes[0]['id']}/delete"
    assert f'action="{delete}"' in page.text
    assert (await pages.post(delete, data={"csrf_token": csrf})).status_code == 303
    listed = await client.get(f"/v1/candidates/{candidate['id']}/notes", headers=tenant.headers)
    assert listed.json()["items"] == []


async def test_an_empty_note_is_refused_next_to_the_field(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    _rita, email = await staff(client, tenant, "recruiter")
    csrf = await sign_in(pages, email)

    refused = await pages.post(
        f"/app/candidates/{candidate['id']}/notes", data={"body": "  ", "csrf_token": csrf}
    )

    assert refused.status_code == 422
    assert 'class="error-summary" role="alert"' in refused.text
    assert (
        '<small class="field-error" id="error-body">Write the note before adding it.</small>' in refused.text
    )
    assert 'aria-invalid="true"' in refused.text
    listed = await client.get(f"/v1/candidates/{candidate['id']}/notes", headers=tenant.headers)
    assert listed.json()["items"] == []


async def test_a_note_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    _rita, email = await staff(client, tenant, "recruiter")
    await sign_in(pages, email)

    missing = await pages.post(f"/app/candidates/{candidate['id']}/notes", data={"body": "Hello"})
    wrong = await pages.post(
        f"/app/candidates/{candidate['id']}/notes", data={"body": "Hello", "csrf_token": "0" * 64}
    )

    assert (missing.status_code, wrong.status_code) == (403, 403)
    listed = await client.get(f"/v1/candidates/{candidate['id']}/notes", headers=tenant.headers)
    assert listed.json()["items"] == []


async def test_a_file_downloads_as_a_no_store_attachment_with_its_bytes(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    pdf = make_pdf([RESUME_LINES])
    file_id = (await upload(client, tenant, candidate["id"], pdf)).json()["id"]
    rita, email = await staff(client, tenant, "recruiter")
    await sign_in(pages, email)

    download = await pages.get(f"/app/candidates/{candidate['id']}/files/{file_id}")

    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-disposition"] == f'attachment; filename="resume-{file_id}.pdf"'
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "application/pdf"
    audited = await _audit(client, tenant, "candidate.file_downloaded", f"user:{rita.id}")
    assert [(e["target_id"], e["details"]["file_id"]) for e in audited] == [(candidate["id"], file_id)]


async def test_reading_the_page_is_audited_like_reading_the_api(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    rita, email = await staff(client, tenant, "recruiter")
    actor = f"user:{rita.id}"
    await sign_in(pages, email)
    assert await _audit(client, tenant, "candidate.viewed", actor) == []

    assert (await pages.get(f"/app/candidates/{candidate['id']}")).status_code == 200
    by_page = await _audit(client, tenant, "candidate.viewed", actor)
    assert (await client.get(f"/v1/candidates/{candidate['id']}", headers=rita.headers)).status_code == 200
    both = await _audit(client, tenant, "candidate.viewed", actor)

    assert len(by_page) == 1
    assert len(both) == 2
    shape = {(e["target_type"], e["target_id"], tuple(sorted(e["details"]))) for e in both}
    assert shape == {("candidate", candidate["id"], ())}  # the page's entry is the API's entry
    notes_read = await _audit(client, tenant, "candidate.notes_listed", actor)
    assert [e["target_id"] for e in notes_read] == [candidate["id"]]

    assert (await pages.get("/app/candidates")).status_code == 200
    listed = await _audit(client, tenant, "candidate.listed", actor)
    assert [e["details"]["candidate_ids"] for e in listed] == [[candidate["id"]]]


async def test_the_list_shows_each_candidate_with_a_link(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = await candidate_with_details(client, tenant)
    second = await candidate_with_details(
        client, tenant, full_name="Grace Hopper", phone="+1 212 555 0100", location=None, tags=[]
    )
    _rita, email = await staff(client, tenant, "recruiter")
    await sign_in(pages, email)

    page = await pages.get("/app/candidates")

    assert page.status_code == 200
    rows = re.findall(
        r'<tr>\s*<th scope="row"><a class="candidate-name" '
        r'href="/app/candidates/([^"]+)">([^<]+)</a>(.*?)</tr>',
        page.text,
        re.S,
    )
    assert [(cid, name) for cid, name, _ in rows] == [
        (first["id"], "Ada Lovelace"),
        (second["id"], "Grace Hopper"),
    ]
    assert first["email"] in rows[0][2]
    assert "London" in rows[0][2]
    assert '<li class="tag">python</li>' in rows[0][2]
    assert second["email"] in rows[1][2]
    assert (await pages.get("/app/candidates?cursor=not-a-cursor")).status_code == 400


async def test_an_interviewer_may_not_open_candidates(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    _ivan, email = await staff(client, tenant, "interviewer")
    await sign_in(pages, email)

    for path in (
        "/app/candidates",
        f"/app/candidates/{candidate['id']}",
        *(f"/app/candidates/{candidate['id']}/{k}" for k in SECTIONS),
    ):
        response = await pages.get(path)
        assert response.status_code == 403, path
        assert "Ada Lovelace" not in response.text
    assert 'href="/app/candidates"' not in (await pages.get("/app/account")).text


async def test_a_hiring_manager_reads_but_does_not_write(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    await applied(client, app, tenant, candidate)
    note = await note_by(client, tenant.token, candidate["id"], "Admin's note")
    _hana, email = await staff(client, tenant, "hiring_manager")
    csrf = await sign_in(pages, email)

    page = await pages.get(f"/app/candidates/{candidate['id']}")

    assert page.status_code == 200
    assert "Admin&#39;s note" in page.text
    assert 'class="note-form"' not in page.text  # no candidates:write
    assert "/delete" not in page.text
    for key in SECTIONS:  # applications:read, interviews:read and offers:read
        assert f'hx-get="/app/candidates/{candidate["id"]}/{key}"' in page.text
        assert (await pages.get(f"/app/candidates/{candidate['id']}/{key}", headers=HX)).status_code == 200
    refused = await pages.post(
        f"/app/candidates/{candidate['id']}/notes", data={"body": "Hi", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    delete = await pages.post(
        f"/app/candidates/{candidate['id']}/notes/{note['id']}/delete", data={"csrf_token": csrf}
    )
    assert delete.status_code == 403


async def test_another_organisations_candidate_files_and_sections_are_not_found(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    await applied(client, app, tenant, candidate)
    file_id = (await client.get(f"/v1/candidates/{candidate['id']}/files", headers=tenant.headers)).json()[0][
        "id"
    ]
    csrf = await sign_in(pages, other_tenant.admin_email)
    base = f"/app/candidates/{candidate['id']}"

    for path in (base, f"{base}/files/{file_id}", *(f"{base}/{key}" for key in SECTIONS)):
        for headers in ({}, HX):
            response = await pages.get(path, headers=headers)
            assert response.status_code == 404, path
            assert "Ada Lovelace" not in response.text
            assert CANARY not in response.text
    posted = await pages.post(f"{base}/notes", data={"body": "Hello", "csrf_token": csrf})
    assert posted.status_code in (404, 409)  # never written: another organisation's person
    assert (await client.get(f"{base.replace('/app', '/v1')}/notes", headers=tenant.headers)).json()[
        "items"
    ] == []
    listed = await pages.get("/app/candidates")
    assert candidate["id"] not in listed.text


async def test_an_erased_candidate_shows_a_notice_and_no_data(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await candidate_with_details(client, tenant)
    await applied(client, app, tenant, candidate)
    await note_by(client, tenant.token, candidate["id"], "Qwxz note canary")
    erased = await client.post(
        f"/v1/candidates/{candidate['id']}/erase",
        headers=tenant.headers,
        json={"reason": "data_subject_request"},
    )
    assert erased.status_code == 200, erased.text
    await sign_in(pages, tenant.admin_email)

    page = await pages.get(f"/app/candidates/{candidate['id']}")

    assert page.status_code == 200
    assert "<h1>Erased candidate</h1>" in page.text
    assert "personal data was erased on" in page.text
    for gone in ("Ada Lovelace", candidate["email"], "London", "7946", "python", CANARY, "Qwxz note canary"):
        assert gone not in page.text
    assert "hx-get" not in page.text
    assert 'class="note-form"' not in page.text


async def test_hostile_names_tags_and_notes_are_escaped(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    name = (HOSTILE + " " + "x" * 200)[:200]
    candidate = await candidate_with_details(client, tenant, full_name=name, location='"><img src=x>')
    # The tag rule (ADR 0017) keeps markup out of tags written through the API; the pages escape
    # them anyway, which a tag planted around the API shows.
    async with transaction(app.state.sessionmaker) as session:
        await session.execute(
            update(Candidate)
            .where(Candidate.id == uuid.UUID(candidate["id"]))
            .values(tags=["<b>bold</b>"])
            .execution_options(**all_tenants())
        )
    await note_by(client, tenant.token, candidate["id"], HOSTILE)
    await sign_in(pages, tenant.admin_email)

    for path in (f"/app/candidates/{candidate['id']}", "/app/candidates"):
        page = await pages.get(path)
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text
        assert "<b>bold</b>" not in page.text
        assert "<img src=x>" not in page.text
        assert str(escape(name)) in page.text
        assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
        assert "&#34;&gt;&lt;img src=x&gt;" in page.text
    page = await pages.get(f"/app/candidates/{candidate['id']}")
    assert page.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # title, crumb, h1, note
    assert "\u202eabc" in page.text
