"""A client generated from the published document does a hiring round trip, as a third party would.

``openapi-python-client`` turns ``/openapi.json`` into a Python package; the test imports that package
and, through its operations only, gets and refreshes a token, lists jobs, forks a role profile,
creates and opens a job with a file question, reads the public application form, applies as a
candidate with a PDF resume and a file answer (the multipart operation) and finds the application.
The generated code is what breaks when the document misdescribes an operation (a form body it cannot
send, a multipart part it cannot build, a token it does not send, a response it cannot parse), so a
wrong document fails this test.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import service as identity
from rolecall.platform.db import transaction
from tests.candidates.test_resumes import make_pdf
from tests.contract.conftest import APP
from tests.factories import PASSWORD, deliver

# Unique, so that the import cannot pick up another package and a rerun in one process starts clean.
PACKAGE = f"rolecall_generated_client_{uuid.uuid4().hex[:8]}"
BASE_URL = "http://rolecall.test"
RESUME = make_pdf([["Grace Applicant", "Skills: Python, PostgreSQL, Kubernetes", "Eight years of APIs."]])
PORTFOLIO = make_pdf([["Grace Applicant - portfolio", "A payments API serving two million requests a day."]])


def _generator() -> Path | None:
    """Where openapi-python-client is installed.

    It caps typer below the runtime pin, so ``make install-dev`` gives it an environment of its own
    (``.venv/tools/openapi-python-client``, pinned by constraints-tools.txt); the variable
    ``ROLECALL_OPENAPI_PYTHON_CLIENT`` points elsewhere, and one beside this interpreter or on PATH
    will also do.
    """
    name = "openapi-python-client"
    candidates = [
        os.environ.get("ROLECALL_OPENAPI_PYTHON_CLIENT"),
        Path(sys.prefix) / "tools" / name / "bin" / name,
        Path(sys.executable).with_name(name),
        shutil.which(name),
    ]
    return next((Path(found) for found in candidates if found and Path(found).is_file()), None)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """Generate the client once per module from the document the contract tools see, and import it."""
    generator = _generator()
    if generator is None:
        message = "openapi-python-client is not installed (make install-dev)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("generated-client")
    (root / "openapi.json").write_text(json.dumps(APP.openapi()))
    # The generator formats its output with the ruff found on PATH: the one installed beside it.
    env = {**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(generator), "generate", "--path", str(root / "openapi.json"), "--meta", "none"]
    command += ["--output-path", str(root / PACKAGE)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # Warnings about media types the generator does not handle (CSV, YAML, XML feeds) are expected;
    # an error means it could not read the document itself.
    assert "Error" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Generated:
    """The generated package's modules, looked up by the operation ids the document publishes."""

    def __init__(self, package: ModuleType) -> None:
        self.package = package

    def __getattr__(self, name: str) -> Any:
        return importlib.import_module(f"{self.package.__name__}.{name}")

    def operation(self, tag: str, operation_id: str) -> Any:
        # ``jobs.create`` in the document becomes ``api/jobs/jobs_create.py``.
        return importlib.import_module(f"{self.package.__name__}.api.{tag}.{operation_id.replace('.', '_')}")


async def _organisation(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """A fresh organisation whose admin signs in with a password: the one thing made outside the client."""
    email = f"admin-{uuid.uuid4().hex[:8]}@example.test"
    async with transaction(sessionmaker) as session:
        await identity.create_organisation(
            session, name="Generated Client Ltd", admin_email=email, admin_password=PASSWORD
        )
    return email


async def test_a_generated_client_signs_in_creates_a_job_and_applies_with_a_pdf(
    generated: ModuleType, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    email = await _organisation(sessionmaker)
    api = Generated(generated)
    models = api.models
    transport = httpx.ASGITransport(app=app, client=("203.0.113.20", 52000))
    http = {"transport": transport}

    async with api.client.Client(base_url=BASE_URL, httpx_args=http) as anonymous:
        # Authenticate: the token operation's form body, built from the generated model.
        token = await api.operation("oauth", "oauth.token").asyncio_detailed(
            client=anonymous,
            body=models.OauthTokenForm(grant_type="password", username=email, password=PASSWORD),
        )
        assert token.status_code == 200, token.content
        tokens = json.loads(token.content)
        assert tokens["token_type"].lower() == "bearer"
        refreshed = await api.operation("oauth", "oauth.token").asyncio_detailed(
            client=anonymous,
            body=models.OauthTokenForm(grant_type="refresh_token", refresh_token=tokens["refresh_token"]),
        )
        assert refreshed.status_code == 200, refreshed.content
        access_token = json.loads(refreshed.content)["access_token"]

        # The generated AuthenticatedClient builds its own HTTP client and sends the token itself.
        async with api.client.AuthenticatedClient(
            base_url=BASE_URL, token=access_token, httpx_args=http
        ) as staff:
            jobs_list = api.operation("jobs", "jobs.list")
            listed = await jobs_list.asyncio_detailed(client=staff)
            assert listed.status_code == 200, listed.content
            assert isinstance(listed.parsed, models.PageJobOut)
            assert listed.parsed.items == []

            profile = await api.operation("roles", "role_profiles.create").asyncio_detailed(
                client=staff, body=models.RoleProfileCreate(from_library="backend-engineer")
            )
            assert profile.status_code == 201, profile.content
            assert isinstance(profile.parsed, models.RoleProfileOut)

            portfolio_question = models.Question(
                key="portfolio", label="A piece of work you are proud of", type_=models.QuestionType.FILE
            )
            portfolio_question.required = True
            created = await api.operation("jobs", "jobs.create").asyncio_detailed(
                client=staff,
                body=models.JobCreate(
                    role_profile_id=profile.parsed.id,
                    level=models.JobCreateLevel.SENIOR,
                    department="Engineering",
                    work_arrangement=models.JobCreateWorkArrangement.HYBRID,
                    locations=[models.Location(city="Berlin", country="DE")],
                    application_form=[portfolio_question],
                ),
            )
            assert created.status_code == 201, created.content
            assert isinstance(created.parsed, models.JobOut)
            assert created.parsed.status == models.JobOutStatus.DRAFT
            job_id = created.parsed.id

            opened = await api.operation("jobs", "jobs.open").asyncio_detailed(job_id, client=staff)
            assert opened.status_code == 200, opened.content
            assert opened.parsed.status == models.JobOutStatus.OPEN
            await deliver(app)  # the board projection and search index follow the outbox

            listed = await jobs_list.asyncio_detailed(client=staff)
            assert [job.id for job in listed.parsed.items] == [job_id]

            # The careers page: the posting's form, then the multipart apply built from the document
            # (the ``application`` JSON part, the ``resume`` file, one ``file_<key>`` part per file question).
            form = await api.operation("applying", "applying.form").asyncio_detailed(job_id, client=anonymous)
            assert form.status_code == 200, form.content
            assert isinstance(form.parsed, models.ApplicationForm)
            questions = [question.additional_properties for question in form.parsed.questions]
            assert any(question.get("key") == "portfolio" for question in questions), questions
            applicant = f"grace-{uuid.uuid4().hex[:8]}@example.com"
            body = models.ApplyingApplyBody(
                application=models.PublicApplication(
                    full_name="Grace Applicant",
                    email=applicant,
                    consent=models.Consent(given=True, text_version=form.parsed.consent_version),
                ),
                resume=api.types.File(
                    payload=BytesIO(RESUME), file_name="grace.pdf", mime_type="application/pdf"
                ),
            )
            body["file_portfolio"] = api.types.File(
                payload=BytesIO(PORTFOLIO), file_name="portfolio.pdf", mime_type="application/pdf"
            )
            applied = await api.operation("applying", "applying.apply").asyncio_detailed(
                job_id, client=anonymous, body=body
            )
            assert applied.status_code == 202, applied.content
            assert isinstance(applied.parsed, models.ApplyResult)
            assert applied.parsed.status == "received"
            await deliver(app)

            applications = await api.operation("applications", "applications.list").asyncio_detailed(
                client=staff, job_id=job_id
            )
            assert applications.status_code == 200, applications.content
            [application] = applications.parsed.items
            assert application.job_id == job_id
            assert application.source == "careers_board"
            assert application.resume_file_id is not None  # the PDF part arrived and was stored
            detail = await api.operation("applications", "applications.get").asyncio_detailed(
                application.id, client=staff
            )
            assert detail.status_code == 200, detail.content
            assert (
                "file_id" in detail.parsed.answers.additional_properties["portfolio"]
            )  # the file_<key> part


async def test_a_generated_client_reads_tokens_and_refusals_as_models(
    generated: ModuleType, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    email = await _organisation(sessionmaker)
    api = Generated(generated)
    models, token = api.models, api.operation("oauth", "oauth.token")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.21", 52001))
    async with api.client.Client(base_url=BASE_URL, httpx_args={"transport": transport}) as anonymous:
        signed_in = await token.asyncio_detailed(
            client=anonymous,
            body=models.OauthTokenForm(grant_type="password", username=email, password=PASSWORD),
        )
        assert signed_in.status_code == 200, signed_in.content
        assert isinstance(signed_in.parsed, models.TokenResponse)
        assert signed_in.parsed.token_type.lower() == "bearer"
        assert signed_in.parsed.refresh_token

        # A wrong password is an RFC 6749 error body, which the generated code must be able to read.
        refused = await token.asyncio_detailed(
            client=anonymous,
            body=models.OauthTokenForm(grant_type="password", username=email, password="wrong"),
        )
        assert refused.status_code == 400, refused.content
        assert isinstance(refused.parsed, models.OAuthError)
        assert refused.parsed.error == "invalid_grant"
