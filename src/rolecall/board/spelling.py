"""One typo forgiven: when a search finds nothing, a word of five letters or more that no posting
uses is replaced by the posting word one edit away (a letter missing, extra, changed, or two
neighbours swapped), and the search runs once more. The response says which query it answered
(``corrected_query``), so a job seeker sees "showing results for …" and never a silent guess.

The vocabulary is the words of live postings' titles and skill names (as written and as the
analysis rewrites them, so "bakend" finds "backend" in "Back-End"), read from the board
projection (the most recently changed :data:`VOCABULARY_ROWS`) and kept for :data:`VOCABULARY_TTL`
seconds per process: a typo is corrected against what the board actually offers, and the lookup is
a set membership per candidate spelling, the same for both search adapters.
"""

from __future__ import annotations

import asyncio
import re
import string
import time
from collections import Counter
from typing import Final
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rolecall.board.analysis import normalise
from rolecall.board.models import BoardPosting

MIN_LENGTH: Final = 5
VOCABULARY_ROWS: Final = 20_000
VOCABULARY_TTL: Final = 300.0
_WORD = re.compile(r"[^\W_]+")
_LETTERS: Final = string.ascii_lowercase + string.digits


class _Vocabulary:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.loaded_at = float("-inf")
        self.lock = asyncio.Lock()

    async def get(self, engine: AsyncEngine) -> Counter[str]:
        if time.monotonic() - self.loaded_at < VOCABULARY_TTL:
            return self.counts
        async with self.lock:
            if time.monotonic() - self.loaded_at >= VOCABULARY_TTL:
                self.counts = await _load(engine)
                self.loaded_at = time.monotonic()
        return self.counts


# One vocabulary per database (a process has one; the test suite has many).
_vocabularies: WeakKeyDictionary[Engine, _Vocabulary] = WeakKeyDictionary()


async def _load(engine: AsyncEngine) -> Counter[str]:
    """Read in a session of its own that ends before the search runs again: on SQLite a request's
    session holds the one writer lock from its first statement, and the database adapter searches
    in a transaction of its own."""
    stmt = (
        select(BoardPosting.summary)
        .where(BoardPosting.live.is_(True))
        .order_by(BoardPosting.changed_at.desc())
        .limit(VOCABULARY_ROWS)
    )
    counts: Counter[str] = Counter()
    async with AsyncSession(engine) as session, session.begin():
        summaries = (await session.scalars(stmt)).all()
    for summary in summaries:
        if not summary:
            continue
        names = [str(skill.get("name", "")) for skill in summary.get("skills") or []]
        text = " ".join([str(summary.get("title") or ""), *names])
        # As written and as search reads it, so "Back-End" offers both "back" and "backend".
        words = {word.lower() for word in _WORD.findall(text)}
        counts.update(words | {word.lower() for word in _WORD.findall(normalise(text))})
    return counts


def forget() -> None:
    """Drop the cached vocabularies (tests, or right after a bulk load)."""
    _vocabularies.clear()


def _one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | changes | inserts


def correct_with(query: str, vocabulary: Counter[str]) -> str | None:
    """``query`` with each unknown long word replaced by the commonest known word one edit away;
    ``None`` when nothing could be corrected."""
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        lower = word.lower()
        if len(lower) < MIN_LENGTH or lower in vocabulary or not lower.isascii():
            return word
        known = [candidate for candidate in _one_edit(lower) if candidate in vocabulary]
        if not known:
            return word
        changed = True
        return max(known, key=lambda candidate: (vocabulary[candidate], candidate))

    corrected = _WORD.sub(fix, query)
    return corrected if changed else None


async def correct(engine: AsyncEngine, query: str) -> str | None:
    vocabulary = _vocabularies.setdefault(engine.sync_engine, _Vocabulary())
    return correct_with(query, await vocabulary.get(engine))
