"""What every candidate use case shares: sealing personal fields, loading a candidate, the view.

Personal fields are sealed with the PII key ring for ``candidate:<id>:<field>`` (``source_details``
too, as one JSON object in its JSON column: :mod:`rolecall.platform.sealed_json`); files and notes
use ``candidate_file:<id>:text`` and ``candidate_note:<id>:body``, bound to their own row, so a
token moved to another row or column does not open. Nothing here commits.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import repository
from rolecall.candidates.models import Candidate
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.sealed_json import open_object, seal_object

PERSONAL = ("full_name", "email", "phone", "links", "location", "source_details")
# full_name is NOT NULL; an erased candidate keeps this neutral text, sealed like any name.
ERASED_NAME = "Erased candidate"


@dataclass(frozen=True)
class CandidateView:
    """A candidate with its personal data decrypted, for one response."""

    id: uuid.UUID
    full_name: str
    email: str | None
    phone: str | None
    links: list[str]
    location: str | None
    source: str
    source_details: dict[str, Any]
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = None
    # True when someone with this email was erased before: staff may want to know it is a return.
    previously_erased: bool = False


def problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


def _context(candidate_id: uuid.UUID, field: str) -> str:
    return f"candidate:{candidate_id}:{field}"


def seal(keyring: KeyRing, candidate_id: uuid.UUID, field: str, value: Any) -> Any:
    if field == "source_details":
        return seal_object(keyring, value or {}, context=_context(candidate_id, field))
    if value is None:
        return None
    text = json.dumps(value, separators=(",", ":")) if field == "links" else str(value)
    return keyring.encrypt(text, context=_context(candidate_id, field))


def _open(keyring: KeyRing, candidate_id: uuid.UUID, field: str, token: str | None) -> str | None:
    return None if token is None else keyring.decrypt(token, context=_context(candidate_id, field))


def personal(keyring: KeyRing, candidate: Candidate) -> dict[str, Any]:
    values: dict[str, Any] = {
        field: _open(keyring, candidate.id, field, getattr(candidate, field))
        for field in PERSONAL
        if field != "source_details"
    }
    values["links"] = json.loads(values["links"]) if values["links"] else []
    values["source_details"] = open_object(
        keyring, candidate.source_details, context=_context(candidate.id, "source_details")
    )
    return values


def view(keyring: KeyRing, candidate: Candidate, *, previously_erased: bool = False) -> CandidateView:
    return CandidateView(
        id=candidate.id,
        **personal(keyring, candidate),
        source=candidate.source,
        tags=list(candidate.tags),
        version=candidate.version,
        created_at=candidate.created_at,
        updated_at=candidate.updated_at,
        erased_at=candidate.erased_at,
        previously_erased=previously_erased,
    )


def set_field(keyring: KeyRing, index: BlindIndex, candidate: Candidate, field: str, value: Any) -> None:
    """Store one personal field sealed for this candidate, keeping its blind index in step."""
    setattr(candidate, field, seal(keyring, candidate.id, field, value))
    if field == "email":
        candidate.email_index = None if value is None else index.email(value)
    elif field == "phone":
        candidate.phone_index = None if value is None else index.phone(value)


async def get(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate:
    candidate = await repository.get_candidate(session, candidate_id)
    if candidate is None:
        raise NotFound("Candidate not found.")
    return candidate


async def get_live(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate:
    """The candidate, unless erased: an erased candidate is a tombstone nobody may add data to."""
    candidate = await get(session, candidate_id)
    if candidate.erased_at is not None:
        raise Conflict("This candidate's personal data was erased; it cannot be changed.")
    return candidate


async def flush(session: AsyncSession) -> None:
    # The unique blind indexes are the last word on duplicates when two writers race.
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Another candidate with this email or phone was saved at the same time; retry."
        ) from exc


def viewed(session: AsyncSession, principal: Principal, candidate_id: uuid.UUID) -> None:
    """Reading personal data is itself audited, so the log shows who saw whom."""
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.viewed",
        target_type="candidate",
        target_id=candidate_id,
    )
