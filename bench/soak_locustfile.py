"""The soak test's users (run by ``bench/soak.py``; see its docstring for the whole set-up).

Every simulated user paces itself with ``constant_throughput``, so the offered load is fixed
(users x rate) whatever the server's latency: a slow server shows up as latency, not as fewer
requests. Half the users talk to each API process. The mix, by weight:

- job seekers: board search as JSON and as the jobs page, the careers page, a posting as JSON and
  as its page (68);
- staff and integrators with a bearer token: a user, a job, a candidate (an audited personal-data
  read), the jobs list and a job's applications (30);
- applicants: a new person applying with a one-page PDF resume (2, which at 200 requests/s is
  4 applications a second, 14,400 an hour: far above any careers site; apply throughput on its own
  is bench/apply.py's subject).

The fixture file (``SOAK_DATA``) is written by ``bench/soak.py`` from the demo organisation.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

from gevent.lock import Semaphore
from locust import FastHttpUser, constant_throughput, task
from urllib3 import encode_multipart_formdata
from urllib3.fields import RequestField

from bench.apply import _application, one_page_pdf

DATA: dict[str, Any] = json.loads(Path(os.environ["SOAK_DATA"]).read_text())
RATE = float(os.environ.get("SOAK_USER_RATE", "2"))
_numbers = itertools.count(1)


class _Token:
    """One bearer token per locust process, fetched again before it expires (password grant)."""

    def __init__(self) -> None:
        self._lock = Semaphore()
        self._value = ""
        self._renew_at = 0.0

    def header(self, client: Any) -> dict[str, str]:
        if time.monotonic() >= self._renew_at:
            with self._lock:
                if time.monotonic() >= self._renew_at:
                    self._fetch(client)
        return {"Authorization": f"Bearer {self._value}"}

    def _fetch(self, client: Any) -> None:
        form = {"grant_type": "password", "username": DATA["email"], "password": DATA["password"]}
        with client.post("/v1/oauth/token", data=form, name="oauth.token", catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"token: {answer.status_code} {answer.text[:200]}")
                raise RuntimeError("no token")
            body = answer.json()
        self._value = body["access_token"]
        self._renew_at = time.monotonic() + body["expires_in"] / 2


TOKEN = _Token()


class _Soak(FastHttpUser):
    abstract = True
    wait_time = constant_throughput(RATE)

    def _get(self, path: str, name: str, **kwargs: Any) -> None:
        with self.client.get(path, name=name, catch_response=True, **kwargs) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} {answer.text[:200]}")

    # Job seekers (68)
    @task(28)
    def board_search(self) -> None:
        self._get("/v1/board/postings", "board.search", params=random.choice(DATA["searches"]))

    @task(10)
    def jobs_page(self) -> None:
        query = random.choice(DATA["searches"]).get("q", "")
        self._get("/jobs", "page /jobs", params={"q": query} if query else None)

    @task(5)
    def careers_page(self) -> None:
        self._get(f"/careers/{DATA['board_slug']}", "page /careers/{slug}")

    @task(15)
    def posting(self) -> None:
        self._get(f"/v1/board/postings/{random.choice(DATA['postings'])}", "board.posting")

    @task(10)
    def posting_page(self) -> None:
        self._get(f"/jobs/{random.choice(DATA['postings'])}", "page /jobs/{id}")

    # Staff and integrators (30)
    @task(6)
    def user(self) -> None:
        self._get(f"/v1/users/{random.choice(DATA['users'])}", "users.get", headers=TOKEN.header(self.client))

    @task(6)
    def job(self) -> None:
        self._get(f"/v1/jobs/{random.choice(DATA['jobs'])}", "jobs.get", headers=TOKEN.header(self.client))

    @task(8)
    def candidate(self) -> None:
        path = f"/v1/candidates/{random.choice(DATA['candidates'])}"
        self._get(path, "candidates.get", headers=TOKEN.header(self.client))

    @task(5)
    def jobs_list(self) -> None:
        self._get("/v1/jobs", "jobs.list", params={"limit": 20}, headers=TOKEN.header(self.client))

    @task(5)
    def applications(self) -> None:
        params = {"job_id": random.choice(DATA["jobs"]), "limit": 20}
        self._get("/v1/applications", "applications.list", params=params, headers=TOKEN.header(self.client))

    # Applicants (2)
    @task(2)
    def apply(self) -> None:
        form = random.choice(DATA["forms"])
        body = _application(form, next(_numbers))
        body["email"] = f"soak-{uuid.uuid4().hex}@example.com"
        application = RequestField(name="application", data=json.dumps(body))
        application.make_multipart(content_type="application/json")
        resume = RequestField(name="resume", data=one_page_pdf(body["full_name"]), filename="resume.pdf")
        resume.make_multipart(content_type="application/pdf")
        payload, content_type = encode_multipart_formdata([application, resume])
        path = f"/v1/board/postings/{form['posting_id']}/applications"
        headers = {"Content-Type": content_type}
        sent = self.client.post(path, data=payload, headers=headers, name="apply", catch_response=True)
        with sent as answer:
            if answer.status_code != 202:
                answer.failure(f"{answer.status_code} {answer.text[:200]}")


class FirstProcess(_Soak):
    host = os.environ["SOAK_HOST_1"]


class SecondProcess(_Soak):
    host = os.environ["SOAK_HOST_2"]
