"""The careers board in Greenhouse's and Lever's public shapes, and the board keys that guard applying.

Everything read here comes from the board context's public service (the same live postings the
``/v1/board`` routes serve), so an unpublished job or another organisation's posting can never appear:
a board slug names one organisation and only its live postings are mapped. Applying goes through the
pipeline's public apply door (:mod:`rolecall.pipeline.intake`), the same one as
``POST /v1/board/postings/{id}/applications``: one rate limit, one set of checks, the status link
e-mailed to the applicant, the same events.

Greenhouse identifies job posts, jobs, departments and offices by integers, and clients parse them
as such. Rolecall's ids are UUIDs and its departments and offices are names, so each is given a stable
53-bit number (from a SHA-256 of what it names: small enough for JavaScript's exact integers).
Two postings of one board sharing a number is a 1 in 2^53 per pair event; the lookup refuses to guess
and answers 404 for an ambiguous number.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.board import service as board
from rolecall.board.schemas import PostingDetail
from rolecall.compat import repository
from rolecall.compat.models import BoardKey
from rolecall.jobs import service as jobs
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import NotFound
from rolecall.platform.tenancy import bind_organisation

# --- board keys --------------------------------------------------------------------------------

KEY_SCHEME = "rcbk"
# The same argon2id cost as API-client secrets and passwords (identity.passwords).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
_DUMMY_HASH = _hasher.hash("rolecall-board-key-timing-equaliser")


def _new_key() -> tuple[str, str]:
    """(prefix, key): the prefix finds the row, the rest is the secret only its hash remembers."""
    prefix = secrets.token_hex(6)
    return prefix, f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


async def create_key(session: AsyncSession, principal: Principal, label: str) -> tuple[BoardKey, str]:
    prefix, key = _new_key()
    row = BoardKey(label=label, prefix=prefix, secret_hash=_hasher.hash(key))
    session.add(row)
    await session.flush()
    audit.record(
        session, actor=principal.actor, action="board_key.created", target_type="board_key", target_id=row.id
    )
    return row, key


async def list_keys(session: AsyncSession, principal: Principal) -> list[BoardKey]:
    return await repository.list_keys(session)


async def _key(session: AsyncSession, key_id: uuid.UUID) -> BoardKey:
    row = await repository.get_key(session, key_id)
    if row is None:
        raise NotFound("There is no board key with this id.")
    return row


async def get_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> BoardKey:
    return await _key(session, key_id)


async def rotate_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> tuple[BoardKey, str]:
    """A new secret (and prefix) for a live key; the old secret stops working at once."""
    row = await _key(session, key_id)
    if row.revoked_at is not None:
        raise NotFound("This board key was revoked; create a new one.")
    row.prefix, key = _new_key()
    row.secret_hash = _hasher.hash(key)
    row.version += 1
    await session.flush()
    audit.record(
        session, actor=principal.actor, action="board_key.rotated", target_type="board_key", target_id=row.id
    )
    return row, key


async def revoke_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> None:
    row = await _key(session, key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.version += 1
        await session.flush()
        audit.record(
            session,
            actor=principal.actor,
            action="board_key.revoked",
            target_type="board_key",
            target_id=row.id,
        )


async def check_key(session: AsyncSession, organisation_id: uuid.UUID, key: str | None) -> bool:
    """Whether ``key`` is a live board key of this organisation (binds the session to it).

    An unknown key costs one argon2 verification like a known one, so timing tells nothing.
    """
    bind_organisation(session, organisation_id)
    parts = (key or "").split("_", 2)
    row = None
    if len(parts) == 3 and parts[0] == KEY_SCHEME and re.fullmatch(r"[0-9a-f]{12}", parts[1]):
        row = await repository.live_key_by_prefix(session, parts[1])
    try:
        valid = _hasher.verify(row.secret_hash if row else _DUMMY_HASH, key or "") and row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        valid = False
    if valid and row is not None:
        row.last_used_at = utcnow()
        await session.flush()
    return valid


# --- the board, as both shapes read it ----------------------------------------------------------


@dataclass(frozen=True)
class Board:
    organisation_id: uuid.UUID
    slug: str
    name: str
    intro: str | None
    postings: list[PostingDetail]


async def read_board(session: AsyncSession, slug: str, public_base: str | None) -> Board:
    """The live postings of one organisation's board, newest first; NotFound for an unknown slug."""
    organisation_id, name = await board.organisation(session, slug)
    links = board.Links(public_base)
    postings = await board.organisation_postings(session, organisation_id, links=links)
    branding = await jobs.board_branding(session, organisation_id)
    return Board(organisation_id, slug, name, branding.careers_intro if branding else None, postings)


def number(*parts: str) -> int:
    """A stable positive integer below 2^53 for what ``parts`` name (see the module docstring)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 11


def absolute(base_url: str, url: str) -> str:
    return board.absolute(base_url, url)


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _place(posting: PostingDetail) -> str:
    places = [loc.display for loc in posting.locations]
    if posting.work_arrangement == "remote" or not places:
        places.append("Remote")
    return "; ".join(dict.fromkeys(places))


_EMPLOYMENT = {
    "full_time": "Full-time",
    "part_time": "Part-time",
    "contract": "Contract",
    "temporary": "Temporary",
    "internship": "Internship",
}
_WORKPLACE = {"on_site": "on-site", "onsite": "on-site", "remote": "remote", "hybrid": "hybrid"}


# --- Greenhouse ---------------------------------------------------------------------------------


def gh_post_id(posting: PostingDetail) -> int:
    return number("greenhouse-post", str(posting.id))


def gh_job_id(posting: PostingDetail) -> int:
    return number("greenhouse-job", str(posting.id))


def _gh_department(org: uuid.UUID, name: str) -> dict[str, Any]:
    return {
        "id": number("greenhouse-department", str(org), name),
        "name": name,
        "parent_id": None,
        "child_ids": [],
    }


def _gh_office(org: uuid.UUID, name: str, location: str) -> dict[str, Any]:
    return {
        "id": number("greenhouse-office", str(org), name),
        "name": name,
        "location": location,
        "parent_id": None,
        "child_ids": [],
    }


def _gh_offices(board_: Board, posting: PostingDetail) -> list[dict[str, Any]]:
    offices = [_gh_office(board_.organisation_id, loc.display, loc.display) for loc in posting.locations]
    if posting.work_arrangement == "remote" or not offices:
        offices.append(_gh_office(board_.organisation_id, "Remote", ", ".join(posting.remote_countries)))
    return offices


def gh_job(board_: Board, posting: PostingDetail, base_url: str, *, content: bool) -> dict[str, Any]:
    """A job post as Greenhouse's list and retrieve routes answer it."""
    job: dict[str, Any] = {
        "id": gh_post_id(posting),
        "internal_job_id": gh_job_id(posting),
        "title": posting.title,
        "updated_at": _iso(posting.updated_at),
        "requisition_id": None,
        "location": {"name": _place(posting)},
        "absolute_url": absolute(base_url, posting.url),
        "language": "en",
        "metadata": None,
        "company_name": board_.name,
        "first_published": _iso(posting.published_at),
    }
    if content:
        # Greenhouse sends the description's HTML with its markup escaped as entities.
        job["content"] = html.escape(posting.description.html, quote=True)
        job["departments"] = [_gh_department(board_.organisation_id, posting.department)]
        job["offices"] = _gh_offices(board_, posting)
    return job


def gh_find(board_: Board, job_id: int) -> PostingDetail:
    found = [p for p in board_.postings if gh_post_id(p) == job_id]
    if len(found) != 1:
        raise NotFound("Job not found")
    return found[0]


_GH_TYPES = {
    "short_text": "input_text",
    "long_text": "textarea",
    "number": "input_text",
    "single_choice": "multi_value_single_select",
    "multi_choice": "multi_value_multi_select",
    "yes_no": "multi_value_single_select",
    "file": "input_file",
}
YES_NO = [{"value": 1, "label": "Yes"}, {"value": 0, "label": "No"}]


def _gh_question(
    label: str, required: bool, *fields: dict[str, Any], description: str | None = None
) -> dict[str, Any]:
    return {"required": required, "label": label, "description": description, "fields": list(fields)}


def _field(name: str, kind: str, values: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"name": name, "type": kind, "values": values or []}


def gh_questions(form: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The application form as Greenhouse's ``questions``: the fixed fields, then the job's own."""
    questions = [
        _gh_question("First Name", True, _field("first_name", "input_text")),
        _gh_question("Last Name", True, _field("last_name", "input_text")),
        _gh_question("Email", True, _field("email", "input_text")),
        _gh_question("Phone", False, _field("phone", "input_text")),
        _gh_question("Resume/CV", False, _field("resume", "input_file"), _field("resume_text", "textarea")),
    ]
    for question in form:
        kind = question["type"]
        values: list[dict[str, Any]] = []
        if kind in ("single_choice", "multi_choice"):
            values = [{"value": i, "label": option} for i, option in enumerate(question.get("options") or [])]
        elif kind == "yes_no":
            values = YES_NO
        questions.append(
            _gh_question(
                question["label"],
                bool(question.get("required")),
                _field(f"question_{question['key']}", _GH_TYPES.get(kind, "input_text"), values),
                description=question.get("help_text"),
            )
        )
    return questions


def gh_pay_ranges(posting: PostingDetail) -> list[dict[str, Any]]:
    salary = posting.salary
    if salary is None:
        return []
    return [
        {
            "min_cents": salary.min * 100,
            "max_cents": salary.max * 100,
            "currency_type": salary.currency,
            "title": f"Pay range (per {salary.period})",
            "blurb": None,
        }
    ]


GH_DATA_COMPLIANCE = [
    {
        "type": "gdpr",
        "requires_consent": True,
        "requires_processing_consent": False,
        "requires_retention_consent": False,
        "retention_period": None,
    }
]


def gh_departments(board_: Board, base_url: str) -> list[dict[str, Any]]:
    names = dict.fromkeys(p.department for p in board_.postings)
    out = []
    for name in names:
        department = _gh_department(board_.organisation_id, name)
        department["jobs"] = [
            gh_job(board_, p, base_url, content=False) for p in board_.postings if p.department == name
        ]
        out.append(department)
    return out


def gh_offices(board_: Board, base_url: str) -> list[dict[str, Any]]:
    offices: dict[int, dict[str, Any]] = {}
    members: dict[int, list[PostingDetail]] = {}
    for posting in board_.postings:
        for office in _gh_offices(board_, posting):
            offices.setdefault(office["id"], office)
            members.setdefault(office["id"], []).append(posting)
    out = []
    for office_id, office in offices.items():
        postings = members[office_id]
        departments = []
        for name in dict.fromkeys(p.department for p in postings):
            department = _gh_department(board_.organisation_id, name)
            department["jobs"] = [
                gh_job(board_, p, base_url, content=False) for p in postings if p.department == name
            ]
            departments.append(department)
        out.append({**office, "departments": departments})
    return out


def gh_board(board_: Board) -> dict[str, Any]:
    intro = (board_.intro or "").strip()
    content = "".join(f"<p>{html.escape(part.strip())}</p>" for part in intro.split("\n\n") if part.strip())
    return {"name": board_.name, "content": content}


# --- Lever --------------------------------------------------------------------------------------

_INTERVALS = {"year": "per-year-salary", "month": "per-month-salary", "hour": "per-hour-wage"}


def lever_categories(posting: PostingDetail) -> dict[str, Any]:
    places = [loc.display for loc in posting.locations]
    if posting.work_arrangement == "remote" or not places:
        places.append("Remote")
    return {
        "commitment": _EMPLOYMENT.get(posting.employment_type, posting.employment_type),
        "department": posting.department,
        "level": posting.level,
        "location": places[0],
        "team": posting.department,
        "allLocations": list(dict.fromkeys(places)),
    }


def _country(posting: PostingDetail) -> str | None:
    """Lever's one ISO country, or null when the posting names none or several (remote)."""
    countries = list(
        dict.fromkeys([loc.country for loc in posting.locations] + list(posting.remote_countries))
    )
    return countries[0] if len(countries) == 1 else None


def lever_posting(posting: PostingDetail, base_url: str) -> dict[str, Any]:
    """A posting as Lever's postings API answers it in ``mode=json``."""
    salary = posting.salary
    published = posting.published_at
    out: dict[str, Any] = {
        "id": str(posting.id),
        "text": posting.title,
        "categories": lever_categories(posting),
        "country": _country(posting),
        "workplaceType": _WORKPLACE.get(posting.work_arrangement, "unspecified"),
        "opening": "",
        "openingPlain": "",
        "description": posting.description.html,
        "descriptionPlain": posting.description.text,
        "descriptionBody": posting.description.html,
        "descriptionBodyPlain": posting.description.text,
        "lists": [],
        "additional": "",
        "additionalPlain": "",
        "hostedUrl": absolute(base_url, posting.url),
        "applyUrl": absolute(base_url, posting.apply_url),
        "createdAt": int(published.timestamp() * 1000),
    }
    if salary is not None:
        out["salaryRange"] = {
            "currency": salary.currency,
            "interval": _INTERVALS.get(salary.period, f"per-{salary.period}"),
            "min": salary.min,
            "max": salary.max,
        }
    return out


LEVER_FILTERS = ("location", "commitment", "team", "department", "level")
LEVER_GROUPS = ("location", "commitment", "team")


def lever_filter(postings: Iterable[dict[str, Any]], filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Lever's filters: values of one filter are OR'ed, filters are AND'ed; a location matches any of
    the posting's locations. Matching is exact (Lever's docs call it case sensitive)."""
    out = []
    for posting in postings:
        categories = posting["categories"]
        keep = True
        for name, wanted in filters.items():
            if not wanted:
                continue
            have = categories["allLocations"] if name == "location" else [categories.get(name)]
            if not set(wanted) & set(have):
                keep = False
                break
        if keep:
            out.append(posting)
    return out


def lever_group(postings: Sequence[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for posting in postings:
        groups.setdefault(str(posting["categories"].get(by) or ""), []).append(posting)
    return [{"title": title, "postings": items} for title, items in sorted(groups.items())]


def lever_find(board_: Board, posting_id: str) -> PostingDetail:
    for posting in board_.postings:
        if str(posting.id) == posting_id:
            return posting
    raise NotFound("Document not found")
