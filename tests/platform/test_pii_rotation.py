"""``rolecall rotate-keys`` reaches every sealed column, not only the candidates' own fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.interviews import service as interviews
from rolecall.offers import service as offers
from rolecall.pipeline import service as pipeline
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, apply, create_user, move_application, open_job
from tests.interviews.support import took_place
from tests.offers.support import draft_offer

KEY_A = f"ka:{KeyRing.generate_key()}"
KEY_B = f"kb:{KeyRing.generate_key()}"
FORM = [{"key": "why", "label": "Why us?", "type": "long_text", "required": True}]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"pii_keys": SecretStr(KEY_A)})


async def tokens(
    sessionmaker: async_sessionmaker[AsyncSession], sealed: SealedColumn
) -> list[tuple[Any, str]]:
    async with transaction(sessionmaker) as session:
        column = getattr(sealed.model, sealed.column)
        stmt = select(sealed.model.id, column).where(column.is_not(None)).execution_options(**all_tenants())
        return [(row_id, token) for row_id, token in (await session.execute(stmt)).all()]


async def test_answers_scorecard_notes_and_offer_texts_are_resealed(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant, application_form=FORM)
    applied = await apply(client, job["id"], answers={"why": "Robots that sort parcels."})
    application = {"id": applied["application_id"]}
    interview = await client.post(
        f"/v1/applications/{application['id']}/interviews",
        headers=tenant.headers,
        json={
            "title": "Design",
            "starts_at": "2099-01-05T10:00:00+00:00",
            "duration_minutes": 60,
            "interviewer_ids": [str(tenant.admin_id)],
        },
    )
    assert interview.status_code == 201, interview.text
    await took_place(app, interview.json())  # scorecards open once the interview has started
    card_url = f"/v1/interviews/{interview.json()['id']}/scorecards/mine"
    card = await client.get(card_url, headers=tenant.headers)
    noted = await client.put(
        card_url,
        headers={**tenant.headers, "If-Match": card.headers["etag"]},
        json={"notes": "Calm under load."},
    )
    assert noted.status_code == 200, noted.text
    await move_application(client, tenant, application, "Offer")
    offer = await draft_offer(client, tenant, application)
    _, manager = await create_user(client, tenant, "hiring_manager")
    for token in (manager, tenant.token):
        approved = await client.post(
            f"/v1/offers/{offer['id']}/approve",
            headers={"Authorization": f"Bearer {token}"},
            json={"note": "Inside the band."},
        )
        assert approved.status_code == 200, approved.text
    sent = await client.post(f"/v1/offers/{offer['id']}/send", headers=tenant.headers, json={})
    assert sent.status_code == 200, sent.text
    declined = await client.post(
        f"/v1/offers/{offer['id']}/decline", headers=tenant.headers, json={"reason": "Chose another offer."}
    )
    assert declined.status_code == 200, declined.text

    columns = (*pipeline.SEALED_COLUMNS, *interviews.SEALED_COLUMNS, *offers.SEALED_COLUMNS)
    before = {sealed: await tokens(sessionmaker, sealed) for sealed in columns}
    assert all(before.values()), "every sealed column has a value to rotate"
    assert {KeyRing.key_id(token) for found in before.values() for _, token in found} == {"ka"}

    ring = KeyRing.from_setting(f"{KEY_B},{KEY_A}")
    counts = [
        await context.rotate_keys(sessionmaker, ring, batch_size=1)
        for context in (pipeline, interviews, offers)
    ]
    assert sum(counts) == sum(len(found) for found in before.values())
    for sealed in columns:
        after = dict(await tokens(sessionmaker, sealed))
        for row_id, old in before[sealed]:
            context = f"{sealed.prefix}:{row_id}:{sealed.column}"
            assert KeyRing.key_id(after[row_id]) == "kb"
            assert ring.decrypt(after[row_id], context=context) == ring.decrypt(old, context=context)
    assert [
        await context.rotate_keys(sessionmaker, ring, batch_size=50)
        for context in (pipeline, interviews, offers)
    ] == [0, 0, 0]
