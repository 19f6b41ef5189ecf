"""Every declared event type is a usable contract, and what producers write matches their models.

The first tests build a sample of each type from its own field types, so a type whose subject
template names a missing member, whose schema cannot be generated, or whose data does not survive
a round trip through the outbox fails here rather than at a receiver. The last one loads the demo
into a fresh database and parses every outbox row it produced with its class: a producer whose
data drifted from its model (a renamed, missing or undeclared member) fails it.
"""

from __future__ import annotations

import asyncio
import json
import types
import typing
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, Union

import pytest
from pydantic import BaseModel
from sqlalchemy import select
from typer.testing import CliRunner

from rolecall.cli import app as cli
from rolecall.config import get_settings
from rolecall.platform.contexts import discover
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.events.base import VISIBILITY_KEY, DomainEvent, catalogue, event_class, redact
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.outbox import to_envelope
from rolecall.platform.tenancy import all_tenants


def _catalogue() -> dict[str, type[DomainEvent]]:
    discover()
    return catalogue()


def _sample_value(annotation: Any) -> Any:
    """A JSON value valid for ``annotation`` (the first choice of every union and literal)."""
    if annotation is Any:
        return "sample"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _sample_value(args[0])
    if origin is Literal:
        return args[0]
    if origin in (Union, types.UnionType):
        return _sample_value(next(a for a in args if a is not type(None)))
    if origin in (list, tuple, set, frozenset):
        return [_sample_value(args[0])] if args else []
    if origin is dict:
        return {"key": _sample_value(args[1])}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _sample_data(annotation)
    samples: dict[Any, Any] = {
        uuid.UUID: str(uuid.uuid4()),
        str: "sample",
        int: 1,
        float: 1.5,
        bool: True,
        datetime: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).isoformat(),
        date: "2026-01-02",
    }
    assert annotation in samples, f"no sample for {annotation!r}: extend the test"
    return samples[annotation]


def _sample_data(model: type[BaseModel]) -> dict[str, Any]:
    return {
        (field.alias or name): _sample_value(field.annotation) for name, field in model.model_fields.items()
    }


def _sample(cls: type[DomainEvent]) -> DomainEvent:
    return cls.model_validate(_sample_data(cls))


def _marked(schema: Any) -> set[str]:
    """Property names marked internal or personal anywhere in a JSON Schema."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict) and sub.get(VISIBILITY_KEY) in ("internal", "personal"):
                found.add(name)
        for value in schema.values():
            found |= _marked(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _marked(value)
    return found


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_catalogue_has_the_contexts_events() -> None:
    types_ = _catalogue()
    for expected in (
        "candidate.merged",
        "talent_pool.candidate_added",
        "application.stage_changed",
        "interview.scheduled",
        "scorecard.submitted",
        "offer.accepted",
        "hire.completed",
        "hire.progressed",
        "assessment.scored",
    ):
        assert expected in types_
    assert event_class("candidate.merged") is types_["candidate.merged"]
    assert not types_["hire.progressed"].public  # the saga's own step, not a contract


@pytest.mark.parametrize("event_type", sorted(_catalogue()))
def test_each_event_type_is_described_and_usable(event_type: str) -> None:
    cls = _catalogue()[event_type]
    assert cls.event_type == event_type
    assert (cls.__doc__ or "").strip(), f"{cls.__name__} needs a docstring: it is the published description"
    assert cls.source.startswith("/rolecall/"), cls.source
    assert isinstance(cls.schema_version, int)
    assert cls.schema_version >= 1

    event = _sample(cls)
    subject = event.subject  # every placeholder of the template is a member
    assert subject
    assert "{" not in subject

    schema = cls.json_schema()
    json.dumps(schema)
    assert schema["title"] == event_type
    assert schema["properties"]["schema_version"]["const"] == cls.schema_version

    # What goes into the outbox parses back into the same event.
    data = json.loads(json.dumps(event.to_data()))
    assert data["schema_version"] == cls.schema_version
    again = cls.model_validate({k: v for k, v in data.items() if k != "schema_version"})
    assert again == event
    assert again.model_extra == {}

    # Receivers outside the process never see a marked member unless granted personal data, and
    # only ever members the outbox holds.
    public = redact(event, personal=False)
    assert not _keys(public) & _marked(schema)
    assert _keys(redact(event, personal=True)) <= _keys(data)


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    for name in ("ROLECALL_ENVIRONMENT", "ROLECALL_SECRET_KEY", "ROLECALL_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROLECALL_DATABASE_URL", url)
    monkeypatch.setenv("ROLECALL_FILE_STORE_PATH", str(tmp_path / "files"))
    monkeypatch.setenv("ROLECALL_SEARCH_INDEX_PATH", str(tmp_path / "search-index"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


async def _outbox(url: str) -> list[OutboxEvent]:
    engine = create_engine(url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            stmt = select(OutboxEvent).order_by(OutboxEvent.id).execution_options(**all_tenants())
            return list((await session.scalars(stmt)).all())
    finally:
        await engine.dispose()


def test_every_event_the_demo_produces_parses_with_its_model(database_url: str) -> None:
    for command in ("migrate", "demo"):
        get_settings.cache_clear()
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code == 0, result.output
    rows = asyncio.run(_outbox(database_url))
    seen: set[str] = set()
    for row in rows:
        cls = event_class(row.type)
        assert cls is not None, f"{row.type} is emitted but not declared"
        event = cls.from_envelope(to_envelope(row))
        assert event.model_extra == {}, f"{row.type} carries undeclared members {event.model_extra}"
        assert (event.source, event.subject) == (row.source, row.subject)
        assert event.to_data() == row.data
        seen.add(row.type)
    # The demo walks candidates through the whole pipeline: the main contexts' events are there.
    for expected in (
        "candidate.created",
        "application.created",
        "application.stage_changed",
        "application.rejected",
        "application.hired",
        "interview.scheduled",
        "scorecard.submitted",
        "offer.accepted",
        "hire.completed",
        "assessment.scored",
    ):
        assert expected in seen, f"the demo produced no {expected}"
