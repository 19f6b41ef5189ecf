"""Board tables: the public, cross-organisation projection of open jobs.

Everything here is public data served to anyone, so none of these tables is :class:`TenantScoped`:
queries deliberately cross organisations, and the board decides visibility itself (``listed``, the
organisation slug of a per-organisation board). Only the board context writes these tables, from
the job events it consumes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base

# ---------------------------------------------------------------------------------------------------
# Search index (rolecall.board.database_index)
#
# ``board_search_documents`` holds one row per posting: what the database search adapter filters and
# sorts on, and the *analysed* text (the terms of title, skill names and body, space-separated, as the
# adapter's analyzer produced them - the same analyzer as the tantivy adapter's, so both match the
# same words). ``board_search_facets`` holds one row per (posting, facet, value) for every facet
# except ``salary``, which is bucketed from ``salary_max`` at query time, so changing SALARY_BUCKETS
# needs no reindex.
#
# The full-text machinery is dialect-specific and lives only in migration 0002, not in the ORM:
#
# * PostgreSQL: ``board_search_documents.search_vector``, a STORED generated ``tsvector`` (title terms
#   weight A, skill terms B, body terms C, config ``simple``: the terms are analysed already) with the
#   GIN index ``ix_board_search_documents_search_vector``. The database computes it; the ORM never
#   reads or writes it.
# * SQLite: the contentless FTS5 table ``board_search_fts(title, skills, body)`` (plus the shadow
#   tables FTS5 creates for it), kept in step with ``board_search_documents`` by three triggers. Its
#   rowid is ``board_search_documents.doc_no``: FTS5 needs an integer rowid, and the implicit rowid of
#   a table keyed by a UUID is not stable (VACUUM may renumber it), so the documents table has an
#   explicit integer primary key, which SQLite makes the rowid itself.
#
# ``UNMAPPED_SCHEMA_OBJECTS`` names those objects so that model/migration comparisons (the drift test,
# autogenerate) can ignore them; it is published on ``Base.metadata.info`` under that key.
# ---------------------------------------------------------------------------------------------------

SEARCH_FTS_TABLE = "board_search_fts"
SEARCH_VECTOR_COLUMN = "search_vector"
SEARCH_VECTOR_INDEX = "ix_board_search_documents_search_vector"
SEARCH_TRIGGERS = (
    "board_search_documents_fts_insert",
    "board_search_documents_fts_update",
    "board_search_documents_fts_delete",
)

# (kind, name): kind is "table", "column" (name is "table.column") or "index".
UNMAPPED_SCHEMA_OBJECTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("table", SEARCH_FTS_TABLE),
        *(("table", f"{SEARCH_FTS_TABLE}_{shadow}") for shadow in ("data", "idx", "docsize", "config")),
        ("column", f"board_search_documents.{SEARCH_VECTOR_COLUMN}"),
        ("index", SEARCH_VECTOR_INDEX),
    }
)
Base.metadata.info.setdefault("unmapped_schema_objects", set()).update(UNMAPPED_SCHEMA_OBJECTS)


class BoardSearchDocument(Base):
    """One posting as the database search index sees it."""

    __tablename__ = "board_search_documents"

    # The integer key is the FTS5 rowid on SQLite (see above); the posting id is the public identity.
    doc_no: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    posting_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    organisation_slug: Mapped[str] = mapped_column(Text, index=True)
    listed: Mapped[bool] = mapped_column(Boolean)
    published_at: Mapped[datetime] = mapped_column(index=True)
    salary_max: Mapped[int | None] = mapped_column(BigInteger)
    title_terms: Mapped[str] = mapped_column(Text)
    skill_terms: Mapped[str] = mapped_column(Text)
    body_terms: Mapped[str] = mapped_column(Text)


class BoardSearchFacet(Base):
    """One facet value of one posting; a posting has one row per location and per skill."""

    __tablename__ = "board_search_facets"
    __table_args__ = (Index("ix_board_search_facets_facet_value", "facet", "value", "doc_no"),)

    doc_no: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("board_search_documents.doc_no", ondelete="CASCADE"),
        primary_key=True,
    )
    facet: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)


# ---------------------------------------------------------------------------------------------------
# Projection (rolecall.board.handlers): the public posting document per job, or a tombstone.
# ---------------------------------------------------------------------------------------------------


class BoardPosting(Base):
    """A job as the board shows it. ``live`` false is a tombstone: the job was paused or closed."""

    __tablename__ = "board_postings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the job's id
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    organisation_slug: Mapped[str | None] = mapped_column(String(60), index=True)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    job_version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The list-view subset of ``document``: search pages read only this, never the full descriptions.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(index=True)
