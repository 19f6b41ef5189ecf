"""iCalendar interview invitations (rolecall.platform.ics), read back with icalendar and by hand."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from icalendar import Calendar, Component

from rolecall.platform.ics import PRODID, content_type, invite

BERLIN_SUMMER = timezone(timedelta(hours=2))
START = datetime(2025, 6, 2, 14, 30, tzinfo=BERLIN_SUMMER)  # 12:30 UTC
STAMP = datetime(2025, 5, 30, 9, 0, tzinfo=UTC)


def arguments(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "uid": "interview-0190d2a4@rolecall.test",
        "sequence": 0,
        "start": START,
        "duration": timedelta(minutes=45),
        "summary": "Interview: Backend Engineer",
        "description": "Technical interview.\nBring questions.",
        "location": "Room 4.2",
        "url": "https://meet.example.com/abc-defg-hij",
        "organizer": ("Rita Recruiter", "rita@acme.test"),
        "attendees": [("Ann Lee", "ann@example.com"), ("Ivan Interviewer", "ivan@acme.test")],
        "method": "REQUEST",
        "stamp": STAMP,
    }
    values.update(overrides)
    return values


def build(**overrides: Any) -> bytes:
    return invite(**arguments(**overrides))


def parse(data: bytes) -> tuple[Calendar, Component]:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def unfold(data: bytes) -> list[str]:
    """A minimal RFC 5545 section 3.1 unfolder: CRLF followed by one space or tab joins lines."""
    assert data.endswith(b"\r\n")
    joined = re.sub(rb"\r\n[ \t]", b"", data)
    return joined.decode("utf-8").split("\r\n")[:-1]


def content_line(data: bytes, name: str) -> list[str]:
    return [line for line in unfold(data) if re.match(rf"{name}[;:]", line)]


def attendee_params(event: Component) -> list[Any]:
    value = event["ATTENDEE"]
    return value if isinstance(value, list) else [value]


# -- structure and fields -----------------------------------------------------------------------------


def test_request_fields_parse_back() -> None:
    calendar, event = parse(build())
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "interview-0190d2a4@rolecall.test"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("DTSTART") == datetime(2025, 6, 2, 12, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2025, 6, 2, 13, 15, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Interview: Backend Engineer"
    assert str(event["DESCRIPTION"]) == "Technical interview.\nBring questions."
    assert str(event["LOCATION"]) == "Room 4.2"
    assert str(event["URL"]) == "https://meet.example.com/abc-defg-hij"
    assert str(event["STATUS"]) == "CONFIRMED"
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:rita@acme.test"
    assert organizer.params["CN"] == "Rita Recruiter"


def test_attendees_in_order_with_name_and_role() -> None:
    _, event = parse(build())
    attendees = attendee_params(event)
    assert [str(a) for a in attendees] == ["mailto:ann@example.com", "mailto:ivan@acme.test"]
    assert [a.params["CN"] for a in attendees] == ["Ann Lee", "Ivan Interviewer"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"


def test_envelope_and_single_event() -> None:
    lines = unfold(build())
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 1
    assert lines.count("END:VEVENT") == 1
    assert "VERSION:2.0" in lines
    assert "METHOD:REQUEST" in lines


def test_times_are_written_in_utc() -> None:
    data = build(start=datetime(2025, 1, 15, 9, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=-5))))
    assert content_line(data, "DTSTART") == ["DTSTART:20250115T140000Z"]
    assert content_line(data, "DTEND") == ["DTEND:20250115T144500Z"]
    assert content_line(data, "DTSTAMP") == ["DTSTAMP:20250530T090000Z"]
    assert b"VTIMEZONE" not in data
    assert b"TZID" not in data


def test_optional_location_and_url() -> None:
    data = build(location=None, url=None)
    _, event = parse(data)
    assert "LOCATION" not in event
    assert "URL" not in event
    _, event = parse(build(location="   "))
    assert "LOCATION" not in event


def test_output_is_deterministic() -> None:
    assert build() == build()
    assert build() != build(stamp=STAMP + timedelta(seconds=1))
    assert build() != build(attendees=list(reversed(arguments()["attendees"])))


def test_content_type() -> None:
    assert content_type("REQUEST") == "text/calendar; method=REQUEST; charset=UTF-8"
    assert content_type("CANCEL") == "text/calendar; method=CANCEL; charset=UTF-8"


# -- reschedule and cancel --------------------------------------------------------------------------------


def test_reschedule_keeps_uid_and_raises_sequence() -> None:
    _, first = parse(build())
    _, moved = parse(build(sequence=1, start=START + timedelta(days=1)))
    assert str(moved["UID"]) == str(first["UID"])
    assert moved.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert moved.decoded("DTSTART") - first.decoded("DTSTART") == timedelta(days=1)
    assert str(moved["STATUS"]) == "CONFIRMED"


def test_cancel_has_same_uid_higher_sequence_and_cancelled_status() -> None:
    request_calendar, request = parse(build(sequence=1))
    cancel_calendar, cancel = parse(build(sequence=2, method="CANCEL"))
    assert str(request_calendar["METHOD"]) == "REQUEST"
    assert str(cancel_calendar["METHOD"]) == "CANCEL"
    assert str(cancel["UID"]) == str(request["UID"])
    assert cancel.decoded("SEQUENCE") == 2 > request.decoded("SEQUENCE")
    assert str(cancel["STATUS"]) == "CANCELLED"
    attendees = attendee_params(cancel)
    assert [str(a) for a in attendees] == ["mailto:ann@example.com", "mailto:ivan@acme.test"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert "RSVP" not in attendee.params  # nothing to answer on a cancellation


# -- escaping and folding -----------------------------------------------------------------------------------

HOSTILE = "Hi, you; there \\ back\r\nEND:VEVENT\nBEGIN:VALARM\rX-EVIL:1\x00\x07\x1b\x7f\ttab"
HOSTILE_CLEAN = "Hi, you; there \\ back\nEND:VEVENT\nBEGIN:VALARM\nX-EVIL:1\ttab"


def test_hostile_text_is_escaped_and_reads_back() -> None:
    data = build(summary=HOSTILE, description=HOSTILE, location=HOSTILE)
    _, event = parse(data)
    for name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
        assert str(event[name]) == HOSTILE_CLEAN
    lines = unfold(data)
    assert lines.count("BEGIN:VEVENT") == 1
    assert lines.count("END:VEVENT") == 1
    assert not any(line.startswith(("BEGIN:VALARM", "X-EVIL")) for line in lines)
    (summary,) = content_line(data, "SUMMARY")
    assert summary == r"SUMMARY:Hi\, you\; there \\ back\nEND:VEVENT\nBEGIN:VALARM\nX-EVIL:1" + "\ttab"


def test_control_characters_are_dropped() -> None:
    data = build(summary="a\x00b\x08c\x1bd\x7fe\x85f", description="ok")
    assert content_line(data, "SUMMARY") == ["SUMMARY:abcdef"]
    for forbidden in (b"\x00", b"\x08", b"\x1b", b"\x7f", "\x85".encode()):
        assert forbidden not in data


def test_unicode_line_separators_become_newlines() -> None:
    _, event = parse(build(description="one\u2028two\u2029three"))
    assert str(event["DESCRIPTION"]) == "one\ntwo\nthree"


def test_hostile_display_names_stay_inside_their_parameter() -> None:
    evil = 'Eve "the" Hacker;ROLE=CHAIR:mailto:boss@acme.test\r\nX-EVIL:1'
    data = build(attendees=[(evil, "eve@example.com")], organizer=("Rita\n  Recruiter", "rita@acme.test"))
    _, event = parse(data)
    (attendee,) = attendee_params(event)
    assert str(attendee) == "mailto:eve@example.com"
    assert attendee.params["CN"] == "Eve 'the' Hacker;ROLE=CHAIR:mailto:boss@acme.test X-EVIL:1"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert event["ORGANIZER"].params["CN"] == "Rita Recruiter"
    assert not any(line.startswith("X-EVIL") for line in unfold(data))


def test_empty_display_name_is_left_out() -> None:
    _, event = parse(build(attendees=[("  ", "ann@example.com")]))
    (attendee,) = attendee_params(event)
    assert "CN" not in attendee.params


def test_urls_with_separators_survive() -> None:
    url = "https://meet.example.com/j/123?pwd=a,b;c&x=%20"
    _, event = parse(build(url=url))
    assert str(event["URL"]) == url


LONG = ("Ünïcödé, commas; semicolons\\ and emoji 🙂🙂 and 漢字かな " * 12) + "\n" + "x" * 300


def test_long_lines_fold_at_75_octets_without_splitting_characters() -> None:
    data = build(summary=LONG, description=LONG, attendees=[("N" * 120, "ann@example.com")])
    physical = data.split(b"\r\n")
    assert physical[-1] == b""  # every line, the last included, ends with CRLF
    physical = physical[:-1]
    assert all(len(line) <= 75 for line in physical), max(len(line) for line in physical)
    assert sum(line.startswith(b" ") for line in physical) > 10  # folding really happened
    assert b"\n" not in data.replace(b"\r\n", b"")  # no bare LF anywhere
    for line in physical:
        line.decode("utf-8")  # a fold never cuts a multi-byte sequence
    _, event = parse(data)
    assert str(event["SUMMARY"]) == LONG
    assert str(event["DESCRIPTION"]) == LONG
    (attendee,) = attendee_params(event)
    assert attendee.params["CN"] == "N" * 120
    (summary,) = content_line(data, "SUMMARY")
    assert summary.startswith("SUMMARY:Ünïcödé\\, commas\\; semicolons\\\\ and emoji 🙂🙂")


# -- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": datetime(2025, 6, 2, 14, 30)}, "start must be a timezone-aware"),
        ({"stamp": datetime(2025, 6, 2, 14, 30)}, "stamp must be a timezone-aware"),
        ({"sequence": -1}, "sequence"),
        ({"sequence": True}, "sequence"),
        ({"sequence": "1"}, "sequence"),
        ({"duration": timedelta(0)}, "duration"),
        ({"duration": timedelta(minutes=-30)}, "duration"),
        ({"attendees": []}, "at least one attendee"),
        ({"attendees": [("A", "ann@example.com"), ("B", "ANN@example.com")]}, "more than once"),
        ({"attendees": [("A", "not-an-email")]}, "email"),
        ({"attendees": [("A", "ann@example.com\r\nX-EVIL:1")]}, "email"),
        ({"attendees": [("A", "ann@exa mple.com")]}, "email"),
        ({"organizer": ("R", "rita@acme.test;ROLE=CHAIR")}, "email"),
        ({"organizer": ("R", "")}, "email"),
        ({"url": "javascript:alert(1)"}, "http"),
        ({"url": "https://meet.example.com/a\r\nX-EVIL:1"}, "url"),
        ({"url": "https://meet.example.com/a b"}, "url"),
        ({"url": "/relative/path"}, "http"),
        ({"uid": ""}, "uid"),
        ({"uid": "abc\r\nX-EVIL:1"}, "uid"),
        ({"uid": " abc"}, "uid"),
        ({"method": "PUBLISH"}, "method"),
    ],
)
def test_invalid_input_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build(**overrides)
