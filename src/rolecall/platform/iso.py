"""Country and currency codes checked against ISO data (``pycountry``), not against their shape.

``[A-Z]{3}`` let ``ZZZ`` through as a currency: an offer or a salary in it could not be shown,
converted or compared. The code lists come from pycountry's copy of the ISO 3166-1 and ISO 4217
tables (Debian's iso-codes), so a new or withdrawn code follows a dependency update instead of a
hand-kept list. Schemas use the :data:`CountryCode` and :data:`CurrencyCode` types; a refused value
is a 422 whose ``errors[]`` names the field.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Final

import pycountry
from pydantic import AfterValidator, BeforeValidator, StringConstraints

# ISO 4217 codes that are not money a salary or an offer can be paid in: "no currency" and the
# code reserved for testing.
_NOT_MONEY: Final = frozenset({"XXX", "XTS"})


@cache
def country_codes() -> frozenset[str]:
    """Officially assigned ISO 3166-1 alpha-2 country codes."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def currency_codes() -> frozenset[str]:
    """Active ISO 4217 alphabetic currency codes, without ``XXX`` and ``XTS``."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies) - _NOT_MONEY


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def check_country(value: str) -> str:
    if value not in country_codes():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def check_currency(value: str) -> str:
    if value not in currency_codes():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value


# Country codes are normalised to upper case ("de" is DE), as they always were.
CountryCode = Annotated[str, BeforeValidator(_upper), AfterValidator(check_country)]
# Currency codes are taken as written ("eur" is refused, as before); the pattern stays in the JSON
# schema so generated clients know the shape.
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(check_currency)]
