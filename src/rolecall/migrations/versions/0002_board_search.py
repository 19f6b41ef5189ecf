"""board search: documents, facets and the full-text index of the database search adapter

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:10:00.000000

The full-text objects differ per dialect and are not mapped by the ORM (see the search section of
``rolecall.board.models``):

* PostgreSQL: a STORED generated ``tsvector`` column on ``board_search_documents`` and its GIN index
  (configuration ``simple``: the stored terms are analysed already).
* SQLite: the contentless FTS5 table ``board_search_fts`` and three triggers that keep it in step
  with ``board_search_documents`` (rowid = ``doc_no``).

A later migration that rebuilds ``board_search_documents`` on SQLite (batch mode's move-and-copy)
drops its triggers and must re-create them (``tests/board/test_database_index.py`` checks they exist
at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_PG_SEARCH_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, skill_terms), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'C')"
)
_PG_CREATE = [
    f"ALTER TABLE board_search_documents ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({_PG_SEARCH_VECTOR}) STORED",
    "CREATE INDEX ix_board_search_documents_search_vector ON board_search_documents "
    "USING gin (search_vector)",
]
_PG_DROP = [
    "DROP INDEX IF EXISTS ix_board_search_documents_search_vector",
    "ALTER TABLE board_search_documents DROP COLUMN IF EXISTS search_vector",
]

# Contentless (content=''): the terms live in board_search_documents only; deleting from a contentless
# table takes the 'delete' command with the values that were indexed, which the triggers have. The
# stored terms are analysed already (letters and digits only, space-separated); the 'ascii' tokenizer
# treats every non-ASCII character as part of a token, so each stored term is exactly one FTS5 token.
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE board_search_fts USING fts5(title, skills, body, content='', tokenize='ascii')"
)
_SQLITE_FTS_INSERT = (
    "INSERT INTO board_search_fts (rowid, title, skills, body) "
    "VALUES (new.doc_no, new.title_terms, new.skill_terms, new.body_terms);"
)
_SQLITE_FTS_DELETE = (
    "INSERT INTO board_search_fts (board_search_fts, rowid, title, skills, body) "
    "VALUES ('delete', old.doc_no, old.title_terms, old.skill_terms, old.body_terms);"
)
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER board_search_documents_fts_insert AFTER INSERT ON board_search_documents "
    f"BEGIN {_SQLITE_FTS_INSERT} END",
    "CREATE TRIGGER board_search_documents_fts_update "
    "AFTER UPDATE OF doc_no, title_terms, skill_terms, body_terms ON board_search_documents "
    f"BEGIN {_SQLITE_FTS_DELETE} {_SQLITE_FTS_INSERT} END",
    "CREATE TRIGGER board_search_documents_fts_delete AFTER DELETE ON board_search_documents "
    f"BEGIN {_SQLITE_FTS_DELETE} END",
]


def _create_full_text() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_CREATE:
            op.execute(statement)
    else:
        op.execute(_SQLITE_FTS)
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def _drop_full_text() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_DROP:
            op.execute(statement)
    else:
        op.execute("DROP TRIGGER IF EXISTS board_search_documents_fts_insert")
        op.execute("DROP TRIGGER IF EXISTS board_search_documents_fts_update")
        op.execute("DROP TRIGGER IF EXISTS board_search_documents_fts_delete")
        op.execute("DROP TABLE IF EXISTS board_search_fts")


def upgrade() -> None:
    op.create_table(
        "board_search_documents",
        sa.Column(
            "doc_no", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("posting_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_slug", sa.Text(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("salary_max", sa.BigInteger(), nullable=True),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("skill_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("doc_no", name=op.f("pk_board_search_documents")),
        sa.UniqueConstraint("posting_id", name=op.f("uq_board_search_documents_posting_id")),
    )
    with op.batch_alter_table("board_search_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_board_search_documents_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_board_search_documents_organisation_slug"), ["organisation_slug"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_board_search_documents_published_at"), ["published_at"], unique=False
        )

    op.create_table(
        "board_search_facets",
        sa.Column("doc_no", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("facet", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_no"],
            ["board_search_documents.doc_no"],
            name=op.f("fk_board_search_facets_doc_no_board_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_no", "facet", "value", name=op.f("pk_board_search_facets")),
    )
    with op.batch_alter_table("board_search_facets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_board_search_facets_facet_value", ["facet", "value", "doc_no"], unique=False
        )

    _create_full_text()


def downgrade() -> None:
    _drop_full_text()
    with op.batch_alter_table("board_search_facets", schema=None) as batch_op:
        batch_op.drop_index("ix_board_search_facets_facet_value")

    op.drop_table("board_search_facets")
    with op.batch_alter_table("board_search_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_search_documents_published_at"))
        batch_op.drop_index(batch_op.f("ix_board_search_documents_organisation_slug"))
        batch_op.drop_index(batch_op.f("ix_board_search_documents_organisation_id"))

    op.drop_table("board_search_documents")
