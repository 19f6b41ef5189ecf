"""The scorecards section of a candidate's page: for each of the candidate's applications, its
interviews and the submitted scorecards the caller may read.

Loaded into the candidate's page with htmx (``HX-Request``: the section alone), or opened as a page
of its own. Which scorecards show is decided by :func:`rolecall.interviews.scorecards.interview_scorecards`,
the function behind ``GET /v1/interviews/{id}/scorecards``: blind review (an interviewer on the
interview sees nobody's card before submitting their own) and the audit entry are the API's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from rolecall.interviews import page_views, scorecards, service
from rolecall.interviews.models import Interview
from rolecall.interviews.repository import InterviewFilter
from rolecall.interviews.scorecard_pages import RATING_WORDS, RECOMMENDATION_WORDS
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Forbidden
from rolecall.platform.http import pii_keyring
from rolecall.platform.pagination import MAX_LIMIT, PageParams
from rolecall.web.auth import page_requires
from rolecall.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
# The scopes of GET /v1/applications?candidate_id= and GET /v1/interviews/{id}/scorecards together.
Reader = Annotated[Principal, Depends(page_requires("applications:read", "interviews:read"))]
LISTED = PageParams(limit=MAX_LIMIT, after=None)


@dataclass(frozen=True)
class Panel:
    """One interview and what the caller may see of its scorecards (``blind``: not yet)."""

    interview: Interview
    cards: list[scorecards.ScorecardView]
    blind: bool
    sits_on: bool


@dataclass(frozen=True)
class Section:
    application: pipeline.ApplicationFacts
    job_title: str
    panels: list[Panel]


@router.get("/app/candidates/{candidate_id}/scorecards")
async def candidate_scorecards(
    candidate_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    applications = await pipeline.candidate_applications(session, candidate_id)  # 404 across tenants
    keyring = pii_keyring(request)
    titles = await page_views.job_titles(session, principal, {a.job_id for a in applications})
    sections: list[Section] = []
    interviewer_ids: set[str] = set()
    for application in sorted(applications, key=lambda a: (a.created_at, a.id), reverse=True):
        interviews, _more = await service.list_interviews(
            session, principal, InterviewFilter(application_id=application.id), LISTED
        )
        panels = []
        for interview in sorted(interviews, key=lambda i: (i.starts_at, i.id)):
            try:
                cards = await scorecards.interview_scorecards(
                    session, principal, interview.id, keyring=keyring
                )
                blind = False
            except Forbidden:
                cards, blind = [], True
            interviewer_ids.update(str(card.interviewer_id) for card in cards)
            panels.append(Panel(interview, cards, blind, service.sits_on(interview, principal)))
        if panels:
            sections.append(Section(application, titles[application.job_id], panels))
    fragment = is_htmx(request)
    context = {
        "candidate_id": candidate_id,
        "sections": sections,
        "people": await page_views.people(session, principal, sorted(interviewer_ids)),
        "rating_words": dict(RATING_WORDS),
        "recommendation_words": RECOMMENDATION_WORDS,
        "heading": 3 if fragment else 2,
    }
    template = (
        "interviews/candidate_scorecards.html" if fragment else "interviews/candidate_scorecards_page.html"
    )
    return render(request, template, context)
