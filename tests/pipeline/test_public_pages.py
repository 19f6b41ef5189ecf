"""The apply page: the form of every question type, its refusals, the honeypot, decoys and limits."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.platform.ratelimit import SlidingWindowLimiter
from tests.candidates.test_resumes import make_pdf
from tests.factories import Tenant, deliver, open_job, update_job_settings
from tests.mail import send_mail, status_token

HOSTILE_LABEL = '<img src=x onerror="alert(1)"> Why "us"?'
FORM = [
    {"key": "notice", "label": "Notice period (weeks)", "type": "number", "required": True, "max_value": 26},
    {"key": "visa", "label": "Do you need a visa?", "type": "yes_no", "required": True},
    {
        "key": "stack",
        "label": "Favourite stack",
        "type": "single_choice",
        "options": ["Python", "Go", "Rust"],
    },
    {"key": "langs", "label": "Languages", "type": "multi_choice", "options": ["English", "German", "Dutch"]},
    {"key": "why", "label": HOSTILE_LABEL, "type": "long_text", "help_text": "A few sentences."},
    {"key": "city", "label": "Current city", "type": "short_text"},
    {"key": "portfolio", "label": "Portfolio", "type": "file"},
]
RESUME = make_pdf([["Lead back-end engineer, 9 years", "Python, PostgreSQL, Kubernetes"]])
RECEIVED_LOCATION = re.compile(r"^/jobs/[0-9a-f-]{36}/apply/received$")


class Controls(HTMLParser):
    """Every form control of a page: name -> values (checked ones for boxes), ids, labels, attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.checked: dict[str, list[str]] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.labels: set[str] = set()
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag not in ("input", "textarea", "select"):
            return
        if found.get("id"):
            self.attrs[str(found["id"])] = found
        name = str(found.get("name") or "")
        if tag == "textarea":
            self._textarea = name
            self.values.setdefault(name, [])
        elif found.get("type") in ("checkbox", "radio"):
            if "checked" in found:
                self.checked.setdefault(name, []).append(str(found.get("value")))
        elif tag == "input":
            self.values.setdefault(name, []).append(str(found.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea].append(data)

    def value(self, name: str) -> str:
        return "".join(self.values.get(name, []))


def _form(version: str = "rolecall-default-1", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": "Grace Applicant",
        "email": "grace@example.com",
        "phone": "+49 30 5550000",
        "location": "Berlin, Germany",
        "links": "https://github.com/grace\nhttps://grace.example",
        "years_experience": "9",
        "answers.notice": "4",
        "answers.visa": "no",
        "answers.stack": "Go",
        "answers.langs": ["English", "Dutch"],
        "answers.why": "Robots that sort parcels.",
        "answers.city": "Berlin",
        "consent.given": "true",
        "consent.text_version": version,
        "website": "",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


async def _post(
    pages: httpx.AsyncClient,
    posting_id: str,
    data: dict[str, Any],
    *,
    resume: bytes | None = RESUME,
    portfolio: bytes | None = b"My portfolio: robots.\n",
) -> httpx.Response:
    # A browser sends every file input, an empty one as a part without a file name.
    files = [
        (
            "resume",
            ("cv.pdf", resume, "application/pdf") if resume else ("", b"", "application/octet-stream"),
        ),
        (
            "file_portfolio",
            ("p.txt", portfolio, "text/plain") if portfolio else ("", b"", "application/octet-stream"),
        ),
    ]
    return await pages.post(f"/jobs/{posting_id}/apply", data=data, files=files)


async def _applications(client: httpx.AsyncClient, tenant: Tenant, job_id: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/applications", params={"job_id": job_id}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _job(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> dict[str, Any]:
    return await open_job(client, app, tenant, application_form=FORM)


async def test_the_form_renders_every_question_type_with_its_label(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    response = await pages.get(f"/jobs/{job['id']}/apply?utm_source=newsletter&utm_bogus=x")
    assert response.status_code == 200, response.text
    html = response.text
    assert re.search(r"<h1>Apply for ([^<]+)</h1>", html)
    assert f"<h1>Apply for {job['title']}</h1>" in html
    assert f'href="/jobs/{job["id"]}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "style=" not in html
    assert '<meta name="robots" content="noindex">' in html
    controls = Controls(html)
    kinds = {
        "field-answers-notice": "number",
        "field-answers-visa": "radio",
        "field-answers-stack": "radio",
        "field-answers-langs": "checkbox",
        "field-answers-city": "text",
        "field-files-portfolio": "file",
        "field-resume": "file",
        "field-email": "email",
        "field-consent-given": "checkbox",
    }
    for control_id, kind in kinds.items():
        assert controls.attrs[control_id].get("type") == kind, control_id
    assert controls.attrs["field-answers-why"].get("name") == "answers.why"  # the textarea
    assert controls.attrs["field-answers-notice"].get("max") == "26.0"
    assert controls.attrs["field-files-portfolio"].get("name") == "file_portfolio"
    assert ".pdf" in str(controls.attrs["field-resume"].get("accept"))
    labelled = {i for i, a in controls.attrs.items() if a.get("type") != "hidden"}
    assert labelled <= controls.labels, labelled - controls.labels
    assert {"Yes", "No", "Python", "Go", "Rust", "English", "German", "Dutch"} <= set(
        re.findall(r'type="(?:radio|checkbox)"[^>]*>\s*(\w+)', html)
    )
    # The staff-written label is text, not markup.
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; Why &#34;us&#34;?" in html
    # The honeypot: out of sight through a class, out of the tab order, explained to screen readers.
    trap = controls.attrs["field-website"]
    assert (trap.get("name"), trap.get("tabindex"), trap.get("autocomplete")) == ("website", "-1", "off")
    assert re.search(r'<div class="apply-trap">\s*<label for="field-website">Leave this empty</label>', html)
    consent = (await client.get(f"/v1/board/postings/{job['id']}/application-form")).json()
    assert controls.value("consent.text_version") == consent["consent_version"]
    assert controls.value("tracking.utm_source") == "newsletter"
    assert "tracking.utm_bogus" not in controls.values


async def test_applying_with_a_pdf_resume_creates_an_application_the_api_shows(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    response = await _post(pages, job["id"], _form(**{"tracking.utm_source": "newsletter"}))
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert RECEIVED_LOCATION.match(location), location
    landing = await pages.get(location)
    assert landing.status_code == 200, landing.text
    assert "Application received" in landing.text
    assert "We have e-mailed you a link" in landing.text
    assert response.headers["cache-control"] == "no-store"

    (listed,) = await _applications(client, tenant, job["id"])
    detail = (await client.get(f"/v1/applications/{listed['id']}", headers=tenant.headers)).json()
    assert detail["answers"]["notice"] == 4
    assert detail["answers"]["visa"] is False
    assert (detail["answers"]["stack"], detail["answers"]["langs"]) == ("Go", ["English", "Dutch"])
    assert set(detail["answers"]["portfolio"]) == {"file_id"}
    assert detail["resume_file_id"] is not None
    assert detail["consent"]["text_version"] == "rolecall-default-1"
    assert (detail["source"], detail["source_details"]) == ("careers_board", {"utm_source": "newsletter"})
    person = (await client.get(f"/v1/candidates/{detail['candidate_id']}", headers=tenant.headers)).json()
    assert (person["full_name"], person["email"], person["phone"]) == (
        "Grace Applicant",
        "grace@example.com",
        "+49305550000",  # stored in E.164
    )
    # The link e-mailed to the applicant is the API's status link too.
    token = status_token(await send_mail(app), "grace@example.com")
    assert (await pages.get(f"/status/{token}")).status_code == 200
    api_status = (await client.get(f"/v1/application-status/{token}")).json()
    assert api_status["application_id"] == listed["id"]


async def test_empty_file_inputs_are_no_files(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    response = await _post(pages, job["id"], _form(), resume=None, portfolio=None)
    assert response.status_code == 303, response.text
    (listed,) = await _applications(client, tenant, job["id"])
    assert listed["resume_file_id"] is None


async def test_a_refused_form_comes_back_with_its_messages_and_everything_typed(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    data = _form(email="not-an-address", **{"answers.notice": "", "answers.visa": "yes"})
    response = await _post(pages, job["id"], data)
    assert response.status_code == 422, response.text
    html = response.text
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary, html
    assert 'href="#field-email"' in summary.group(1)
    assert 'href="#field-answers-notice"' in summary.group(1)
    assert summary.group(1).count("<li>") == 2  # the chosen resume is no unknown file question
    # Each message next to its field, the field marked and pointing at it.
    email_error = re.search(r'id="error-email">([^<]+)<', html)
    assert email_error is not None
    assert email_error.group(1).startswith("E-mail address: ")
    assert "valid email address" in email_error.group(1)
    assert re.search(r'id="error-answers-notice">Notice period \(weeks\) is required<', html)
    controls = Controls(html)
    assert controls.attrs["field-email"].get("aria-invalid") == "true"
    assert "error-email" in str(controls.attrs["field-email"].get("aria-describedby"))
    # Everything typed is kept: texts, choices, boxes.
    assert controls.value("email") == "not-an-address"
    assert controls.value("full_name") == "Grace Applicant"
    assert controls.value("phone") == "+49 30 5550000"
    assert controls.value("location") == "Berlin, Germany"
    assert controls.value("years_experience") == "9"
    assert controls.value("links").strip() == "https://github.com/grace\nhttps://grace.example"
    assert controls.value("answers.why") == "Robots that sort parcels."
    assert controls.value("answers.city") == "Berlin"
    assert controls.checked["answers.visa"] == ["yes"]
    assert controls.checked["answers.stack"] == ["Go"]
    assert controls.checked["answers.langs"] == ["English", "Dutch"]
    assert controls.checked["consent.given"] == ["true"]
    # Files cannot be kept by the browser: the form says so next to the field.
    assert re.search(r'id="again-resume">Please choose your resume again', html)
    assert "again-resume" in str(controls.attrs["field-resume"].get("aria-describedby"))
    assert 'id="again-files-portfolio"' in html
    assert await _applications(client, tenant, job["id"]) == []


async def test_the_service_rules_come_back_on_the_page_with_the_api_messages(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    data = _form(**{"answers.notice": "30", "answers.stack": "Cobol", "answers.langs": ["Klingon"]})
    response = await _post(pages, job["id"], data)
    assert response.status_code == 422
    assert re.search(r'id="error-answers-notice">Notice period \(weeks\) must be at most 26<', response.text)
    assert re.search(
        r'id="error-answers-stack">Favourite stack must be one of: Python, Go, Rust<', response.text
    )
    assert 'id="error-answers-langs">Languages unknown options' in response.text
    # A disguised resume is found after the candidate row was written: all of it is rolled back.
    exe = b"MZ\x90\x00" + b"\x00" * 200
    disguised = await _post(pages, job["id"], _form(), resume=exe)
    assert disguised.status_code == 422, disguised.text
    assert re.search(r'id="error-resume">Resume', disguised.text)
    assert await _applications(client, tenant, job["id"]) == []
    assert (await client.get("/v1/candidates", headers=tenant.headers)).json()["items"] == []
    files = app.state.settings.file_store_path
    assert not [p for p in files.rglob("*") if p.is_file()] if files.exists() else True


async def test_consent_is_required_and_a_changed_text_must_be_agreed_again(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    missing = await _post(pages, job["id"], _form(**{"consent.given": None}))
    assert missing.status_code == 422
    assert re.search(
        r'id="error-consent-given">Consent to the processing of the application is required<', missing.text
    )
    assert 'href="#field-consent-given"' in missing.text
    assert Controls(missing.text).attrs["field-consent-given"].get("aria-invalid") == "true"

    stale = await _post(pages, job["id"], _form(version="2019"))
    assert stale.status_code == 422
    assert 'id="error-consent-given">The consent text has changed' in stale.text
    controls = Controls(stale.text)
    assert "consent.given" not in controls.checked  # read the new text, then agree again
    assert controls.value("consent.text_version") == "rolecall-default-1"
    assert await _applications(client, tenant, job["id"]) == []


async def test_the_honeypot_and_a_duplicate_look_like_a_success_and_store_nothing(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    bot = await _post(pages, job["id"], _form(website="http://spam.example"))
    assert bot.status_code == 303
    assert RECEIVED_LOCATION.match(bot.headers["location"])
    assert await _applications(client, tenant, job["id"]) == []
    assert await send_mail(app) == []  # a bot is told the same and sent nothing

    first = await _post(pages, job["id"], _form(email="twice@example.com"))
    second = await _post(pages, job["id"], _form(email="TWICE@example.com", full_name="Someone Else"))
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["location"] == second.headers["location"] == bot.headers["location"]
    assert len(await _applications(client, tenant, job["id"])) == 1
    sent = await send_mail(app)
    templates = sorted(str(m["X-Rolecall-Template"]) for m in sent)
    assert templates == ["application_received", "application_repeat"]


async def test_the_apply_page_shares_the_api_rate_limit_and_says_how_long_to_wait(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    app.state.apply_limiter = SlidingWindowLimiter(1, timedelta(hours=1))
    form = await pages.get(f"/v1/board/postings/{job['id']}/application-form")
    assert form.status_code == 200
    # The same address spends the same allowance through the API and the page.
    used = await pages.post(
        f"/v1/board/postings/{job['id']}/applications",
        files={"application": (None, '{"full_name": "A", "email": "a@example.com"}', "application/json")},
    )
    assert used.status_code == 422
    limited = await _post(pages, job["id"], _form())
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 3000
    assert "Please try again in about an hour." in limited.text
    assert "<h1>Too many attempts</h1>" in limited.text
    assert await _applications(client, tenant, job["id"]) == []


async def test_closed_unknown_and_mangled_postings_are_not_found_pages(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    await client.post(f"/v1/jobs/{job['id']}/close", headers=tenant.headers, json={"reason": "cancelled"})
    await deliver(app)
    for path in (job["id"], "01890000-0000-7000-8000-000000000000", "not-a-posting"):
        response = await pages.get(f"/jobs/{path}/apply")
        assert response.status_code == 404, path
        assert "<h1>Page not found</h1>" in response.text
    closed = await _post(pages, job["id"], _form())
    assert closed.status_code == 404
    assert "<h1>Page not found</h1>" in closed.text


async def test_hostile_answers_are_escaped_when_the_form_comes_back(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    script, quotes, rtl, long = "<script>alert(1)</script>", "say \"hi\" & 'bye'", "\u202eabc", "x" * 500
    data = _form(
        email="bad",
        full_name=script,
        location=rtl,
        **{
            "answers.why": f"{script} {quotes}",
            "answers.city": long,
            "answers.stack": '"><script>x</script>',
        },
    )
    response = await _post(pages, job["id"], data)
    assert response.status_code == 422
    html = response.text
    assert "<script>alert(1)</script>" not in html
    assert "<script>x</script>" not in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; say &#34;hi&#34; &amp; &#39;bye&#39;</textarea>" in html
    controls = Controls(html)
    assert controls.value("full_name") == script
    assert controls.value("location") == rtl
    assert controls.value("answers.city") == long
    assert controls.value("answers.why") == f"{script} {quotes}"
    assert "answers.stack" not in controls.checked  # not an option: nothing is ticked
    assert re.search(r'id="error-answers-stack">Favourite stack must be one of', html)


async def test_the_apply_page_wears_the_careers_sites_colours(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await _job(client, app, tenant)
    plain = await pages.get(f"/jobs/{job['id']}/apply")
    await update_job_settings(client, tenant, accent_colour="#6b2fa2")

    branded = await pages.get(f"/jobs/{job['id']}/apply")

    assert "theme.css" not in plain.text
    sheet = re.search(r'<link rel="stylesheet" href="(/careers/[^"]+/theme\.css\?v=[^"]+)">', branded.text)
    assert sheet, "no colour sheet linked"
    theme = await pages.get(sheet.group(1).replace("&amp;", "&"))
    assert theme.status_code == 200
    assert "#6b2fa2" in theme.text
