"""Use cases for candidates: people with encrypted personal data, found again by blind index.

Personal fields are sealed with the PII key ring for ``candidate:<id>:<field>`` and never leave this
module in clear except in the returned :class:`CandidateView`. Events and audit entries carry ids and
field *names* only, so neither the outbox nor the audit log ever holds personal data. Reading a
candidate is itself audited (``candidate.viewed``, ``candidate.listed``). The key ring and the blind
index are arguments, so tests can pass their own. Services never commit.

Files, notes, talent pools and the data-subject functions (export, erasure, activity) live in
sibling modules (``files``, ``notes``, ``pools``, ``privacy``) sharing :mod:`.records`; they are
re-exported here because this module is the context's one published entry point. An erased
candidate is a tombstone: changing it, merging it or adding to it is a 409.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import names, phones, repository
from rolecall.candidates import tags as tag_rule
from rolecall.candidates.contacts import CandidateContact, candidate_contacts
from rolecall.candidates.events import SOURCE, CandidateCreated, CandidateMerged, CandidateUpdated
from rolecall.candidates.files import (
    FileContent,
    FileDetail,
    FileView,
    ResumeView,
    add_file,
    file_content,
    get_file,
    list_files,
    remove_file,
    resume_skills,
    store_resume,
)
from rolecall.candidates.labels import CandidateLabel, candidate_labels
from rolecall.candidates.models import Candidate, CandidateFile, CandidateNote
from rolecall.candidates.notes import NoteView, add_note, list_notes, remove_note
from rolecall.candidates.pools import (
    PoolView,
    add_member,
    create_pool,
    delete_pool,
    get_pool,
    list_members,
    list_pools,
    remove_member,
    update_pool,
)
from rolecall.candidates.privacy import candidate_activity, erase_candidate, export_candidate
from rolecall.candidates.records import PERSONAL as _PERSONAL
from rolecall.candidates.records import CandidateView
from rolecall.candidates.records import flush as _flush
from rolecall.candidates.records import get as _get
from rolecall.candidates.records import get_live as _get_live
from rolecall.candidates.records import personal as _personal
from rolecall.candidates.records import problem as _problem
from rolecall.candidates.records import set_field as _set
from rolecall.candidates.records import view as _view
from rolecall.candidates.records import viewed as _viewed
from rolecall.candidates.schemas import CandidateCreate, CandidateUpdate, Source
from rolecall.platform.auth import Principal
from rolecall.platform.contexts import discover
from rolecall.platform.errors import BadRequest, Conflict, NotFound
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import BlindIndex, KeyRing, PiiError
from rolecall.platform.sorting import Sorting, sorted_page_of

# The context's published use cases live in sibling modules; this module is the one entry point
# other contexts may import (import-linter), so it re-exports them.
__all__ = [
    "APPLICATION_FILTER",
    "SOURCE",
    "CandidateContact",
    "CandidateLabel",
    "CandidateQuery",
    "CandidateView",
    "FileContent",
    "FileDetail",
    "FileView",
    "NoteView",
    "PoolView",
    "ResumeView",
    "add_file",
    "add_member",
    "add_note",
    "candidate_activity",
    "candidate_contacts",
    "candidate_labels",
    "candidate_source",
    "create_candidate",
    "create_pool",
    "delete_pool",
    "erase_candidate",
    "erasure_state",
    "export_candidate",
    "file_content",
    "find_or_add_applicant",
    "get_candidate",
    "get_file",
    "get_pool",
    "list_candidates",
    "list_files",
    "list_members",
    "list_notes",
    "list_pools",
    "merge_candidates",
    "remove_file",
    "remove_member",
    "remove_note",
    "require_candidate",
    "resume_skills",
    "store_resume",
    "update_candidate",
    "update_pool",
]


def _emit(
    session: AsyncSession,
    principal: Principal,
    event_class: type[CandidateCreated | CandidateUpdated],
    candidate: Candidate,
    fields: list[str],
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=event_class.event_type,
        target_type="candidate",
        target_id=candidate.id,
        changed_fields=fields,
    )
    event = event_class(
        candidate_id=candidate.id,
        version=candidate.version,
        candidate_source=cast(Source, candidate.source),
        changed_fields=sorted(fields),
    )
    emit(session, event)


async def _present(session: AsyncSession, keyring: KeyRing, candidate: Candidate) -> CandidateView:
    """The view of one candidate, saying whether someone with the same email was erased before."""
    again = candidate.email_index is not None and await repository.erased_with_email_index(
        session, candidate.email_index
    )
    return _view(keyring, candidate, previously_erased=again)


async def erasure_state(session: AsyncSession, candidate_id: uuid.UUID) -> tuple[int, datetime | None]:
    """(version, erased_at) of a candidate, locking its row for the rest of the transaction.

    For erasure: two erasures of one person at once (an admin and a retention run) must not both
    go ahead, and the second must see the first's result rather than fail on a stale version. No
    personal data is read, so nothing is audited. 404 for an unknown candidate.
    """
    candidate = await repository.lock_candidate(session, candidate_id)
    if candidate is None:
        raise NotFound("Candidate not found.")
    return candidate.version, candidate.erased_at


async def require_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """404 unless the candidate is this organisation's (erased ones included), for pages about a
    candidate's applications, interviews and offers. Nothing personal is read, so nothing is audited."""
    await _get(session, candidate_id)


async def candidate_source(session: AsyncSession, candidate_id: uuid.UUID) -> str:
    """How a live candidate came to us, for another context adding them somewhere (no personal data
    is read, so nothing is audited). 404 for an unknown candidate, 409 for an erased one."""
    return (await _get_live(session, candidate_id)).source


async def _known(session: AsyncSession, body: CandidateCreate, index: BlindIndex) -> Candidate | None:
    """The candidate already on file with this email, else with this phone."""
    existing = None
    if body.email is not None:
        existing = await repository.by_email_index(session, index.email(body.email))
    if existing is None and body.phone is not None:
        existing = await repository.by_phone_index(session, index.phone(body.phone))
    return existing


async def find_or_add_applicant(
    session: AsyncSession,
    principal: Principal,
    body: CandidateCreate,
    *,
    keyring: KeyRing,
    index: BlindIndex,
) -> uuid.UUID:
    """The id of the person applying: the one on file with this email or phone, or a new candidate.

    Unlike :func:`create_candidate` this fills no gaps on a known person: the input is anonymous,
    and letting it add a phone or a link to someone's record would let anyone who knows an email
    address attach data to that person. Nothing personal is returned, so nothing is read.
    """
    existing = await _known(session, body, index)
    if existing is not None:
        return existing.id
    view, _created = await create_candidate(session, principal, body, keyring=keyring, index=index)
    return view.id


async def create_candidate(
    session: AsyncSession,
    principal: Principal,
    body: CandidateCreate,
    *,
    keyring: KeyRing,
    index: BlindIndex,
) -> tuple[CandidateView, bool]:
    """Create a candidate, or return the one already known by this email or phone (``False``).

    A match by email wins over a match by phone. The existing candidate keeps what it has and gains
    only what it lacked (email, phone, location, links) plus any new tags; a phone or email that
    belongs to yet another candidate is not taken over (that is a merge, done explicitly). Someone
    erased before is no match (their row holds no index any more): they get a new candidate,
    marked ``previously_erased``.
    """
    existing = await _known(session, body, index)
    if existing is not None:
        return await _merge_into(session, principal, existing, body, keyring, index), False

    candidate = Candidate(
        id=new_id(),
        organisation_id=principal.organisation_id,
        source=body.source,
        tags=list(body.tags),
        added_by_user_id=principal.subject_id if principal.kind == "user" else None,
        version=1,
    )
    for field in _PERSONAL:
        _set(keyring, index, candidate, field, getattr(body, field))
    session.add(candidate)
    await _flush(session)
    await names.reindex(session, index, candidate.organisation_id, candidate.id, body.full_name)
    _emit(session, principal, CandidateCreated, candidate, [f for f in _PERSONAL if getattr(body, f)])
    return await _present(session, keyring, candidate), True


async def _merge_into(
    session: AsyncSession,
    principal: Principal,
    candidate: Candidate,
    body: CandidateCreate,
    keyring: KeyRing,
    index: BlindIndex,
) -> CandidateView:
    current = _personal(keyring, candidate)
    changed: list[str] = []
    if current["email"] is None and body.email is not None:
        owner = await repository.by_email_index(session, index.email(body.email))
        if owner is None:
            _set(keyring, index, candidate, "email", body.email)
            changed.append("email")
    if current["phone"] is None and body.phone is not None:
        owner = await repository.by_phone_index(session, index.phone(body.phone))
        if owner is None:
            _set(keyring, index, candidate, "phone", body.phone)
            changed.append("phone")
    if current["location"] is None and body.location is not None:
        _set(keyring, index, candidate, "location", body.location)
        changed.append("location")
    if not current["links"] and body.links:
        _set(keyring, index, candidate, "links", body.links)
        changed.append("links")
    tags = _union_of_tags(candidate.tags, body.tags)
    if tags != candidate.tags:
        candidate.tags = tags
        changed.append("tags")
    if changed:
        candidate.version += 1
        await _flush(session)
        _emit(session, principal, CandidateUpdated, candidate, changed)
    # The answer shows what was already on file, so it counts as reading it.
    _viewed(session, principal, candidate.id)
    return await _present(session, keyring, candidate)


def _union_of_tags(mine: list[str], theirs: list[str]) -> list[str]:
    """Both tag lists in order, once each; 422 if the union breaks the tag rule or the limit.

    Both sides were checked when written, and migration 0017 brought older tags under the rule, so a
    rule failure here means a row written around the API; it is refused rather than spread.
    """
    union = list(dict.fromkeys([*mine, *theirs]))
    for tag in union:
        found = tag_rule.problem(tag)
        if found is not None:
            raise _problem("tags", found[0].upper() + found[1:])
    if len(union) > tag_rule.MAX_TAGS:
        raise _problem(
            "tags",
            f"Together the two records have {len(union)} tags, more than the {tag_rule.MAX_TAGS} a "
            "candidate may have; remove some tags first.",
        )
    return union


async def get_candidate(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> CandidateView:
    found = await repository.get_candidate_for_view(session, candidate_id)
    if found is None:
        raise NotFound("Candidate not found.")
    candidate, again = found
    _viewed(session, principal, candidate.id)
    return _view(keyring, candidate, previously_erased=again)


#: Key of ``Context.extra`` under which the context owning applications declares
#: ``candidate_ids_with_application(session, *, job_id=, stage=) -> list[UUID]``: how the list filters by
#: job and stage without this context knowing the pipeline (which builds on it, not the reverse).
APPLICATION_FILTER = "candidates.application_filter"
ApplicationFilter = Callable[..., Awaitable[list[uuid.UUID]]]


def _application_filter() -> ApplicationFilter:
    for context in discover():
        found = context.extra.get(APPLICATION_FILTER)
        if found is not None:
            return cast(ApplicationFilter, found)
    raise RuntimeError("no context declares the candidates' application filter")


@dataclass(frozen=True)
class CandidateQuery:
    """The filters of GET /v1/candidates in clear; the service turns them into blind indexes."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    tag: str | None = None
    source: str | None = None
    job_id: uuid.UUID | None = None
    stage: str | None = None


def _where(query: CandidateQuery, index: BlindIndex) -> repository.CandidateFilter:
    email_index = phone_index = None
    if query.email is not None:
        try:
            email_index = index.email(query.email)
        except ValueError as exc:
            raise _problem("email", f"email is not a valid address: {exc}.") from exc
    if query.phone is not None:
        try:
            phone_index = phones.phone_index(index, query.phone)
        except ValueError as exc:
            raise _problem("phone", f"phone is not a valid number: {exc}.") from exc
    name_tokens: tuple[str, ...] = ()
    if query.name is not None:
        name_tokens = tuple(dict.fromkeys(names.tokens(index, query.name)))
        if not name_tokens:
            raise _problem("name", "name needs at least one letter or digit.")
    return repository.CandidateFilter(
        email_index=email_index,
        phone_index=phone_index,
        name_tokens=name_tokens,
        tag=query.tag,
        source=query.source,
    )


def _name_page(
    rows: list[CandidateView], params: PageParams, sorting: Sorting, keyring: KeyRing
) -> tuple[list[CandidateView], str | None]:
    """sort=name: order decrypted candidates by folded name then id; the cursor's name is sealed."""

    def key(view: CandidateView) -> tuple[str, str]:
        return names.fold(view.full_name), str(view.id)

    ordered = sorted(rows, key=key, reverse=sorting.descending)
    if sorting.after is not None:
        sealed, last_id = sorting.after
        try:
            last = (keyring.decrypt(str(sealed), context=_NAME_CURSOR), str(last_id))
        except (PiiError, ValueError) as exc:
            raise BadRequest("The cursor is malformed; use next_cursor from a previous page.") from exc
        ordered = [v for v in ordered if (key(v) < last if sorting.descending else key(v) > last)]
    return sorted_page_of(
        ordered,
        params,
        sorting,
        lambda view: keyring.encrypt(names.fold(view.full_name), context=_NAME_CURSOR),
    )


_NAME_CURSOR = "candidate-list:name-cursor"


async def list_candidates(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    keyring: KeyRing,
    index: BlindIndex | None = None,
    query: CandidateQuery | None = None,
    sorting: Sorting | None = None,
) -> tuple[list[CandidateView], str | None]:
    """A page of candidates, filtered and sorted (ADR 0016 for name search and sort=name)."""
    query = query or CandidateQuery()
    where = _where(query, index) if index is not None else repository.CandidateFilter()
    if query.job_id is not None or query.stage is not None:
        ids = await _application_filter()(session, job_id=query.job_id, stage=query.stage)
        where = dataclasses.replace(where, ids=tuple(ids))
    if sorting is not None and sorting.key == "name":
        found = await repository.all_candidates(session, where, names.NAME_SORT_LIMIT + 1)
        if len(found) > names.NAME_SORT_LIMIT:
            raise _problem(
                "sort",
                f"sort=name orders at most {names.NAME_SORT_LIMIT} candidates; narrow the list "
                "with filters or sort by created or updated.",
            )
        views, cursor = _name_page([_view(keyring, row) for row in found], params, sorting, keyring)
    elif sorting is not None:
        rows = await repository.list_candidates(session, params, where, sorting)
        column = repository.SORT_COLUMNS[sorting.key].key
        found_rows, cursor = sorted_page_of(rows, params, sorting, lambda c: getattr(c, column))
        views = [_view(keyring, row) for row in found_rows]
    else:
        rows, cursor = page_of(await repository.list_candidates(session, params, where), params)
        views = [_view(keyring, row) for row in rows]
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.listed",
        target_type="candidate",
        count=len(views),
        candidate_ids=[str(view.id) for view in views],
    )
    return views, cursor


async def update_candidate(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    body: CandidateUpdate,
    if_match: str,
    *,
    keyring: KeyRing,
    index: BlindIndex,
) -> CandidateView:
    candidate = await _get_live(session, candidate_id)
    check_if_match(if_match, candidate.id, candidate.version)
    sent = body.model_dump(exclude_unset=True)
    current = _personal(keyring, candidate)
    email = sent.get("email", current["email"])
    phone = sent.get("phone", current["phone"])
    if email is None and phone is None:
        raise _problem("email", "A candidate needs at least one of email and phone.")
    if "email" in sent and email is not None:
        owner = await repository.by_email_index(session, index.email(email))
        if owner is not None and owner.id != candidate.id:
            raise Conflict("Another candidate has this email address; merge the two instead.")
    if "phone" in sent and phone is not None:
        owner = await repository.by_phone_index(session, index.phone(phone))
        if owner is not None and owner.id != candidate.id:
            raise Conflict("Another candidate has this phone number; merge the two instead.")

    changed: list[str] = []
    for field, value in sent.items():
        if field in _PERSONAL:
            if value != current[field]:
                _set(keyring, index, candidate, field, value)
                changed.append(field)
        elif value != getattr(candidate, field):
            setattr(candidate, field, value)
            changed.append(field)
    if not changed:
        _viewed(session, principal, candidate.id)
        return await _present(session, keyring, candidate)  # nothing changed: no new version, no event
    if "full_name" in changed:
        await names.reindex(session, index, candidate.organisation_id, candidate.id, sent["full_name"])
    candidate.version += 1
    await _flush(session)
    _emit(session, principal, CandidateUpdated, candidate, changed)
    _viewed(session, principal, candidate.id)
    return await _present(session, keyring, candidate)


async def merge_candidates(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    duplicate_id: uuid.UUID,
    if_match: str,
    *,
    keyring: KeyRing,
    index: BlindIndex,
) -> CandidateView:
    """Fold ``duplicate_id`` into ``candidate_id`` (with its files, notes and pools); delete the duplicate.

    The target keeps every value it has and gains only what it lacks: email, phone, location, links
    (union), tags (union) and ``source_details`` keys. The duplicate's blind indexes are cleared and
    flushed before the target takes them over, so the per-organisation unique indexes hold at every
    step. An unknown duplicate and another organisation's are the same 404.
    """
    if candidate_id == duplicate_id:
        raise _problem("duplicate_id", "A candidate cannot be merged with itself.")
    target = await _get_live(session, candidate_id)
    check_if_match(if_match, target.id, target.version)
    duplicate = await _get_live(session, duplicate_id)
    mine = _personal(keyring, target)
    theirs = _personal(keyring, duplicate)

    # Release the duplicate's blind indexes first: the target may be about to take them over.
    duplicate.email_index = None
    duplicate.phone_index = None
    await _flush(session)

    changed: list[str] = []
    for field in ("email", "phone", "location"):
        if mine[field] is None and theirs[field] is not None:
            _set(keyring, index, target, field, theirs[field])
            changed.append(field)
    links = list(dict.fromkeys([*mine["links"], *theirs["links"]]))
    if links != mine["links"]:
        _set(keyring, index, target, "links", links)
        changed.append("links")
    tags = _union_of_tags(target.tags, duplicate.tags)
    if tags != target.tags:
        target.tags = tags
        changed.append("tags")
    details = {**theirs["source_details"], **mine["source_details"]}
    if details != mine["source_details"]:
        _set(keyring, index, target, "source_details", details)
        changed.append("source_details")

    await _move_belongings(session, target.id, duplicate.id)
    await names.drop(session, duplicate.id)  # the merged-away name is no longer findable
    await session.delete(duplicate)
    target.version += 1
    await _flush(session)
    audit.record(
        session,
        actor=principal.actor,
        action=CandidateMerged.event_type,
        target_type="candidate",
        target_id=target.id,
        merged_id=str(duplicate_id),
        changed_fields=changed,
    )
    emit(session, CandidateMerged(candidate_id=target.id, merged_id=duplicate_id))
    # The answer shows the merged personal data, so it counts as reading it.
    _viewed(session, principal, target.id)
    return await _present(session, keyring, target)


async def _move_belongings(session: AsyncSession, target_id: uuid.UUID, duplicate_id: uuid.UUID) -> None:
    """Files, notes and pool memberships follow the person; a pool they share keeps the target's entry.

    Sealed file text and note bodies are bound to their own row id, not the candidate's, so they
    move without re-encryption. Applications move in the pipeline context, on ``candidate.merged``.
    """
    for model in (CandidateFile, CandidateNote):
        await session.execute(
            update(model)
            .where(model.candidate_id == duplicate_id)
            .values(candidate_id=target_id)
            .execution_options(synchronize_session="fetch")
        )
    shared = {member.pool_id for member in await repository.memberships_of(session, target_id)}
    for member in await repository.memberships_of(session, duplicate_id):
        if member.pool_id in shared:
            await session.delete(member)
        else:
            member.candidate_id = target_id
    await _flush(session)
