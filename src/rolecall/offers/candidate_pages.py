"""The offers section of a candidate's page: each offer made to the candidate, its status and the
terms of its current version, linking to the offer's own page.

Loaded into the candidate's page with htmx (``HX-Request``: the section alone), or opened as a page
of its own. The offers come from the same service functions as ``GET /v1/offers?candidate_id=`` and
``GET /v1/offers/{id}``, with the same scope; reading one applies its expiry, as the API does.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from rolecall.jobs import service as jobs
from rolecall.offers import service
from rolecall.offers.pages import STATUS_WORDS
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import NotFound
from rolecall.platform.http import pii_keyring
from rolecall.platform.pagination import MAX_LIMIT, PageParams
from rolecall.web.auth import page_requires
from rolecall.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(page_requires("offers:read"))]


@router.get("/app/candidates/{candidate_id}/offers")
async def candidate_offers(
    candidate_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    await pipeline.candidate_applications(session, candidate_id)  # 404 for another organisation's
    offers, more = await service.list_offers(
        session, principal, PageParams(limit=MAX_LIMIT, after=None), candidate_id=candidate_id
    )
    keyring = pii_keyring(request)
    views = [
        await service.get_offer(session, principal, offer.id, keyring=keyring)
        for offer in sorted(offers, key=lambda o: (o.created_at, o.id), reverse=True)
    ]
    titles: dict[uuid.UUID, str] = {}
    for job_id in {view.offer.job_id for view in views}:
        try:
            titles[job_id] = (await jobs.get_job(session, principal, job_id)).title
        except NotFound:
            titles[job_id] = "A removed job"
    fragment = is_htmx(request)
    context = {
        "candidate_id": candidate_id,
        "views": views,
        "titles": titles,
        "words": STATUS_WORDS,
        "more": more is not None,
        "heading": 3 if fragment else 2,
    }
    template = "offers/candidate_offers.html" if fragment else "offers/candidate_offers_page.html"
    return render(request, template, context)
