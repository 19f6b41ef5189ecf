"""Demo candidates for ``make run``: one person in every stage of the demo's lead back-end job.

They come in the way real ones do — through the public apply path with a resume, answers and
consent, so each has a match score — and then move on through the same services the API uses:
screens, an interview with a submitted scorecard, an offer waiting for approval, a hire carried out
by the saga, a rejection with a reason and a withdrawal. Idempotent: nothing is added when the job
already has applications.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import rolecall.worker  # noqa: F401 - registers every context's event handlers for the drain below
from rolecall.config import Settings
from rolecall.demo_assessments import add_blueprint, take_assessments
from rolecall.identity import service as identity
from rolecall.identity.permissions import Role, scopes_for_roles
from rolecall.interviews import scorecards
from rolecall.interviews import service as interviews
from rolecall.interviews.models import Interview
from rolecall.interviews.schemas import InterviewCreate, ScorecardUpdate
from rolecall.jobs import service as jobs
from rolecall.offers import service as offers
from rolecall.offers.schemas import Decision, OfferCreate, SendOffer
from rolecall.pipeline import applying
from rolecall.pipeline import service as pipeline
from rolecall.pipeline.schemas import PublicApplication
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.events.registry import registry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.http import etag_for
from rolecall.platform.pagination import PageParams
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import bind_organisation

DEMO_JOB_TITLE = "Lead Back-End Engineer"


@dataclass(frozen=True)
class DemoCandidate:
    name: str
    email: str
    years: float
    skills: str
    stage: str  # where they end up; "rejected" and "withdrawn" are statuses


DEMO_CANDIDATES = (
    DemoCandidate(
        "Maya Lindqvist",
        "maya.lindqvist@example.net",
        6,
        "Python, REST, SQL, PostgreSQL, Redis, Docker, unit testing",
        "Applied",
    ),
    DemoCandidate(
        "Tomás Ferreira",
        "tomas.ferreira@example.net",
        8,
        "Go, REST, microservices, SQL, PostgreSQL, Docker, Kubernetes, CI/CD",
        "Recruiter screen",
    ),
    DemoCandidate(
        "Aiko Tanaka",
        "aiko.tanaka@example.net",
        9,
        "Python, REST, SQL, RabbitMQ, Docker, CI/CD, OAuth2, code review",
        "Skills assessment",
    ),
    DemoCandidate(
        "Kwame Mensah",
        "kwame.mensah@example.net",
        11,
        "Java, REST, microservices, system design, SQL, Kafka, Docker, Kubernetes, CI/CD, AWS",
        "Technical interview",
    ),
    DemoCandidate(
        "Lena Novak",
        "lena.novak@example.net",
        7,
        "Python, REST, SQL, PostgreSQL, Redis, AWS, Docker, unit testing, code review",
        "Team interview",
    ),
    DemoCandidate(
        "Ravi Iyer",
        "ravi.iyer@example.net",
        10,
        "Python, REST, microservices, system design, SQL, PostgreSQL, OAuth2, JWT, Docker, Prometheus",
        "Offer",
    ),
    DemoCandidate(
        "Sofia Rossi",
        "sofia.rossi@example.net",
        12,
        "REST, microservices, system design, SQL, PostgreSQL, Kafka, OAuth2, Docker, Kubernetes, CI/CD, "
        "Prometheus, AWS, unit testing, code review, incident management",
        "Hired",
    ),
    DemoCandidate("Jonas Weber", "jonas.weber@example.net", 3, "PHP, MySQL", "rejected"),
    DemoCandidate(
        "Amara Okafor", "amara.okafor@example.net", 9, "Node.js, REST, MongoDB, Docker, CI/CD", "withdrawn"
    ),
)
_ORDER = [
    "Applied",
    "Recruiter screen",
    "Skills assessment",
    "Technical interview",
    "Team interview",
    "Offer",
]


def _resume(person: DemoCandidate) -> bytes:
    text = (
        f"{person.name}\nBack-end engineer, {person.years:g} years of experience.\n"
        f"Skills: {person.skills}.\nBuilt and ran APIs and background workers in production.\n"
    )
    return text.encode()


def _staff(user_id: uuid.UUID, organisation_id: uuid.UUID, role: Role) -> Principal:
    return Principal("user", user_id, organisation_id, scopes_for_roles([role]), frozenset({role}))


async def _deliver(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Run the outbox relay to completion, as the worker would (postings reach the board; sagas run)."""
    relay = InProcessRelay(sessionmaker, registry)
    await OutboxDispatcher(sessionmaker, relay, max_attempts=settings.outbox_max_attempts).drain()


async def _job_id(session: AsyncSession, admin: Principal) -> uuid.UUID | None:
    rows, _cursor = await jobs.list_jobs(session, admin, PageParams(limit=200, after=None), "open")
    return next((job.id for job in rows if job.title == DEMO_JOB_TITLE), None)


async def load_pipeline(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    organisation_id: uuid.UUID,
    admin_id: uuid.UUID,
    manager_email: str,
) -> bool:
    """Add the demo candidates once; returns whether anything was added."""
    keyring = settings.pii_keyring()
    tools = applying.Tools(keyring, settings.blind_index(), settings.file_store(), settings.status_link_days)
    admin = _staff(admin_id, organisation_id, Role.ADMIN)
    await _deliver(sessionmaker, settings)  # the job's posting must be on the board to apply to it
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        job_id = await _job_id(session, admin)
        if job_id is None or await pipeline.job_applications(session, job_id, status=None):
            return False
        found = await identity.find_login(session, manager_email)
        assert found is not None
        manager = _staff(found[0], organisation_id, Role.HIRING_MANAGER)
        # Before anyone arrives, so entering the assessment stage invites them as it would for real.
        await add_blueprint(session, admin, job_id)
        form = await applying.application_form(session, job_id)
        applications: dict[str, uuid.UUID] = {}
        for person in DEMO_CANDIDATES:
            body = PublicApplication.model_validate(
                {
                    "full_name": person.name,
                    "email": person.email,
                    "years_experience": person.years,
                    "answers": {
                        "work_permit": True,
                        "notice_weeks": 4,
                        "proud_of": "A job scheduler that survived a region failure without losing work.",
                    },
                    "consent": {"given": True, "text_version": form["consent_version"]},
                    "tracking": {"utm_source": "demo"},
                }
            )
            resume = _resume(person)
            submitted = await applying.submit(
                session, job_id, body, resume=resume, files={"resume": resume}, tools=tools
            )
            applications[person.name] = submitted.application.id
        for person in DEMO_CANDIDATES:
            await _advance(session, admin, manager, person, applications[person.name], keyring)
    await _deliver(sessionmaker, settings)  # runs the hire saga and the automatic invitations
    await take_assessments(sessionmaker, settings, organisation_id, admin_id, manager.subject_id, job_id)
    await _deliver(sessionmaker, settings)
    return True


async def _advance(
    session: AsyncSession,
    admin: Principal,
    manager: Principal,
    person: DemoCandidate,
    application_id: uuid.UUID,
    keyring: KeyRing,
) -> None:
    if person.stage == "rejected":
        await pipeline.move(session, admin, application_id, "Recruiter screen")
        await pipeline.reject(session, admin, application_id, "skills_gap")
        return
    if person.stage == "withdrawn":
        await pipeline.withdraw(session, admin, application_id)
        return
    target = "Offer" if person.stage == "Hired" else person.stage
    for stage in _ORDER[1 : _ORDER.index(target) + 1]:
        await pipeline.move(session, admin, application_id, stage)
        if stage == "Technical interview":
            await _interview(session, admin, manager, application_id, keyring)
    if target == "Offer":
        await _offer(session, admin, manager, application_id, keyring, accept=person.stage == "Hired")


async def _interview(
    session: AsyncSession, admin: Principal, manager: Principal, application_id: uuid.UUID, keyring: KeyRing
) -> None:
    interview = await interviews.schedule_interview(
        session,
        admin,
        application_id,
        InterviewCreate(
            title="System design",
            starts_at=(utcnow() + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0),
            duration_minutes=60,
            interviewer_ids=[manager.subject_id],
            video_url="https://meet.example.com/acme-system-design",
        ),
    )
    # Scorecards open only once an interview has started: the demo's took place yesterday, a story
    # told after the fact (scheduling itself only accepts times still to come).
    held = await session.get(Interview, interview.id)
    assert held is not None
    held.starts_at = held.starts_at - timedelta(days=3)
    await session.flush()
    card = await scorecards.my_scorecard(session, manager, interview.id, keyring=keyring)
    ratings = {attribute["skill"]: 3 for attribute in card.attributes}
    update = ScorecardUpdate(
        ratings=ratings, recommendation="yes", notes="Clear trade-offs; asked good questions."
    )
    card = await scorecards.update_my_scorecard(
        session, manager, interview.id, update, etag_for(card.id, card.version), keyring=keyring
    )
    await scorecards.submit_my_scorecard(session, manager, interview.id, keyring=keyring)


async def _offer(
    session: AsyncSession,
    admin: Principal,
    manager: Principal,
    application_id: uuid.UUID,
    keyring: KeyRing,
    *,
    accept: bool,
) -> None:
    terms = OfferCreate(
        salary=140_000,
        currency="USD",
        period="year",
        start_date=(utcnow() + timedelta(days=45)).date(),
        terms="Permanent, remote within the US or Canada; equity as in the company plan.",
    )
    view = await offers.create_offer(session, admin, application_id, terms, keyring=keyring)
    if not accept:
        return  # waits for the hiring manager's approval
    offer = view.offer
    await offers.decide(session, manager, offer.id, "approved", Decision(), keyring=keyring)
    await offers.decide(session, admin, offer.id, "approved", Decision(), keyring=keyring)
    await offers.send_offer(session, admin, offer.id, SendOffer(), keyring=keyring)
    await offers.accept_offer(session, admin, offer.id, keyring=keyring)
