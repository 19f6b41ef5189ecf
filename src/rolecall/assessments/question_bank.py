"""The question bank's use cases: items with immutable versions, the starter bank, YAML in and out.

An item is a stable identity (its ``key``); its content lives in numbered versions that never
change once written. A version is ``draft`` until someone publishes it, ``ready`` while new sessions
draw it (one per item at most), and ``retired`` after a newer one replaced it or someone withdrew
it. Sessions pin version ids, so none of this can move a score already given.

Each organisation gets its own copy of the starter bank the first time it needs items, rather than
reading shared package files: the package's texts may change in a release, and a pinned version
must mean the same words forever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import items as documents
from rolecall.assessments import repository, yaml_io
from rolecall.assessments.models import AssessmentItem, AssessmentItemVersion
from rolecall.audit import service as audit
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of

STATUSES = ("draft", "ready", "retired")


@dataclass(frozen=True)
class ImportReport:
    created: int
    revised: int
    unchanged: int


def _errors(exc: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    return [
        {
            "field": prefix + ".".join(str(p) for p in error["loc"] if not str(p).endswith("_choice")),
            "message": error["msg"].removeprefix("Value error, "),
        }
        for error in exc.errors()
    ]


def parse(document: dict[str, Any]) -> documents.ItemContent:
    """Validate an item document, or 422 naming every field that is wrong."""
    try:
        return documents.parse_item(document)
    except ValidationError as exc:
        raise Unprocessable("The item document is not valid.", extra={"errors": _errors(exc)}) from exc


def stored_form(content: documents.ItemContent) -> dict[str, Any]:
    """The JSON kept per version (the document as written, its resolved ``skill_id`` included)."""
    return content.model_dump(mode="json", exclude_none=True, by_alias=True)


def _add_version(
    session: AsyncSession,
    principal: Principal,
    item: AssessmentItem,
    content: documents.ItemContent,
    number: int,
    status: str,
) -> AssessmentItemVersion:
    version = AssessmentItemVersion(
        organisation_id=principal.organisation_id,
        item_id=item.id,
        number=number,
        status=status,
        type=content.type,
        skill_id=content.skill_id,
        level=content.level,
        difficulty=content.difficulty,
        content=stored_form(content),
        created_by=principal.actor,
    )
    session.add(version)
    return version


def _new_item(
    session: AsyncSession, principal: Principal, content: documents.ItemContent, status: str
) -> tuple[AssessmentItem, AssessmentItemVersion]:
    item = AssessmentItem(
        id=new_id(),  # now, not at flush: the first version refers to it
        organisation_id=principal.organisation_id,
        key=content.key,
        skill_id=content.skill_id,
        latest_version=1,
        ready_version=1 if status == "ready" else None,
    )
    session.add(item)
    return item, _add_version(session, principal, item, content, 1, status)


async def ensure_starter_bank(session: AsyncSession, principal: Principal) -> int:
    """Copy the starter bank into an organisation that has no items yet; returns how many it added."""
    if await repository.count_items(session):
        return 0
    bank = yaml_io.starter_bank()
    for content in bank:
        _new_item(session, principal, content, "ready")
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment_bank.seeded",
        target_type="assessment_bank",
        items=len(bank),
    )
    return len(bank)


async def get_item(session: AsyncSession, item_id: uuid.UUID) -> AssessmentItem:
    item = await repository.get_item(session, item_id)
    if item is None:
        raise NotFound("Assessment item not found.")
    return item


async def item_with_versions(
    session: AsyncSession, item_id: uuid.UUID
) -> tuple[AssessmentItem, Sequence[AssessmentItemVersion]]:
    item = await get_item(session, item_id)
    return item, await repository.item_versions(session, item.id)


async def list_items(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    skill: str | None = None,
    flagged: bool | None = None,
    ready: bool | None = None,
) -> tuple[list[AssessmentItem], str | None]:
    await ensure_starter_bank(session, principal)
    skill_id = documents.skill_id_of(skill) if skill else None
    if skill and skill_id is None:
        return [], None
    rows = await repository.list_items(session, params, skill_id=skill_id, flagged=flagged, ready=ready)
    return page_of(rows, params)


async def create_item(
    session: AsyncSession, principal: Principal, document: dict[str, Any], *, publish: bool = False
) -> AssessmentItem:
    content = parse(document)
    await ensure_starter_bank(session, principal)
    if content.key in await repository.items_by_key(session):
        raise Conflict(f"An item with key {content.key!r} already exists; revise it instead.")
    item, _ = _new_item(session, principal, content, "ready" if publish else "draft")
    await session.flush()
    _audit(session, principal, "assessment_item.created", item, 1)
    return item


async def revise_item(
    session: AsyncSession,
    principal: Principal,
    item_id: uuid.UUID,
    document: dict[str, Any],
    if_match: str,
    *,
    publish: bool = False,
) -> AssessmentItem:
    """A new version; the versions before it stay exactly as they were (sessions may pin them)."""
    item = await get_item(session, item_id)
    check_if_match(if_match, item.id, item.version)
    content = parse(document)
    if content.key != item.key:
        raise Unprocessable(
            "An item's key cannot change.",
            extra={"errors": [{"field": "key", "message": "must stay " + item.key}]},
        )
    item.latest_version += 1
    item.skill_id = content.skill_id
    _add_version(session, principal, item, content, item.latest_version, "draft")
    item.version += 1
    await session.flush()
    if publish:
        await _publish(session, item, item.latest_version)
    _audit(session, principal, "assessment_item.revised", item, item.latest_version)
    return item


async def _publish(session: AsyncSession, item: AssessmentItem, number: int) -> None:
    versions = {v.number: v for v in await repository.item_versions(session, item.id)}
    target = versions.get(number)
    if target is None:
        raise NotFound(f"Version {number} of this item does not exist.")
    if target.status == "retired":
        raise Conflict("A retired version cannot be published again; revise the item instead.")
    for version in versions.values():
        if version.status == "ready" and version.number != number:
            version.status = "retired"
    target.status = "ready"
    item.ready_version = number
    item.flagged, item.flag_reason = False, None
    await session.flush()


async def set_version_status(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID, number: int, status: str, if_match: str
) -> AssessmentItem:
    """Publish (``ready``) or withdraw (``retired``) a version; content never changes here."""
    item = await get_item(session, item_id)
    check_if_match(if_match, item.id, item.version)
    if status == "ready":
        await _publish(session, item, number)
    elif status == "retired":
        version = await repository.item_version(session, item.id, number)
        if version is None:
            raise NotFound(f"Version {number} of this item does not exist.")
        version.status = "retired"
        if item.ready_version == number:
            item.ready_version = None
    else:
        raise Unprocessable(
            "status must be 'ready' or 'retired'.",
            extra={"errors": [{"field": "status", "message": "must be 'ready' or 'retired'"}]},
        )
    item.version += 1
    await session.flush()
    _audit(
        session, principal, f"assessment_item.{'published' if status == 'ready' else 'retired'}", item, number
    )
    return item


async def import_bank(
    session: AsyncSession, principal: Principal, text: str, *, publish: bool = True
) -> ImportReport:
    """Import a bank file: new keys become items, changed ones a new version, identical ones nothing.

    All or nothing: one invalid item refuses the whole file with every problem listed, so a
    half-imported bank never needs cleaning up.
    """
    try:
        contents = yaml_io.load_bank(text)
    except yaml_io.BankYamlError as exc:
        raise Unprocessable("The bank file is not valid.", extra={"errors": exc.errors}) from exc
    await ensure_starter_bank(session, principal)
    existing = await repository.items_by_key(session)
    created = revised = unchanged = 0
    for content in contents:
        item = existing.get(content.key)
        if item is None:
            _new_item(session, principal, content, "ready" if publish else "draft")
            created += 1
            continue
        latest = await repository.item_version(session, item.id, item.latest_version)
        if latest is not None and latest.content == stored_form(content):
            unchanged += 1
            continue
        item.latest_version += 1
        item.skill_id = content.skill_id
        _add_version(session, principal, item, content, item.latest_version, "draft")
        item.version += 1
        await session.flush()
        if publish:
            await _publish(session, item, item.latest_version)
        revised += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment_bank.imported",
        target_type="assessment_bank",
        created=created,
        revised=revised,
        unchanged=unchanged,
    )
    return ImportReport(created, revised, unchanged)


async def export_bank(session: AsyncSession, principal: Principal) -> str:
    """Every item's ready version as one bank file (what new sessions would draw)."""
    await ensure_starter_bank(session, principal)
    versions = sorted(await repository.all_ready_versions(session), key=lambda v: v.content["key"])
    return yaml_io.dump_bank([documents.parse_item(v.content, check_sql=False) for v in versions])


def _audit(
    session: AsyncSession, principal: Principal, action: str, item: AssessmentItem, number: int
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        target_type="assessment_item",
        target_id=item.id,
        key=item.key,
        number=number,
    )
