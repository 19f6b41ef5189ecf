"""sealed tracking values and tags; scorecard attributes not assessed

ADR 0017. No column changes type: campaign details (``candidates.source_details``,
``applications.source_details``) stay JSON columns and from now on hold one KeyRing token (a JSON
string) instead of a clear object. Sealing needs the PII keys, which migrations never hold, so
``rolecall migrate`` seals the clear objects right after crossing this revision (it runs the
``rotate-keys`` pass, which seals clear campaign details on its way; re-runnable). This data step
does what needs no key:

* tags are brought under the tag rule (``rolecall.candidates.tags``, copied here because a migration
  must not change when the code does): lowercased, accents dropped, other characters turned into
  single hyphens, cut to 40 characters, deduplicated. A tag that still breaks the rule (nothing left,
  or more than six digits: a phone number, an id) is not thrown away: it moves into the candidate's
  campaign details as ``former_tags``, which the seal step then encrypts;
* a token wrapped by this revision's downgrade (below) is unwrapped again, so a downgrade and
  upgrade lose nothing.

Scorecard attributes gain an optional ``not_assessed`` flag inside their JSON; rows without it read
as false, so scorecards need no change here.

Downgrade cannot decrypt (no keys), and the code before 0017 expects an object: each token is
wrapped as ``{"_sealed_0017": "<token>"}``, which that code shows as an opaque value and which the
next upgrade unwraps. Tags stay normalised (they were valid before 0017 too).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 23:00:00
"""

import re
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
WRAP = "_sealed_0017"
TAG_MAX_LENGTH = 40
TAG_MAX_DIGITS = 6
MAX_TAGS = 50
DETAIL_MAX_LENGTH = 500


def _table(name: str, *extra: str) -> sa.TableClause:
    columns: list[sa.ColumnClause[Any]] = [sa.column("id", sa.Uuid()), sa.column("source_details", sa.JSON())]
    columns += [sa.column(column, sa.JSON()) for column in extra]
    return sa.table(name, *columns)


def _rows(connection: sa.Connection, table: sa.TableClause) -> Iterator[Any]:
    """Every row in id order, a batch per query (read whole before the next), so a large table is
    never held at once and the updates made between batches cannot disturb a half-read cursor."""
    after: uuid.UUID | None = None
    while True:
        stmt = sa.select(*table.c).order_by(table.c.id).limit(BATCH)
        if after is not None:
            stmt = stmt.where(table.c.id > after)
        batch = connection.execute(stmt).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].id


def _fold_tag(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    return folded[:TAG_MAX_LENGTH].rstrip("-")


def _tag_ok(value: str) -> bool:
    return bool(value) and sum(c.isdigit() for c in value) <= TAG_MAX_DIGITS


def _normalised(tags: list[Any]) -> tuple[list[str], list[str]]:
    """(tags under the rule, original tags that cannot be brought under it)."""
    kept: list[str] = []
    moved: list[str] = []
    for tag in tags:
        folded = _fold_tag(str(tag))
        if not _tag_ok(folded):
            moved.append(str(tag))
        elif folded not in kept:
            kept.append(folded)
    return kept[:MAX_TAGS], moved + kept[MAX_TAGS:]


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict) and list(value) == [WRAP] and isinstance(value[WRAP], str):
        return value[WRAP]
    return value


def upgrade() -> None:
    connection = op.get_bind()
    applications = _table("applications")
    for row in _rows(connection, applications):
        if _unwrap(row.source_details) is not row.source_details:
            connection.execute(
                applications.update()
                .where(applications.c.id == row.id)
                .values(source_details=_unwrap(row.source_details))
            )
    candidates = _table("candidates", "tags")
    for row in _rows(connection, candidates):
        details = _unwrap(row.source_details)
        tags = list(row.tags or [])
        kept, moved = _normalised(tags)
        if moved:
            if not isinstance(details, dict):  # a sealed value cannot take more; keep both side by side
                details = {WRAP: details}
            former = ", ".join(moved)
            if details.get("former_tags"):
                former = f"{details['former_tags']}, {former}"
            details = {**details, "former_tags": former[:DETAIL_MAX_LENGTH]}
        if details != row.source_details or kept != tags:
            connection.execute(
                candidates.update().where(candidates.c.id == row.id).values(source_details=details, tags=kept)
            )


def downgrade() -> None:
    connection = op.get_bind()
    for table in (_table("applications"), _table("candidates")):
        for row in _rows(connection, table):
            if isinstance(row.source_details, str):
                connection.execute(
                    table.update()
                    .where(table.c.id == row.id)
                    .values(source_details={WRAP: row.source_details})
                )
