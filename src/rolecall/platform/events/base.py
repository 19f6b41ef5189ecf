"""Typed domain events: each context declares its events once, as models, in its ``events.py``.

A model is the single source of an event's type name, schema version, subject format and data
shape. Producers build one and hand it to :func:`rolecall.platform.events.outbox.emit`; consumers
subscribe by class and receive it parsed (see :mod:`rolecall.platform.events.registry`); the public
catalogue (``GET /v1/events/types``, ``docs/events.md``) is generated from the same models.

Fields can be marked with who may see them outside the process: :data:`INTERNAL` fields never leave
it (a hiring team's user ids, the reason a salary band was overridden), :data:`PERSONAL` fields go
only to receivers granted ``candidates:read``. The marks also appear in the published JSON Schema as
``x-rolecall-visibility``, so a reader of the catalogue knows what a receiver will not get.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr

if TYPE_CHECKING:
    from rolecall.platform.events.envelope import CloudEvent

VISIBILITY_KEY = "x-rolecall-visibility"
INTERNAL: dict[str, Any] = {VISIBILITY_KEY: "internal"}
PERSONAL: dict[str, Any] = {VISIBILITY_KEY: "personal"}

_CATALOGUE: dict[str, type[DomainEvent]] = {}


class EventData(BaseModel):
    """Base of the nested parts of an event's data (snapshots): unknown members are kept on read.

    Events outlive releases in the outbox and at receivers, so a newer producer's extra member must
    not make an older consumer fail; it is carried along untouched.
    """

    model_config = ConfigDict(extra="allow", frozen=True)


class DomainEvent(EventData):
    """One event type. Concrete subclasses set ``event_type`` and ``subject``; an abstract per-context
    base sets ``source``.

    ``schema_version`` is bumped only for a change a receiver could trip over (a member removed or
    changing meaning); adding an optional member is not one.
    """

    event_type: ClassVar[str]
    source: ClassVar[str]
    schema_version: ClassVar[int] = 1
    #: Subject template filled from the model's fields, e.g. ``"candidates/{candidate_id}"``.
    subject_template: ClassVar[str]
    #: Whether receivers outside the process (webhooks, the broker's external bindings, the event
    #: feed) may see this type at all. Internal coordination events (saga steps) are not a contract.
    public: ClassVar[bool] = True

    _envelope: CloudEvent | None = PrivateAttr(default=None)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if isinstance(event_type, str):
            existing = _CATALOGUE.get(event_type)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise TypeError(f"event type {event_type} is declared twice ({existing} and {cls})")
            _CATALOGUE[event_type] = cls

    @property
    def subject(self) -> str:
        return self.subject_template.format(**self.__dict__)

    @property
    def envelope(self) -> CloudEvent:
        """The envelope this event arrived in (id, time, organisation); only set on received events."""
        if self._envelope is None:
            raise RuntimeError(f"{type(self).__name__} was built here, not received")
        return self._envelope

    @property
    def event_id(self) -> uuid.UUID:
        return self.envelope.id

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.envelope.organisationid

    @classmethod
    def from_envelope(cls, envelope: CloudEvent) -> Self:
        data = {key: value for key, value in (envelope.data or {}).items() if key != "schema_version"}
        event = cls.model_validate(data)
        event._envelope = envelope
        return event

    def to_data(self) -> dict[str, Any]:
        """The data member as stored in the outbox: every field, plus the schema version."""
        return {"schema_version": self.schema_version, **self.model_dump(mode="json")}

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = cls.model_json_schema(mode="serialization")
        schema["title"] = cls.event_type
        schema.setdefault("properties", {})["schema_version"] = {
            "const": cls.schema_version,
            "type": "integer",
        }
        return schema


def catalogue() -> dict[str, type[DomainEvent]]:
    """Every declared event type, by name (contexts' ``events`` modules must have been imported)."""
    return dict(sorted(_CATALOGUE.items()))


def event_class(event_type: str) -> type[DomainEvent] | None:
    return _CATALOGUE.get(event_type)


def redact(model: BaseModel, *, personal: bool) -> dict[str, Any]:
    """The model as JSON data for a receiver outside the process.

    Internal fields are always left out; personal ones unless ``personal``. Nested models, lists and
    dicts of models are redacted the same way. Members a newer producer added (``extra``) are kept,
    since nothing says they are personal: producers must declare such members as fields.
    """
    out: dict[str, Any] = {}
    dumped = model.model_dump(mode="json", by_alias=False)
    by_alias = bool(model.model_config.get("serialize_by_alias"))
    for name, field in type(model).model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        visibility = extra.get(VISIBILITY_KEY)
        if visibility == "internal" or (visibility == "personal" and not personal):
            continue
        # Members may shadow DomainEvent's properties (organisation_id) or carry an alias (a
        # candidate's ``source``): read the stored value, write the published name.
        key = (field.serialization_alias or field.alias or name) if by_alias else name
        out[key] = _redact_value(model.__dict__[name], dumped.get(name), personal=personal)
    for name, value in (model.model_extra or {}).items():
        out[name] = dumped.get(name, value)
    return out


def _redact_value(value: Any, dumped: Any, *, personal: bool) -> Any:
    if isinstance(value, BaseModel):
        return redact(value, personal=personal)
    if isinstance(value, list | tuple) and isinstance(dumped, list):
        return [_redact_value(item, raw, personal=personal) for item, raw in zip(value, dumped, strict=True)]
    if isinstance(value, dict) and isinstance(dumped, dict):
        return {key: _redact_value(value[key], dumped[key], personal=personal) for key in value}
    return dumped
