"""Finding and ordering candidates by name while names stay sealed (ADR 0016).

A name is split into normalised words (accents dropped, case folded, split on anything that is not
a letter or digit) and each word is stored as the organisation's keyed blind index under the
``name-token`` purpose, one row per distinct word (:class:`CandidateNameToken`). A search for
``name=Ada Lovelace`` finds candidates holding *every* searched word. Whole words only: no prefixes,
so the index holds one row per word rather than one per prefix (see the ADR for what it reveals).

Ordering by name cannot use the index (an HMAC keeps no order), so ``sort=name`` decrypts the
matching candidates and orders them in memory, refusing lists larger than
:data:`NAME_SORT_LIMIT`; its cursor carries the last name *sealed*, never in clear.
"""

from __future__ import annotations

import unicodedata
import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates.models import CandidateNameToken
from rolecall.platform.pii import BlindIndex

# How many candidates sort=name decrypts at most; past it the caller must narrow the list.
NAME_SORT_LIMIT = 2000
TOKEN_PURPOSE = "name-token"  # noqa: S105 - a blind-index purpose label, not a secret
_MAX_TOKENS = 20


def fold(text: str) -> str:
    """Accent- and case-insensitive form of a text: NFKD, drop combining marks, casefold."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped.casefold())


def words(name: str) -> list[str]:
    """The distinct normalised words of a name, in order (``"José-Luis Ñúñez"`` -> jose, luis, nunez)."""
    folded = fold(name)
    cleaned = "".join(char if char.isalnum() else " " for char in folded)
    return list(dict.fromkeys(cleaned.split()))[:_MAX_TOKENS]


def tokens(index: BlindIndex, name: str) -> list[str]:
    return [index.digest(TOKEN_PURPOSE, word) for word in words(name)]


async def reindex(
    session: AsyncSession,
    index: BlindIndex,
    organisation_id: uuid.UUID,
    candidate_id: uuid.UUID,
    name: str | None,
) -> None:
    """Replace the candidate's name tokens (``None``: remove them, as erasure does)."""
    await drop(session, candidate_id)
    for token in tokens(index, name) if name else []:
        session.add(
            CandidateNameToken(organisation_id=organisation_id, candidate_id=candidate_id, token=token)
        )


async def drop(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    await session.execute(delete(CandidateNameToken).where(CandidateNameToken.candidate_id == candidate_id))
