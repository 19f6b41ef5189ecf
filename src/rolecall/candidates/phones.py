"""Candidate phone numbers, parsed and normalised to E.164 with ``phonenumbers`` (libphonenumber data).

A number must carry its country code (``+49 30 1234567`` or ``0049 30 1234567``): Rolecall takes
candidates from anywhere, so guessing a default region would file a German "030 1234567" under
whatever country the operator is in and make duplicate detection match the wrong people. The number
must also be *valid* for its country by the library's metadata (length and number ranges), which
refuses "+49 1" and other typos the old digit count let through.

Numbers are stored and indexed in E.164 (``+49301234567``), so "+49 30 1234567" and "0049-30-1234567"
are one candidate. The blind index is still :meth:`rolecall.platform.pii.BlindIndex.phone` of that
form, which for an E.164 string is the digest of the string itself.
"""

from __future__ import annotations

import phonenumbers

from rolecall.platform.pii import BlindIndex, normalise_phone


def to_e164(value: str) -> str:
    """The number in E.164; :class:`ValueError` (without echoing the value) when it is not usable."""
    text = normalise_phone(value)  # the library's own parser is lax about letters; this is not
    if not text.startswith("+"):
        raise ValueError("a phone number needs its country code, written with a leading + or 00")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_index(index: BlindIndex, value: str) -> str:
    """The blind index of a phone number as it is stored now (E.164)."""
    return index.phone(to_e164(value))


def for_display(value: str) -> str:
    """An E.164 number grouped for people (``+44 20 7946 0958``); anything unparsable as stored."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
