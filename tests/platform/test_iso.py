"""Countries and currencies are checked against ISO data: ``ZZZ`` is a 422 naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from rolecall.platform.iso import CountryCode, CurrencyCode, country_codes, currency_codes
from tests.factories import Tenant, create_job, fork_profile, job_body
from tests.offers.support import application_at_offer, offer_body


def test_the_code_lists_come_from_iso_data() -> None:
    assert {"DE", "US", "GB", "JP", "BR"} <= country_codes()
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "XOF"} <= currency_codes()
    assert len(country_codes()) >= 249
    # Not money, or not a code at all.
    assert not {"ZZZ", "XXX", "XTS", "ABC"} & currency_codes()
    assert not {"ZZ", "XX", "UK", "EU"} & country_codes()


@pytest.mark.parametrize("code", ["ZZZ", "XXX", "EURO", "eur", "US$", ""])
def test_a_currency_that_is_not_iso_4217_is_refused(code: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(CurrencyCode).validate_python(code)


def test_country_codes_are_normalised_then_checked() -> None:
    adapter = TypeAdapter(CountryCode)
    assert adapter.validate_python(" de ") == "DE"
    for code in ("ZZ", "UK", "DEU"):
        with pytest.raises(ValidationError):
            adapter.validate_python(code)


def _refused(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert field in [error["field"] for error in errors], errors
    return next(error for error in errors if error["field"] == field)


async def test_jobs_refuse_non_iso_currencies_and_countries(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    salary = {"min": 110_000, "max": 150_000, "currency": "ZZZ"}
    created = await client.post("/v1/jobs", headers=tenant.headers, json=job_body(profile, salary=salary))
    error = _refused(created, "body.salary.currency")
    assert "ISO 4217" in error["message"]
    places = [{"city": "Nowhere", "country": "ZZ"}]
    located = await client.post("/v1/jobs", headers=tenant.headers, json=job_body(profile, locations=places))
    assert "ISO 3166" in _refused(located, "body.locations.0.country")["message"]
    remote = await client.post(
        "/v1/jobs", headers=tenant.headers, json=job_body(profile, remote_countries=["DE", "ZZ"])
    )
    _refused(remote, "body.remote_countries.1")
    # Valid codes are accepted, as before.
    job = await create_job(
        client,
        tenant,
        profile,
        salary={"min": 1, "max": 2, "currency": "CHF"},
        work_arrangement="remote",
        remote_countries=["ch", "AT"],
    )
    assert job["salary"]["currency"] == "CHF"
    assert job["remote_countries"] == ["CH", "AT"]


async def test_offers_refuse_non_iso_currencies(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    offers = f"/v1/applications/{application['id']}/offers"
    refused = await client.post(offers, headers=tenant.headers, json=offer_body(currency="ZZZ"))
    _refused(refused, "body.currency")
    accepted = await client.post(offers, headers=tenant.headers, json=offer_body(currency="USD"))
    assert accepted.status_code == 201, accepted.text
