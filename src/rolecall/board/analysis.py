"""The one text analysis every search adapter uses, so both backends agree on what a word is.

Two steps, applied to posting text and to queries alike:

1. :func:`normalise` rewrites words the way people spell them differently into one form: compounds
   are joined ("back-end", "back end" and "backend" all become ``backend``; also frontend, fullstack,
   devops, onsite, nodejs …) and abbreviations are spelled out (``k8s`` → kubernetes, ``sre`` → site
   reliability, ``ml`` → machine learning, ``js`` → javascript, ``postgres`` → postgresql, ``qa`` and
   ``sdet`` → quality assurance …). The lists are data (``data/search_terms.json``); the spelled-out
   forms are the skills taxonomy's names, so a posting's skills and its text meet the query in the
   same words. Because both sides are rewritten, "SRE" in a title and "site reliability" in a query
   (or the other way round) match.
2. The tantivy analyzer chain: split on anything that is not a letter or digit, drop tokens over 40
   bytes, lower-case, fold accents to ASCII (Zürich → zurich) and stem in English. There are no stop
   words, so "IT" and "Go" stay searchable.

Changing either step changes stored terms: bump :data:`ANALYSIS_VERSION` (the tantivy index lives in
a directory per version and rebuilds itself from the projection; the database index is rebuilt by
``rolecall migrate`` when it crosses the migration that records the change, or by ``rolecall reindex``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Final

import tantivy

ANALYSIS_VERSION: Final = 2
"""1: tokenise, lower-case, fold, stem. 2: compounds and abbreviations normalised first."""


def text_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _spelling(phrase: str) -> str:
    """A pattern for a phrase whose words may be separated by any run of spaces, hyphens or underscores."""
    words = phrase.strip().split()
    return r"[\s\-_.]*".join(re.escape(word) for word in words)


@cache
def _rules() -> tuple[re.Pattern[str], dict[str, str], re.Pattern[str], dict[str, str]]:
    data = json.loads(resources.files("rolecall.board").joinpath("data/search_terms.json").read_text("utf-8"))
    compounds: dict[str, str] = {}
    for joined, spellings in data["compounds"].items():
        for spelling in (joined, *spellings):
            compounds[re.sub(r"[\s\-_.]+", " ", spelling.lower())] = joined
    abbreviations: dict[str, str] = {k.lower(): v for k, v in data["abbreviations"].items()}
    # Longest spellings first, so "dev sec ops" wins over "dev ops"; whole words only.
    compound_pattern = re.compile(
        r"(?<![\w])("
        + "|".join(_spelling(s) for s in sorted(compounds, key=len, reverse=True))
        + r")(?![\w])",
        re.IGNORECASE,
    )
    abbreviation_pattern = re.compile(
        r"(?<![\w\-.])("
        + "|".join(re.escape(a) for a in sorted(abbreviations, key=len, reverse=True))
        + r")(?![\w])",
        re.IGNORECASE,
    )
    return compound_pattern, compounds, abbreviation_pattern, abbreviations


def normalise(text: str) -> str:
    """``text`` with compounds joined and abbreviations spelled out (see the module docstring)."""
    compound_pattern, compounds, abbreviation_pattern, abbreviations = _rules()
    joined = compound_pattern.sub(lambda m: compounds[re.sub(r"[\s\-_.]+", " ", m.group(0).lower())], text)
    return abbreviation_pattern.sub(lambda m: abbreviations[m.group(0).lower()], joined)
