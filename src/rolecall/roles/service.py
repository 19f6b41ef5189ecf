"""Use cases for role profiles: the packaged library, organisation profiles, versions and paths.

Other contexts (jobs) use :func:`pinned_profile` and :func:`library_profile`; nothing outside this
package reads the role tables. Services write audit entries and outbox events in the caller's
transaction and never commit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.pagination import PageParams, page_of
from rolecall.roles import repository, yaml_io
from rolecall.roles.events import RoleProfileCreated, RoleProfileEvent, RoleProfileUpdated
from rolecall.roles.library.loader import Library, load_library
from rolecall.roles.library.schema import Level, RoleProfile
from rolecall.roles.models import RoleProfileRecord, RoleProfileVersion
from rolecall.roles.schemas import (
    PathsOut,
    PathStep,
    ProfileSummary,
    RoleProfileCreate,
    RoleProfileUpdate,
)
from rolecall.roles.taxonomy import default_taxonomy


@dataclass(frozen=True)
class PinnedProfile:
    """One immutable version of an organisation's profile, as a job refers to it."""

    profile_id: uuid.UUID
    version: int
    document: RoleProfile


def stored_document(data: dict[str, Any]) -> RoleProfile:
    """A document read back from the database (JSON types: dates are strings), validated as JSON."""
    return RoleProfile.model_validate(data, strict=False)


# --- the packaged library ---------------------------------------------------------------------


def _summary(profile: RoleProfile, record: RoleProfileRecord | None = None) -> ProfileSummary:
    return ProfileSummary(
        id=record.id if record else None,
        slug=profile.id,
        title=profile.title,
        job_family=list(profile.job_family),
        levels=profile.level_names,
        source="organisation" if record else "library",
        forked_from=record.forked_from if record else None,
        version=record.version if record else None,
    )


def library_summaries() -> list[ProfileSummary]:
    library = load_library()
    return [_summary(library.get(slug)) for slug in library.ids]


def library_profile(slug: str) -> RoleProfile:
    library = load_library()
    if slug not in library:
        raise NotFound(f"There is no library profile {slug!r}.")
    return library.get(slug)


# --- documents --------------------------------------------------------------------------------


def _document_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(["document", *(str(p) for p in err["loc"])]),
            "message": err["msg"],
            "code": err["type"],
        }
        for err in exc.errors()
    ]


def parse_document(data: dict[str, Any]) -> RoleProfile:
    """Validate a JSON document exactly as a packaged profile file is validated (strict, JSON mode)."""
    try:
        return RoleProfile.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        raise Unprocessable(
            "The role profile document is invalid.", extra={"errors": _document_errors(exc)}
        ) from exc


async def _graph(session: AsyncSession, replacing: RoleProfile | None = None) -> Library:
    """Library plus the organisation's profiles, the organisation's shadowing library ids."""
    profiles = {p.id: p for p in load_library()}
    for document in (await _organisation_documents(session)).values():
        profiles[document.id] = document
    if replacing is not None:
        profiles[replacing.id] = replacing
    return Library(profiles.values(), check=False)


async def _organisation_documents(session: AsyncSession) -> dict[str, RoleProfile]:
    return {r.slug: stored_document(v.document) for r, v in await repository.current_documents(session)}


async def _check_paths(session: AsyncSession, document: RoleProfile) -> None:
    broken = (await _graph(session, replacing=document)).broken_references(only=document.id)
    if broken:
        raise Unprocessable(
            "The profile's career paths point at profiles or levels that do not exist.",
            extra={"errors": [{"field": "document.career_paths", "message": b} for b in broken]},
        )


def _record_change(
    session: AsyncSession, principal: Principal, event: type[RoleProfileEvent], record: RoleProfileRecord
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=event.event_type,
        target_type="role_profile",
        target_id=record.id,
        version=record.version,
    )
    emit(
        session,
        event(profile_id=record.id, slug=record.slug, version=record.version, forked_from=record.forked_from),
    )


def _add_version(
    session: AsyncSession,
    principal: Principal,
    record: RoleProfileRecord,
    document: RoleProfile,
    note: str | None,
) -> RoleProfileVersion:
    version = RoleProfileVersion(
        organisation_id=principal.organisation_id,
        profile_id=record.id,
        number=record.version,
        document=document.model_dump(mode="json"),
        author=principal.actor,
        note=note,
    )
    session.add(version)
    return version


# --- organisation profiles --------------------------------------------------------------------


async def _create(
    session: AsyncSession,
    principal: Principal,
    document: RoleProfile,
    *,
    forked_from: str | None,
    note: str | None,
) -> tuple[RoleProfileRecord, RoleProfile]:
    if await repository.get_profile_by_slug(session, document.id) is not None:
        raise Conflict(
            f"The organisation already has a profile {document.id!r}; edit it or choose another id."
        )
    await _check_paths(session, document)
    record = RoleProfileRecord(
        organisation_id=principal.organisation_id,
        slug=document.id,
        title=document.title,
        forked_from=forked_from,
        version=1,
    )
    session.add(record)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same id won the race
        raise Conflict(f"The organisation already has a profile {document.id!r}.") from exc
    _add_version(session, principal, record, document, note)
    _record_change(session, principal, RoleProfileCreated, record)
    return record, document


async def create_profile(
    session: AsyncSession, principal: Principal, body: RoleProfileCreate
) -> tuple[RoleProfileRecord, RoleProfile]:
    if body.from_library is not None:
        source = library_profile(body.from_library)
        changes: dict[str, Any] = {}
        if body.slug:
            changes["id"] = body.slug
        if body.title:
            changes["title"] = body.title
        document = parse_document({**source.model_dump(mode="json"), **changes}) if changes else source
        note = body.note or f"Forked from library profile {source.id!r}"
        return await _create(session, principal, document, forked_from=source.id, note=note)
    assert body.document is not None  # the schema enforces exactly one source
    document = parse_document(body.document)
    return await _create(session, principal, document, forked_from=None, note=body.note)


async def import_yaml(
    session: AsyncSession, principal: Principal, text: str, *, note: str | None = None
) -> tuple[RoleProfileRecord, RoleProfile]:
    try:
        document = yaml_io.load_profile(text)
    except yaml_io.ProfileYamlError as exc:
        raise Unprocessable(str(exc), extra={"errors": exc.errors}) from exc
    forked_from = document.id if document.id in load_library() else None
    return await _create(
        session, principal, document, forked_from=forked_from, note=note or "Imported from YAML"
    )


async def _get_record(session: AsyncSession, profile_id: uuid.UUID) -> RoleProfileRecord:
    record = await repository.get_profile(session, profile_id)
    if record is None:
        raise NotFound("Role profile not found.")
    return record


async def get_profile(
    session: AsyncSession, principal: Principal, profile_id: uuid.UUID
) -> tuple[RoleProfileRecord, RoleProfile]:
    record = await _get_record(session, profile_id)
    version = await repository.get_version(session, record.id, record.version)
    assert version is not None  # every head has its current version; both are written together
    return record, stored_document(version.document)


async def list_profiles(
    session: AsyncSession, principal: Principal, params: PageParams
) -> tuple[list[ProfileSummary], str | None]:
    records, cursor = page_of(await repository.list_profiles(session, params), params)
    documents = {r.id: v for r, v in await repository.current_documents(session, [r.id for r in records])}
    return [_summary(stored_document(documents[r.id].document), r) for r in records], cursor


async def update_profile(
    session: AsyncSession, principal: Principal, profile_id: uuid.UUID, body: RoleProfileUpdate, if_match: str
) -> tuple[RoleProfileRecord, RoleProfile]:
    record = await _get_record(session, profile_id)
    check_if_match(if_match, record.id, record.version)
    document = parse_document(body.document)
    if document.id != record.slug:
        raise Unprocessable(
            f"A profile's id cannot change (it is {record.slug!r}); create a new profile instead.",
            extra={"errors": [{"field": "document.id", "message": "must stay " + record.slug}]},
        )
    await _check_paths(session, document)
    record.version += 1
    record.title = document.title
    _add_version(session, principal, record, document, body.note)
    await session.flush()
    _record_change(session, principal, RoleProfileUpdated, record)
    return record, document


async def list_versions(
    session: AsyncSession, principal: Principal, profile_id: uuid.UUID, params: PageParams
) -> tuple[list[RoleProfileVersion], str | None]:
    record = await _get_record(session, profile_id)
    return page_of(await repository.list_versions(session, record.id, params), params)


async def get_version(
    session: AsyncSession, principal: Principal, profile_id: uuid.UUID, number: int
) -> RoleProfileVersion:
    version = await repository.get_version(session, profile_id, number)
    if version is None:
        raise NotFound("Role profile version not found.")
    return version


async def export_yaml(
    session: AsyncSession, principal: Principal, profile_id: uuid.UUID, number: int | None = None
) -> str:
    if number is None:
        _record, document = await get_profile(session, principal, profile_id)
    else:
        document = stored_document((await get_version(session, principal, profile_id, number)).document)
    return yaml_io.dump_profile(document)


async def pinned_profile(
    session: AsyncSession, profile_id: uuid.UUID, version: int | None = None
) -> PinnedProfile:
    """The document a job is built from: a given version, or the latest one when ``version`` is None."""
    record = await _get_record(session, profile_id)
    number = record.version if version is None else version
    row = await repository.get_version(session, record.id, number)
    if row is None:
        message = f"Role profile {record.slug!r} has no version {number}."
        raise Unprocessable(message, extra={"errors": [{"field": "profile_version", "message": message}]})
    return PinnedProfile(record.id, number, stored_document(row.document))


# --- career paths -----------------------------------------------------------------------------


def _steps(graph: Library, refs: Any, org_slugs: set[str]) -> list[PathStep]:
    return [
        PathStep(
            profile=ref.profile_id,
            level=ref.level,
            title=graph.get(ref.profile_id).title,
            source="organisation" if ref.profile_id in org_slugs else "library",
        )
        for ref in refs
        if graph.resolves(ref)  # an organisation's edit may remove a level another profile points at
    ]


def _paths(graph: Library, slug: str, level: Level, org_slugs: set[str]) -> PathsOut:
    if graph.get(slug).level(level) is None:
        raise NotFound(f"Profile {slug!r} has no level {level!r}.")
    paths = graph.paths(slug, level)
    return PathsOut(
        profile=slug,
        level=level,
        entry_from=_steps(graph, paths.entry_from, org_slugs),
        advancement_to=_steps(graph, paths.advancement_to, org_slugs),
        lateral_moves=_steps(graph, paths.lateral_moves, org_slugs),
    )


def library_paths(slug: str, level: Level) -> PathsOut:
    library_profile(slug)
    return _paths(load_library(), slug, level, set())


async def profile_paths(
    session: AsyncSession, principal: Principal, profile_id: uuid.UUID, level: Level
) -> PathsOut:
    """Paths in the organisation's graph: its own profiles shadow library profiles with the same id."""
    record = await _get_record(session, profile_id)
    own = await _organisation_documents(session)
    graph = Library({**{p.id: p for p in load_library()}, **own}.values(), check=False)
    return _paths(graph, record.slug, level, set(own))


def normalise_skill(name: str) -> str | None:
    """The canonical skill id for what someone typed, or None: the one normalisation every context uses."""
    skill = default_taxonomy().normalise(name)
    return skill.id if skill is not None else None


async def has_profiles(session: AsyncSession, principal: Principal) -> bool:
    return await repository.has_profiles(session)
