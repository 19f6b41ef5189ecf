"""iCalendar (RFC 5545) interview invitations, as iTIP (RFC 5546) REQUEST and CANCEL messages.

The ``icalendar`` package writes the text: it escapes ``\\``, ``;``, ``,`` and newlines in TEXT values,
quotes parameter values and encodes quotes and newlines in them (RFC 6868), and folds lines at 75
octets without splitting a UTF-8 sequence. This module adds what the library leaves to its caller:

* times are converted to UTC and written as ``...Z`` at whole seconds (no VTIMEZONE needed);
* TEXT is cleaned of control characters RFC 5545 forbids (all but tab and newline; CR and CRLF become
  LF), and display names are flattened to one line with double quotes turned into apostrophes, since
  several calendar clients do not decode RFC 6868;
* addresses, URLs and UIDs are validated rather than escaped, so hostile input fails loudly;
* nothing depends on the clock or on randomness: the same arguments give the same bytes.

A reschedule is a new REQUEST with the same UID and a higher SEQUENCE; a cancellation is a CANCEL with
the same UID, a higher SEQUENCE and ``STATUS:CANCELLED``. Keeping the sequence is the caller's job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, Literal
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress

Method = Literal["REQUEST", "CANCEL"]
Person = tuple[str, str]  # (display name, email address)

PRODID: Final = "-//Rolecall//Interview invitations//EN"
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+")


def content_type(method: Method) -> str:
    """The MIME type for an invitation attachment or response (iTIP asks for the method parameter)."""
    return f"text/calendar; method={method}; charset=UTF-8"


def invite(
    *,
    uid: str,
    sequence: int,
    start: datetime,
    duration: timedelta,
    summary: str,
    description: str,
    location: str | None,
    url: str | None,
    organizer: Person,
    attendees: Sequence[Person],
    method: Method,
    stamp: datetime,
) -> bytes:
    """One VCALENDAR with one VEVENT, encoded as UTF-8 with CRLF line endings.

    ``start`` and ``stamp`` must be timezone-aware. ``url`` must be http(s). Attendees are listed in the
    given order, each with ``ROLE=REQ-PARTICIPANT`` (plus ``PARTSTAT=NEEDS-ACTION`` and ``RSVP=TRUE`` on
    a REQUEST). Raises :class:`ValueError` for invalid input.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError("method must be REQUEST or CANCEL")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
        raise ValueError("sequence must be a non-negative integer")
    if not isinstance(duration, timedelta) or duration.total_seconds() < 1:
        raise ValueError("duration must be at least one second")
    if not attendees:
        raise ValueError("an invitation needs at least one attendee")
    begins = _utc(start, "start")
    ends = (start.astimezone(UTC) + duration).replace(microsecond=0)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", _uid(uid))
    event.add("sequence", sequence)
    event.add("dtstamp", _utc(stamp, "stamp"))
    event.add("dtstart", begins)
    event.add("dtend", ends)
    event.add("summary", _text(summary))
    event.add("description", _text(description))
    if location is not None and _text(location).strip():
        event.add("location", _text(location).strip())
    if url is not None:
        event.add("url", _url(url))
    event.add("organizer", _address(organizer, role=None))
    seen: set[str] = set()
    for attendee in attendees:
        address = _address(attendee, role="REQ-PARTICIPANT", rsvp=method == "REQUEST")
        key = str(address).lower()
        if key in seen:
            raise ValueError("an attendee address appears more than once")
        seen.add(key)
        event.add("attendee", address)
    event.add("status", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    output: bytes = calendar.to_ical()  # the library's return type is untyped
    return output


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(UTC).replace(microsecond=0)


def _text(value: str) -> str:
    """Newlines as LF, and no control characters but tab and LF (RFC 5545 section 3.3.11)."""
    unified = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return "".join(
        char for char in unified if char in "\t\n" or unicodedata.category(char) not in ("Cc", "Cs")
    )


def _name(value: str) -> str:
    """A display name on one line: whitespace runs collapse to one space, quotes become apostrophes."""
    return " ".join(_text(value).split()).replace('"', "'")


def _uid(value: str) -> str:
    if not value or value != value.strip() or any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("uid must be non-empty, without surrounding spaces or control characters")
    return value


def _url(value: str) -> str:
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("url cannot contain whitespace or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("url must be an absolute http or https URL")
    return value


def _address(person: Person, *, role: str | None, rsvp: bool = False) -> vCalAddress:
    name, email = person
    email = email.strip()
    if not _EMAIL.fullmatch(email) or any(unicodedata.category(char) == "Cc" for char in email):
        raise ValueError("not a usable email address for an invitation")
    address = vCalAddress(f"mailto:{email}")
    display = _name(name)
    if display:
        address.params["CN"] = display
    if role is not None:
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = role
        if rsvp:
            address.params["PARTSTAT"] = "NEEDS-ACTION"
            address.params["RSVP"] = "TRUE"
    return address
