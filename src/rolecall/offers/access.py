"""Need-to-know access for offers (see :mod:`rolecall.platform.access`): visible with their job.

Versions and approvals follow their offer; the hire saga follows its job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select

from rolecall.offers.models import Offer
from rolecall.platform.access import AccessScope, restrict


@restrict("offers")
@restrict("hire_sagas")
def _by_job(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return and_(cls.job_id.in_(scope.job_ids))


@restrict("offer_versions")
@restrict("offer_approvals")
def _by_offer(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return and_(cls.offer_id.in_(select(Offer.id).where(Offer.job_id.in_(scope.job_ids))))
