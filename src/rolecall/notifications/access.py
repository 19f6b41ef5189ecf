"""Need-to-know access for e-mail (see :mod:`rolecall.platform.access`): a message to a candidate is
visible with the candidate; messages to staff carry no candidate and stay visible."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from rolecall.platform.access import AccessScope, restrict, visible


@restrict("notification_messages")
def _messages(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return or_(cls.candidate_id.is_(None), cls.candidate_id.in_(visible("candidates", scope)))
