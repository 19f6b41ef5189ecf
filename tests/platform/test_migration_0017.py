"""Revision 0017 on rows written before it: tags brought under the rule, campaign details sealed.

The migration itself holds no key: it normalises tags (moving the unusable ones into the campaign
details) and leaves clear details for the seal step, which is the rotation pass ``rolecall migrate``
runs after crossing 0017. Its downgrade wraps tokens so a downgrade and upgrade lose nothing.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rolecall.candidates.keys import rotate_candidate_keys
from rolecall.candidates.models import Candidate
from rolecall.identity import service as identity
from rolecall.pipeline import service as pipeline
from rolecall.pipeline.models import Application
from rolecall.platform import schema
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.ids import new_id
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.factories import PASSWORD
from tests.scratch import scratch_database
from tests.test_cli import database_url, invoke, run  # noqa: F401 - database_url is a fixture

RING = KeyRing.from_setting(f"k1:{KeyRing.generate_key()}")
TAGS_BEFORE = ["Backend Dev", "+44 20 7946 0958", "backend-dev", "Python", "José", "!!!"]


async def _rows(maker: Any, model: Any, row_id: uuid.UUID) -> tuple[Any, ...]:
    async with transaction(maker) as session:
        columns = [model.source_details] + ([model.tags] if model is Candidate else [])
        stmt = select(*columns).where(model.id == row_id).execution_options(**all_tenants())
        return tuple((await session.execute(stmt)).one())


async def test_0017_normalises_tags_moves_the_rest_and_the_seal_step_encrypts_details(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with scratch_database(backend, tmp_path, request) as url:
        schema.upgrade(url, "0016")
        engine = create_engine(url)
        maker = create_sessionmaker(engine)
        try:
            async with transaction(maker) as session:
                created = await identity.create_organisation(
                    session, name="Before", admin_email="before@example.com", admin_password=PASSWORD
                )
                organisation_id = created.organisation.id
            candidate_id, application_id = new_id(), new_id()
            async with transaction(maker) as session:  # rows as the code before 0017 wrote them
                bind_organisation(session, organisation_id)
                session.add(
                    Candidate(
                        id=candidate_id,
                        organisation_id=organisation_id,
                        full_name=RING.encrypt("Ada", context=f"candidate:{candidate_id}:full_name"),
                        links=RING.encrypt("[]", context=f"candidate:{candidate_id}:links"),
                        source="referral",
                        source_details={"utm_source": "ada's newsletter"},
                        tags=TAGS_BEFORE,
                        version=1,
                    )
                )
                session.add(
                    Application(
                        id=application_id,
                        organisation_id=organisation_id,
                        job_id=new_id(),
                        candidate_id=candidate_id,
                        stage="Applied",
                        stage_type="applied",
                        status="active",
                        source="careers_board",
                        source_details={"utm_campaign": "spring"},
                        version=1,
                    )
                )

            schema.upgrade(url, "0017")
            details, tags = await _rows(maker, Candidate, candidate_id)
            assert tags == ["backend-dev", "python", "jose"]
            assert details == {"utm_source": "ada's newsletter", "former_tags": "+44 20 7946 0958, !!!"}
            assert await _rows(maker, Application, application_id) == ({"utm_campaign": "spring"},)

            # The seal step `rolecall migrate` runs after 0017: clear details become tokens.
            await rotate_candidate_keys(maker, RING)
            assert await pipeline.rotate_keys(maker, RING, batch_size=10) == 1
            sealed_candidate = (await _rows(maker, Candidate, candidate_id))[0]
            sealed_application = (await _rows(maker, Application, application_id))[0]
            assert isinstance(sealed_candidate, str)
            assert "newsletter" not in sealed_candidate
            assert json.loads(
                RING.decrypt(sealed_candidate, context=f"candidate:{candidate_id}:source_details")
            ) == {"utm_source": "ada's newsletter", "former_tags": "+44 20 7946 0958, !!!"}
            assert json.loads(
                RING.decrypt(sealed_application, context=f"application:{application_id}:source_details")
            ) == {"utm_campaign": "spring"}

            # Down and up again: tokens are wrapped for the old code, then unwrapped unchanged.
            schema.downgrade(url, "0016")
            assert await _rows(maker, Application, application_id) == ({"_sealed_0017": sealed_application},)
            schema.upgrade(url, "0017")
            assert (await _rows(maker, Candidate, candidate_id)) == (sealed_candidate, tags)
            assert (await _rows(maker, Application, application_id)) == (sealed_application,)
            schema.upgrade(url, "0017")  # at the revision already: nothing changes
            assert (await _rows(maker, Candidate, candidate_id)) == (sealed_candidate, tags)
        finally:
            await engine.dispose()


def test_rolecall_migrate_across_0017_seals_clear_details(database_url: str) -> None:  # noqa: F811
    """The CLI's part: an upgrade that crosses 0017 runs the seal step once, with the keys."""
    assert invoke("migrate").exit_code == 0
    assert invoke("demo").exit_code == 0
    schema.downgrade(database_url, "0016")

    async def plant() -> uuid.UUID:
        engine = create_engine(database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                stmt = select(Candidate).order_by(Candidate.id).limit(1).execution_options(**all_tenants())
                candidate = (await session.scalars(stmt)).one()
                bind_organisation(session, candidate.organisation_id)
                candidate.source_details = {"utm_source": "written-before-0017"}
                return candidate.id
        finally:
            await engine.dispose()

    async def stored(candidate_id: uuid.UUID) -> Any:
        engine = create_engine(database_url)
        try:
            return (await _rows(create_sessionmaker(engine), Candidate, candidate_id))[0]
        finally:
            await engine.dispose()

    candidate_id = run(plant())
    result = invoke("migrate")
    assert result.exit_code == 0, result.output
    assert "sealing campaign details stored in clear (revision 0017)" in result.stdout
    sealed = run(stored(candidate_id))
    assert isinstance(sealed, str)
    assert "written-before-0017" not in sealed
    assert "sealing" not in invoke("migrate").stdout  # at head: nothing more to do
