"""Test-only event types with personal and internal members, declared for one test at a time.

They are removed from the catalogue afterwards, so the published catalogue (and docs/events.md,
checked by its own test in the same process) never sees them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import ClassVar

import pytest
from pydantic import Field

from rolecall.platform.events import base
from rolecall.platform.events.base import INTERNAL, PERSONAL, DomainEvent, EventData

SAMPLE, STEP = "webhooks_test.sample_happened", "webhooks_test.internal_step"


class Person(EventData):
    person_id: uuid.UUID
    name: str = Field(json_schema_extra=PERSONAL)


@pytest.fixture
def sample_events() -> Iterator[tuple[type[DomainEvent], type[DomainEvent]]]:
    class SampleHappened(DomainEvent):
        """Something happened to a sample (tests only)."""

        event_type: ClassVar[str] = SAMPLE
        source: ClassVar[str] = "/rolecall/tests"
        subject_template: ClassVar[str] = "samples/{sample_id}"
        sample_id: uuid.UUID
        email: str = Field(json_schema_extra=PERSONAL)
        owner_user_id: uuid.UUID = Field(json_schema_extra=INTERNAL)
        people: list[Person] = []

    class InternalStep(DomainEvent):
        """A saga step no receiver outside sees (tests only)."""

        event_type: ClassVar[str] = STEP
        source: ClassVar[str] = "/rolecall/tests"
        subject_template: ClassVar[str] = "samples/{sample_id}"
        public: ClassVar[bool] = False
        sample_id: uuid.UUID

    try:
        yield SampleHappened, InternalStep
    finally:
        for name in (SAMPLE, STEP):
            base._CATALOGUE.pop(name, None)


def sample(cls: type[DomainEvent], **extra: object) -> DomainEvent:
    values: dict[str, object] = {
        "sample_id": uuid.uuid4(),
        "email": "ada@example.com",
        "owner_user_id": uuid.uuid4(),
        "people": [Person(person_id=uuid.uuid4(), name="Ada Lovelace")],
        **extra,
    }
    return cls.model_validate(values)
