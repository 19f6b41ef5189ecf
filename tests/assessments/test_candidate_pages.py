"""The candidate's assessment pages over HTTP, on SQLite and PostgreSQL: starting, answering every
question type through plain forms (no JavaScript), autosave answers for htmx, the time that runs
out, links that expired, integrity signals, extra time and the result a job may show."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.assessments.support import answer_key, invite, job_with_blueprint, right_answer
from tests.conftest import FrozenClock
from tests.factories import Tenant

HTMX = {"HX-Request": "true"}


def form_of(content: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The answer form's fields for an API-shaped answer (what a browser would post)."""
    fields: dict[str, Any] = {"type": content["type"]}
    for name, value in answer.items():
        fields[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return fields


async def _taking(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient, **blueprint: Any
) -> tuple[dict[str, Any], str, dict[int, dict[str, Any]]]:
    """An invitation started through the pages: (invitation, token, answer key per position)."""
    job = await job_with_blueprint(client, app, tenant)
    if blueprint:
        document = {**job["blueprint"]["document"], **blueprint}
        changed = await client.put(
            f"/v1/jobs/{job['id']}/assessment-blueprint",
            headers={**tenant.headers, "If-Match": job["blueprint_etag"]},
            json=document,
        )
        assert changed.status_code == 200, changed.text
    invitation = await invite(client, app, tenant, job)
    token = invitation["token"]
    started = await pages.post(f"/assessments/{token}/start")
    assert started.status_code == 303
    assert started.headers["location"] == f"/assessments/{token}/take"
    return invitation, token, await answer_key(client, tenant, invitation["session"]["id"])


def option_values(page: str, position: int) -> list[str]:
    """The option indexes a choice question's form posts, in the order the page shows them."""
    section = page.split(f'id="question-{position + 1}"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'name="(?:choice|choices)" value="(\d+)"', section)


async def test_a_candidate_takes_the_whole_assessment_without_javascript(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, count = invitation["token"], invitation["session"]["items"]

    start = await pages.get(f"/assessments/{token}")
    assert start.status_code == 200
    assert start.headers["cache-control"] == "no-store"
    assert start.headers["x-robots-tag"] == "noindex"
    assert f"<h1>{html.escape(job['blueprint']['title'])}</h1>" in start.text
    assert f"<dt>Questions</dt><dd>{count}</dd>" in start.text
    assert "What is recorded while you answer" in start.text
    assert "Nothing is decided automatically" in start.text
    assert f'action="/assessments/{token}/start"' in start.text

    assert (await pages.post(f"/assessments/{token}/start")).status_code == 303
    taking = await pages.get(f"/assessments/{token}/take")
    assert taking.status_code == 200
    assert re.search(r'data-deadline="[^"]+"', taking.text)
    assert re.search(r'data-now="[^"]+"', taking.text)
    assert taking.text.count('class="answer-form"') == count

    # The choice questions show the options in the order the candidate's view gives, and post the
    # index each option has as stored.
    shown = (await client.get(f"/v1/assessment-links/{token}/questions")).json()["questions"]
    for question in shown:
        if question["type"] in ("single_choice", "multiple_choice"):
            indexes = [str(i) for i in question["option_indexes"]]
            assert option_values(taking.text, question["position"]) == indexes

    key = await answer_key(client, tenant, invitation["session"]["id"])
    for position, content in key.items():
        saved = await pages.post(
            f"/assessments/{token}/answers/{position}", data=form_of(content, right_answer(content))
        )
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == f"/assessments/{token}/take#question-{position + 1}"
    after = await pages.get(f"/assessments/{token}/take")
    assert after.text.count("Saved ") >= count
    assert f"{count} of {count}" in after.text

    submitted = await pages.post(f"/assessments/{token}/submit")
    assert submitted.status_code == 303
    done = await pages.get(submitted.headers["location"])
    assert "Your answers were submitted" in done.text
    assert "Your result" not in done.text  # the blueprint does not show results to candidates
    result = (
        await client.get(
            f"/v1/assessments/sessions/{invitation['session']['id']}/result", headers=tenant.headers
        )
    ).json()
    assert result["total"] == 100.0
    again = await pages.post(f"/assessments/{token}/answers/0", data={"type": "single_choice", "choice": "0"})
    assert again.status_code == 303  # submitted: back to the page that says so
    assert again.headers["location"] == f"/assessments/{token}"


async def test_one_question_per_page_with_previous_and_next(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    _invitation, token, key = await _taking(client, app, tenant, pages)
    second = await pages.get(f"/assessments/{token}/take?one=1&q=2")
    assert second.status_code == 200
    assert second.text.count('class="answer-form"') == 1
    assert 'id="question-2"' in second.text
    assert f'href="/assessments/{token}/take?one=1&amp;q=1" rel="prev"' in second.text
    assert f'href="/assessments/{token}/take?one=1&amp;q=3" rel="next"' in second.text
    content = key[1]
    saved = await pages.post(
        f"/assessments/{token}/answers/1", data={**form_of(content, right_answer(content)), "one": "1"}
    )
    assert saved.headers["location"] == f"/assessments/{token}/take?one=1&q=2"
    first = await pages.get(f"/assessments/{token}/take?one=1&q=1")
    assert 'rel="prev"' not in first.text


async def test_a_wrong_answer_shape_shows_the_form_again_with_the_message(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    _invitation, token, key = await _taking(client, app, tenant, pages)
    position, content = next((p, c) for p, c in key.items() if c["type"] in ("single_choice", "numeric"))
    blank = (
        {"type": content["type"]}
        if content["type"] == "single_choice"
        else {"type": "numeric", "value": "12,5x"}
    )
    refused = await pages.post(f"/assessments/{token}/answers/{position}", data=blank)
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert "Choose one of the options" in refused.text or "must be a number" in refused.text
    if content["type"] == "numeric":
        assert 'value="12,5x"' in refused.text
    fragment = await pages.post(f"/assessments/{token}/answers/{position}", data=blank, headers=HTMX)
    assert fragment.status_code == 422
    assert fragment.text.startswith('<span class="save-error')
    questions = (await client.get(f"/v1/assessment-links/{token}/questions")).json()["questions"]
    assert all(q["answer"] is None for q in questions)  # nothing was stored

    saved = await pages.post(
        f"/assessments/{token}/answers/{position}", data=form_of(content, right_answer(content)), headers=HTMX
    )
    assert saved.status_code == 200
    assert re.fullmatch(r'<span class="save-ok">Saved \d\d:\d\d:\d\d UTC\.</span>\s*', saved.text)
    unknown = await pages.post(
        f"/assessments/{token}/answers/{len(key) + 3}", data=form_of(content, right_answer(content))
    )
    assert unknown.status_code == 422
    assert (await pages.post(f"/assessments/{token}/answers/x1", data={})).status_code == 404


async def test_after_the_deadline_an_answer_gets_the_time_up_page(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient, clock: FrozenClock
) -> None:
    invitation, token, key = await _taking(client, app, tenant, pages)
    position, content = next(iter(key.items()))
    fields = form_of(content, right_answer(content))
    assert (await pages.post(f"/assessments/{token}/answers/{position}", data=fields)).status_code == 303
    limit = invitation["session"]["time_limit_minutes"] * 60
    clock.advance(seconds=limit + 10)  # inside the grace window: still saved
    assert (await pages.post(f"/assessments/{token}/answers/{position}", data=fields)).status_code == 303
    clock.advance(seconds=120)
    late = await pages.post(f"/assessments/{token}/answers/{position}", data=fields)
    assert late.status_code == 409
    assert "The time for this assessment is over" in late.text
    assert late.headers["content-type"].startswith("text/html")
    late_htmx = await pages.post(f"/assessments/{token}/answers/{position}", data=fields, headers=HTMX)
    assert late_htmx.status_code == 409
    assert "save-error--time_up" in late_htmx.text
    assert (await pages.get(f"/assessments/{token}/take")).status_code == 409
    assert (await pages.post(f"/assessments/{token}/submit")).status_code == 409
    start = await pages.get(f"/assessments/{token}")
    assert "The time is over" in start.text


async def test_an_expired_a_withdrawn_and_an_unknown_link_are_pages_that_say_so(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient, clock: FrozenClock
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    old = await invite(client, app, tenant, job)
    withdrawn = await invite(client, app, tenant, job)
    current = await client.get(
        f"/v1/assessments/sessions/{withdrawn['session']['id']}", headers=tenant.headers
    )
    cancelled = await client.post(
        f"/v1/assessments/sessions/{withdrawn['session']['id']}/cancel",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
    )
    assert cancelled.status_code == 200, cancelled.text
    clock.advance(days=8)

    expired = await pages.get(f"/assessments/{old['token']}")
    assert expired.status_code == 410
    assert "This assessment link has expired" in expired.text
    assert (await pages.post(f"/assessments/{old['token']}/start")).status_code == 410
    gone = await pages.get(f"/assessments/{withdrawn['token']}")
    assert gone.status_code in (404, 410)  # cancelling forgets the link
    unknown = await pages.get("/assessments/not-a-real-token")
    assert unknown.status_code == 404
    assert "We could not find this assessment" in unknown.text
    assert unknown.headers["content-type"].startswith("text/html")


async def test_signals_are_recorded_as_facts(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    invitation, token, _key = await _taking(client, app, tenant, pages)
    lost = await pages.post(f"/assessments/{token}/signals", data={"kind": "focus_lost"})
    assert lost.status_code == 204
    pasted = await pages.post(
        f"/assessments/{token}/signals", data={"kind": "paste", "position": "0", "characters": "42"}
    )
    assert pasted.status_code == 204
    bogus = await pages.post(f"/assessments/{token}/signals", data={"kind": "cheating"})
    assert bogus.status_code == 422
    session_id = invitation["session"]["id"]
    result = (
        await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    ).json()
    counts = {s["kind"]: s["count"] for s in result["signals"]}
    assert counts.get("focus_lost") == 1
    assert counts.get("paste") == 1


async def test_extra_time_is_requested_before_starting_and_shown_once_granted(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    page = await pages.get(f"/assessments/{token}")
    assert 'name="percent" value="25"' in page.text
    assert 'name="percent" value="100"' in page.text
    asked = await pages.post(f"/assessments/{token}/extra-time", data={"percent": "50"})
    assert asked.status_code == 303
    after = await pages.get(f"/assessments/{token}")
    assert "Your request for 50% extra time was sent" in after.text
    assert "You asked for 50% extra time" in after.text
    odd = await pages.post(f"/assessments/{token}/extra-time", data={"percent": "33"})
    assert "Extra time is one of" in (await pages.get(odd.headers["location"])).text

    current = await client.get(f"/v1/assessments/sessions/{session_id}", headers=tenant.headers)
    granted = await client.put(
        f"/v1/assessments/sessions/{session_id}/accommodation",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"extra_time_percent": 50},
    )
    assert granted.status_code == 200
    limit = invitation["session"]["time_limit_minutes"]
    shown = await pages.get(f"/assessments/{token}")
    assert "50% granted" in shown.text
    assert f"{limit * 3 // 2} minutes" in shown.text or "hour" in shown.text
    await pages.post(f"/assessments/{token}/start")
    late = await pages.post(f"/assessments/{token}/extra-time", data={"percent": "25"})
    assert late.status_code == 303  # too late: back to the page, with the reason
    assert (
        "Extra time can only be requested before starting."
        in (await pages.get(late.headers["location"])).text
    )


async def test_a_job_that_shows_results_shows_the_candidate_their_scores_per_skill(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    auto_scored = ["single_choice", "multiple_choice", "numeric", "ordering"]
    _invitation, token, key = await _taking(
        client, app, tenant, pages, show_result_to_candidate=True, item_types=auto_scored
    )
    for position, content in key.items():
        await pages.post(
            f"/assessments/{token}/answers/{position}", data=form_of(content, right_answer(content))
        )
    await pages.post(f"/assessments/{token}/submit")
    done = await pages.get(f"/assessments/{token}")
    assert "Your answers were submitted" in done.text
    assert "Your result" in done.text
    assert "<strong>100</strong> out of 100" in done.text
    assert done.text.count('class="chart-bar"') >= 1


async def test_an_sql_answer_shows_its_tables_and_says_when_the_query_would_not_run(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    only_sql = [{"skill_id": "sql", "name": "SQL", "weight": 1.0, "items": 2, "proficiency": 3}]
    _invitation, token, key = await _taking(client, app, tenant, pages, skills=only_sql, item_types=["sql"])
    taking = await pages.get(f"/assessments/{token}/take")
    assert taking.text.count('class="code-input"') == 2
    assert "CREATE TABLE" in taking.text
    assert all(content["solution"] not in taking.text for content in key.values())
    broken = {"type": "sql", "query": "SELECT nothing FROM nowhere"}
    fragment = await pages.post(f"/assessments/{token}/answers/0", data=broken, headers=HTMX)
    assert fragment.status_code == 200
    assert 'class="save-warning"' in fragment.text
    assert "It would not run" in fragment.text
    plain = await pages.post(f"/assessments/{token}/answers/0", data=broken)
    assert "It would not run" in (await pages.get(plain.headers["location"])).text
    good = await pages.post(
        f"/assessments/{token}/answers/1", data=form_of(key[1], right_answer(key[1])), headers=HTMX
    )
    assert 'class="save-ok"' in good.text
