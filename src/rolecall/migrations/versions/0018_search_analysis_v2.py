"""board: search terms of analysis version 2 (compounds joined, abbreviations spelled out)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 06:00:00

The database search adapter stores each posting's analysed terms (``board_search_documents``,
with ``board_search_facets``). Analysis version 2 (``rolecall.board.analysis``) writes "back-end"
as ``backend``, "k8s" as kubernetes and so on, so terms stored by version 1 no longer meet the
queries analysed by version 2. They are derived data: this revision removes them, and
``rolecall migrate`` rebuilds them from the posting projection right after (as ``rolecall reindex``
does) when the database adapter is in use. Analysis needs the application's Python code, which a
migration does not run. The tantivy adapter keeps its index on disk in a directory per version and
rebuilds it on its own.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM board_search_facets")
    op.execute("DELETE FROM board_search_documents")


def downgrade() -> None:
    # Version 1 terms cannot be recomputed here either: `rolecall reindex` after downgrading.
    op.execute("DELETE FROM board_search_facets")
    op.execute("DELETE FROM board_search_documents")
