"""The one text analysis every search adapter uses, so both backends agree on what a word is.

Split on anything that is not a letter or digit, drop tokens over 40 bytes, lower-case, fold accents
to ASCII (Zürich → zurich) and stem in English. There are no stop words, so "IT" and "Go" stay
searchable. Changing this chain changes stored terms: bump the tantivy ``SCHEMA_VERSION`` and
rebuild the database index (``rolecall reindex``).
"""

from __future__ import annotations

import tantivy


def text_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
