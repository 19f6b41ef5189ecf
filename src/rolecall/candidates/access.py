"""Need-to-know access for people (see :mod:`rolecall.platform.access`).

A restricted staff member sees a candidate only through an application to one of their jobs or an
interview they sit on: the ``candidates`` set, which the pipeline and interviews contexts fill (this
context does not read their tables). Files, notes, name tokens (so name search) and pool memberships
follow the person. A candidate with no application yet is visible to organisation-wide staff and to
the staff member who added them (so sourcing, then applying to one's job, works).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select

from rolecall.candidates.models import Candidate
from rolecall.platform.access import AccessScope, contribute, restrict, visible


@restrict("candidates")
def _candidates(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return and_(cls.id.in_(visible("candidates", scope)))


@restrict("candidate_files")
@restrict("candidate_notes")
@restrict("candidate_name_tokens")
@restrict("talent_pool_members")
def _of_candidate(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return and_(cls.candidate_id.in_(visible("candidates", scope)))


@contribute("candidates")
def _added_by_me(scope: AccessScope) -> Select[Any]:
    return select(Candidate.id).where(Candidate.added_by_user_id == scope.user_id)
