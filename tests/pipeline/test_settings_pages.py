"""The pipeline settings page: reject reasons and consent, saved like PATCH /v1/pipeline-settings."""

from __future__ import annotations

import re

import httpx

from tests.factories import Tenant
from tests.web.support import sign_in


def _fields(html: str) -> dict[str, str]:
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    values.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    return values


async def test_reject_reasons_and_consent_are_saved_through_the_page(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    values = _fields((await pages.get("/app/settings/pipeline")).text)
    values = {k: v for k, v in values.items() if not k.startswith(("key_", "label_"))}
    values.update(
        {
            "key_0": "no_permit",
            "label_0": "No work permit",
            "key_1": "salary",
            "label_1": "Salary expectations",
            "consent_text": "We keep your application for twelve months to consider you for this job.",
            "consent_version": "acme-2026-12",
        }
    )

    saved = await pages.post("/app/settings/pipeline", data=values)

    assert saved.status_code == 303, saved.text
    settings = (await client.get("/v1/pipeline-settings", headers=tenant.headers)).json()
    assert [r["key"] for r in settings["reject_reasons"]] == ["no_permit", "salary"]
    assert settings["consent_version"] == "acme-2026-12"


async def test_a_new_consent_text_without_a_new_version_is_refused_and_kept(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    values = _fields((await pages.get("/app/settings/pipeline")).text)
    values["consent_text"] = "A different consent text that is long enough to be accepted."

    refused = await pages.post("/app/settings/pipeline", data=values)

    assert refused.status_code == 422
    assert "A changed consent text needs a new consent_version." in refused.text
    assert "A different consent text that is long enough" in refused.text
    settings = (await client.get("/v1/pipeline-settings", headers=tenant.headers)).json()
    assert settings["consent_text"] != values["consent_text"]
