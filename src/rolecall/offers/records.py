"""Offers as read back: versions, approvals and decrypted free text, for responses and exports.

Decline reasons and approval notes are sealed with the PII key ring for
``offers:<id>:decline_reason`` and ``offer_approvals:<id>:note``; only this module opens them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.offers import repository
from rolecall.offers.models import Offer, OfferVersion
from rolecall.platform.pii import KeyRing


@dataclass(frozen=True)
class OfferView:
    """An offer with its versions and approvals, personal text decrypted, for one response."""

    offer: Offer
    versions: list[OfferVersion]
    approvals: list[dict[str, Any]]
    decline_reason: str | None

    @property
    def current(self) -> OfferVersion:
        return next(v for v in self.versions if v.number == self.offer.current_version)

    @property
    def pending_step(self) -> dict[str, Any] | None:
        if self.offer.status != "pending_approval":
            return None
        step = sum(1 for a in self.approvals if a["offer_version"] == self.offer.current_version)
        return {"step": step, "role": self.offer.approval_chain[step]}


def seal(keyring: KeyRing, context: str, text: str | None) -> str | None:
    return None if text is None else keyring.encrypt(text, context=context)


def open_text(keyring: KeyRing, context: str, token: str | None) -> str | None:
    return None if token is None else keyring.decrypt(token, context=context)


async def view(session: AsyncSession, offer: Offer, keyring: KeyRing) -> OfferView:
    approvals = [
        {
            "offer_version": a.offer_version,
            "step": a.step,
            "role": a.role,
            "approver": a.approver,
            "decision": a.decision,
            "note": open_text(keyring, f"offer_approvals:{a.id}:note", a.note),
            "at": a.at,
        }
        for a in await repository.approvals(session, offer.id)
    ]
    reason = open_text(keyring, f"offers:{offer.id}:decline_reason", offer.decline_reason)
    return OfferView(offer, list(await repository.versions(session, offer.id)), approvals, reason)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def export_candidate(
    session: AsyncSession, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> list[dict[str, Any]]:
    """Every offer made to the candidate, with all versions and approvals, JSON-ready."""
    exported = []
    for offer in await repository.offers_for_candidate(session, candidate_id):
        shown = await view(session, offer, keyring)
        exported.append(
            {
                "id": str(offer.id),
                "application_id": str(offer.application_id),
                "job_id": str(offer.job_id),
                "status": offer.status,
                "created_at": _iso(offer.created_at),
                "sent_at": _iso(offer.sent_at),
                "expires_at": _iso(offer.expires_at),
                "responded_at": _iso(offer.responded_at),
                "decline_reason": shown.decline_reason,
                "versions": [
                    {
                        "number": v.number,
                        "salary": v.salary,
                        "currency": v.currency,
                        "period": v.period,
                        "start_date": _iso(v.start_date),
                        "terms": v.terms,
                        "created_at": _iso(v.created_at),
                    }
                    for v in shown.versions
                ],
                "approvals": [{**a, "at": _iso(a["at"])} for a in shown.approvals],
            }
        )
    return exported


async def erase_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Drop the free text about the candidate (decline reasons, approval notes).

    The offers themselves, their terms and the approval trail stay: they are the organisation's
    own employment records and carry no personal data beyond the candidate id.
    """
    for offer in await repository.offers_for_candidate(session, candidate_id):
        offer.decline_reason = None
        for approval in await repository.approvals(session, offer.id):
            approval.note = None
    await session.flush()
