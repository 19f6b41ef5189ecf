"""docs/events.md is generated from the event models; publishing a changed contract means regenerating it."""

from __future__ import annotations

from pathlib import Path

from rolecall.platform.contexts import discover
from rolecall.platform.events.base import catalogue
from rolecall.platform.events.catalogue_doc import render

DOC = Path(__file__).parents[1] / "docs" / "events.md"


def test_the_event_catalogue_page_matches_the_models() -> None:
    discover()
    assert DOC.read_text() == render(), "regenerate: rolecall events catalogue > docs/events.md"


def test_every_event_type_is_documented_with_its_members() -> None:
    discover()
    page = DOC.read_text()
    for name, cls in catalogue().items():
        assert f"### {name}\n" in page
        assert (cls.__doc__ or "").strip(), f"{name} has no description"
