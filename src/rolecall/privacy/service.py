"""Data-subject rights: export a candidate's data, erase it, and the organisation's retention rules.

Personal data lives in several contexts, each of which declares a personal-data port in its
``context.py`` (export, erase, re-seal; see :mod:`rolecall.platform.contexts`); this module only
composes them, so no other context's table is ever touched here, and a context added later is
exported and erased without a change here. Export and erasure are audited with ids and codes only,
because the audit log outlives the data it describes.

Erasure and stored files. The database part of an erasure is one transaction (the caller's). The
candidates context deletes the file bytes inside it, after the rows are flushed and before the
commit. That order can only ever lose too much, never keep too much: should the commit then fail,
the candidate is visibly not erased (the request fails, the retention job logs and retries) and the
retry deletes the rows; the opposite order could commit an erasure and then crash before deleting
the bytes, leaving a resume nobody knows about.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import service as candidates
from rolecall.candidates.events import CandidateMerged
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.contexts import personal_data_ports
from rolecall.platform.errors import Conflict, NotFound
from rolecall.platform.events.outbox import undelivered
from rolecall.platform.http import check_if_match
from rolecall.platform.pagination import PageParams
from rolecall.platform.pii import KeyRing
from rolecall.platform.storage import FileStore
from rolecall.privacy import repository
from rolecall.privacy.models import RetentionRule

EXPORT_SCHEMA_VERSION = 1
_AUDIT_PAGE = 500


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: nothing when the candidate had been erased before."""

    candidate_id: uuid.UUID
    already_erased: bool
    files_deleted: int


# -- export ----------------------------------------------------------------------------------------


async def export_candidate(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> dict[str, Any]:
    """Everything the organisation holds about one candidate, as one JSON-ready document.

    The candidates context audits the export (``candidate.exported``) as it reads the person's
    record; the trail is read afterwards, so the document shows every read and change up to and
    including this export.
    """
    person = dict(await candidates.export_candidate(session, principal, candidate_id, keyring=keyring))
    parts: dict[str, list[dict[str, Any]]] = {}
    for port in personal_data_ports():
        if port.export_candidate is not None:
            parts[port.export_key] = await port.export_candidate(session, candidate_id, keyring=keyring)
    files = person.pop("files", [])
    notes = person.pop("notes", [])
    related = _ids_in([*parts.values(), files, notes]) | {candidate_id}
    trail = await _audit_trail(session, candidate_id, related)
    document: dict[str, Any] = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "generated_at": utcnow(),
        "organisation_id": principal.organisation_id,
        "candidate_id": candidate_id,
        "candidate": person,
        **parts,
        "files": files,
        "notes": notes,
        "audit_trail": trail,
    }
    return document


def _ids_in(value: Any) -> set[uuid.UUID]:
    """Every ``id`` member anywhere in an exported structure: the rows whose audit entries count."""
    found: set[uuid.UUID] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, uuid.UUID | str):
                with contextlib.suppress(ValueError):
                    found.add(item if isinstance(item, uuid.UUID) else uuid.UUID(item))
            else:
                found |= _ids_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= _ids_in(item)
    return found


async def _audit_trail(
    session: AsyncSession, candidate_id: uuid.UUID, related: set[uuid.UUID]
) -> list[dict[str, Any]]:
    """Who read or changed this person's data: entries about them or their rows, and list reads.

    The audit service offers no lookup by target yet, so the organisation's log is read page by
    page; exports are rare, admin-only requests, and the log holds no personal data to decrypt.
    """
    wanted = str(candidate_id)
    trail: list[dict[str, Any]] = []
    params = PageParams(limit=_AUDIT_PAGE, after=None)
    while True:
        entries, cursor = await audit.list_entries(session, params)
        for entry in entries:
            listed = entry.details.get("candidate_ids") or []
            if entry.target_id in related or (isinstance(listed, list) and wanted in listed):
                # Other people's ids in a list read are not this person's data.
                details = {key: value for key, value in entry.details.items() if key != "candidate_ids"}
                trail.append(
                    {
                        "id": entry.id,
                        "occurred_at": entry.occurred_at,
                        "actor": entry.actor,
                        "action": entry.action,
                        "target_type": entry.target_type,
                        "target_id": entry.target_id,
                        "details": details,
                    }
                )
        if cursor is None or not entries:
            return trail
        params = PageParams(limit=_AUDIT_PAGE, after=entries[-1].id)


# -- erasure ---------------------------------------------------------------------------------------


async def erase_candidate(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    *,
    reason: str,
    keyring: KeyRing,
    store: FileStore,
    if_match: str | None = None,
) -> Erasure:
    """Erase one candidate's personal data in every context, in the caller's transaction.

    Erasing a candidate already erased changes nothing and is not an error (``already_erased``):
    a retried request and a retention run racing an admin must both succeed. ``If-Match``, when
    sent, must match the candidate's current version. The candidates context erases last, because
    its tombstone is what marks the erasure as done; it also writes ``candidate.erased`` (event and
    audit entry), so this function adds only who asked for the erasure and why.
    """
    version, erased_at = await candidates.erasure_state(session, candidate_id)
    if if_match is not None:
        check_if_match(if_match, candidate_id, version)
    if erased_at is not None:
        return Erasure(candidate_id, True, 0)
    # Applications, interviews and offers follow a merge by event: until that event is delivered,
    # some of this person's data still sits under the merged-away record, out of erasure's reach.
    merge_subject = CandidateMerged.subject_template.format(candidate_id=candidate_id)
    if await undelivered(session, CandidateMerged, merge_subject):
        raise Conflict(
            "A merge into this candidate is still being applied; retry the erasure in a moment.",
            headers={"Retry-After": "5"},
        )
    for port in personal_data_ports():
        if port.erase_candidate is not None:
            await port.erase_candidate(session, candidate_id)
    keys = await candidates.erase_candidate(session, principal, candidate_id, keyring=keyring, store=store)
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.erasure_requested",
        target_type="candidate",
        target_id=candidate_id,
        reason=reason,
    )
    return Erasure(candidate_id, False, len(keys))


# -- retention rules -------------------------------------------------------------------------------


async def list_rules(session: AsyncSession) -> list[RetentionRule]:
    return list(await repository.list_rules(session))


async def set_rule(
    session: AsyncSession, principal: Principal, outcome: str, months: int
) -> tuple[RetentionRule, bool]:
    """Create or replace the rule for ``outcome``; ``True`` when it was created."""
    rule = await repository.get_rule(session, outcome)
    created = rule is None
    if rule is None:
        rule = RetentionRule(organisation_id=principal.organisation_id, outcome=outcome, months=months)
        session.add(rule)
    elif rule.months == months:
        return rule, False
    else:
        rule.months = months
    try:
        await session.flush()
    except IntegrityError as exc:  # another admin created the same rule at the same moment
        raise Conflict("The rule was changed at the same time; read the rules again and retry.") from exc
    audit.record(
        session,
        actor=principal.actor,
        action="retention_rule.set",
        target_type="retention_rule",
        target_id=rule.id,
        outcome=outcome,
        months=months,
    )
    return rule, created


async def delete_rule(session: AsyncSession, principal: Principal, outcome: str) -> None:
    rule = await repository.get_rule(session, outcome)
    if rule is None:
        raise NotFound("No retention rule for this outcome.")
    await session.delete(rule)
    audit.record(
        session,
        actor=principal.actor,
        action="retention_rule.deleted",
        target_type="retention_rule",
        target_id=rule.id,
        outcome=outcome,
    )
