"""What the candidates context contributes: people, files, notes and pools; the person record's data."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.csv_endpoints import router as csv_router
from rolecall.candidates.endpoints import router
from rolecall.candidates.files import held_file_keys
from rolecall.candidates.keys import rotate_candidate_keys
from rolecall.candidates.pages import router as pages
from rolecall.platform.contexts import HIRING_MANAGER, RECRUITER, Context, PersonalData, Scope
from rolecall.platform.pii import KeyRing


async def _rotate(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    report = await rotate_candidate_keys(sessionmaker, keyring, batch_size=batch_size)
    return report.fields + report.files + report.notes


CONTEXT = Context(
    name="candidates",
    order=50,
    routers=(csv_router, router),
    pages=(pages,),
    scopes=(
        Scope(
            "candidates:read",
            "Read candidates, including their personal data (every read is audited)",
            frozenset({RECRUITER, HIRING_MANAGER}),
        ),
        Scope(
            "candidates:write",
            "Add and edit candidates, their files, notes and talent pools",
            frozenset({RECRUITER}),
        ),
    ),
    # The person record itself: the privacy context exports and erases it around the others.
    personal_data=PersonalData(
        export_key="candidate",
        # candidate_name_tokens: keyed name words (ADR 0016), deleted by erasure, unchanged by rotation.
        tables=(
            "candidates",
            "candidate_files",
            "candidate_notes",
            "talent_pool_members",
            "candidate_name_tokens",
        ),
        rotate_keys=_rotate,
    ),
    # candidate_files.storage_key: the only records pointing into the file store today.
    file_keys=held_file_keys,
)
