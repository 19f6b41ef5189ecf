"""``pipeline.service.candidate_applications``: a candidate's applications, 404 beyond the organisation."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from rolecall.pipeline import service
from rolecall.platform.db import transaction
from rolecall.platform.errors import NotFound
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, create_application, create_candidate


async def test_a_candidates_applications_are_listed_and_anyone_elses_candidate_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    applied = await create_application(client, app, tenant)
    idle = await create_candidate(client, tenant)
    candidate_id = uuid.UUID(applied["candidate_id"])

    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        found = await service.candidate_applications(session, candidate_id)
        assert [(str(f.id), str(f.job_id)) for f in found] == [(applied["id"], applied["job_id"])]
        assert await service.candidate_applications(session, uuid.UUID(idle["id"])) == []
        with pytest.raises(NotFound):
            await service.candidate_applications(session, uuid.uuid4())

    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, other_tenant.organisation_id)
        with pytest.raises(NotFound):
            await service.candidate_applications(session, candidate_id)
