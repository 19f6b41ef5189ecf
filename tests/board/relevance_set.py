"""A judged relevance set for the careers board search: a fixed board and the postings each query
should bring first.

Thirty-six postings in the shape of a mid-sized engineering organisation's board, and 70 queries as
job seekers type them (compounds written three ways, abbreviations, level words, skills). Each
judgement grades postings: 2 for what should come first, 1 for what is a fair answer further down.
Postings not named are not relevant (grade 0). ``tests/board/test_relevance.py`` measures both
adapters against it; ``bench/relevance.py`` reports the same figures.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rolecall.board.search import PostingDocument

START = datetime(2026, 6, 1, tzinfo=UTC)
ORGANISATION = uuid.UUID(int=77_000)


@dataclass(frozen=True)
class Spec:
    key: str
    title: str
    level: str
    skills: tuple[str, ...]
    body: str
    department: str = "Engineering"


SPECS: tuple[Spec, ...] = (
    Spec(
        "p01",
        "Senior Back-End Engineer",
        "senior",
        ("Python", "PostgreSQL", "Kubernetes"),
        "Design the services and APIs behind our hiring product, own their data model and keep them fast.",
    ),
    Spec(
        "p02",
        "Lead Back-End Engineer",
        "lead",
        ("Go", "PostgreSQL", "Apache Kafka"),
        "Lead a team of four building event-driven services; set the technical direction and mentor.",
    ),
    Spec(
        "p03",
        "Back End Developer",
        "mid",
        ("Java", "Spring"),
        "Build and maintain services for payments and invoicing together with product and design.",
    ),
    Spec(
        "p04",
        "Junior Backend Engineer",
        "junior",
        ("Python", "Django"),
        "Start your career on a friendly team: write services, tests and small features with a mentor.",
    ),
    Spec(
        "p05",
        "Senior Front-End Engineer",
        "senior",
        ("TypeScript", "React"),
        "Build the screens recruiters use all day and work closely with our backend engineers on APIs.",
    ),
    Spec(
        "p06",
        "Frontend Developer",
        "mid",
        ("JavaScript", "Vue.js"),
        "Turn designs into accessible pages and components for our careers sites.",
    ),
    Spec(
        "p07",
        "Lead Frontend Engineer",
        "lead",
        ("React", "Next.js"),
        "Lead the web team, own the design system and shape how we build user interfaces.",
    ),
    Spec(
        "p08",
        "Full-Stack Engineer",
        "mid",
        ("Node.js", "React", "PostgreSQL"),
        "Ship features end to end, from the database to the browser, in small increments.",
    ),
    Spec(
        "p09",
        "Senior Fullstack Developer",
        "senior",
        ("Ruby on Rails", "React"),
        "Work across our Rails monolith and its React front end; improve both with care.",
    ),
    Spec(
        "p10",
        "Site Reliability Engineer",
        "senior",
        ("Kubernetes", "Terraform", "Prometheus"),
        "Keep production healthy: on-call, incident reviews, capacity planning and automation.",
    ),
    Spec(
        "p11",
        "SRE Lead",
        "lead",
        ("Kubernetes", "Amazon Web Services"),
        "Lead our reliability practice, set service level objectives and grow a team of three.",
    ),
    Spec(
        "p12",
        "DevOps Engineer",
        "mid",
        ("Terraform", "Amazon Web Services", "GitHub Actions"),
        "Own our build pipelines and cloud accounts and make deployments boring.",
    ),
    Spec(
        "p13",
        "Platform Engineer, Kubernetes",
        "senior",
        ("Kubernetes", "Go"),
        "Build the internal platform our product teams deploy to: clusters, tooling and golden paths.",
    ),
    Spec(
        "p14",
        "Machine Learning Engineer",
        "senior",
        ("Python", "PyTorch"),
        "Train, evaluate and serve models that match candidates to roles, with fairness checks.",
    ),
    Spec(
        "p15",
        "ML Engineer, Recommendations",
        "mid",
        ("Python", "Apache Spark"),
        "Improve the recommendations job seekers see, from features to online experiments.",
    ),
    Spec(
        "p16",
        "Data Engineer",
        "mid",
        ("Python", "Apache Airflow", "SQL"),
        "Build reliable pipelines into our warehouse and the models analysts depend on.",
    ),
    Spec(
        "p17",
        "Senior Data Scientist",
        "senior",
        ("Python", "Statistics"),
        "Answer hard questions about hiring funnels with careful experiments and clear writing.",
    ),
    Spec(
        "p18",
        "QA Engineer",
        "mid",
        ("Selenium", "Test automation"),
        "Own test plans and automated checks for every release of our web product.",
    ),
    Spec(
        "p19",
        "SDET",
        "senior",
        ("Java", "Playwright"),
        "Write the frameworks and tests that let our engineers release several times a day.",
    ),
    Spec(
        "p20",
        "Security Engineer",
        "senior",
        ("Application security", "Penetration testing"),
        "Review designs and code, run our bug bounty and harden the product against attacks.",
    ),
    Spec(
        "p21",
        "iOS Engineer",
        "senior",
        ("Swift",),
        "Build our recruiter app for iPhone and iPad with a small, experienced team.",
    ),
    Spec(
        "p22",
        "Android Developer",
        "mid",
        ("Kotlin",),
        "Build and polish our Android app for hiring managers on the move.",
    ),
    Spec(
        "p23",
        "Engineering Manager, Platform",
        "lead",
        ("People management",),
        "Manage the platform and infrastructure teams, hire well and keep delivery steady.",
        "Management",
    ),
    Spec(
        "p24",
        "Product Designer",
        "mid",
        ("Figma", "User experience"),
        "Research, prototype and design flows for candidates and recruiters.",
        "Design",
    ),
    Spec(
        "p25",
        "Database Administrator",
        "senior",
        ("PostgreSQL", "MySQL"),
        "Run our database fleet: backups, upgrades, replication and query tuning.",
    ),
    Spec(
        "p26",
        "JavaScript Developer",
        "junior",
        ("JavaScript", "Node.js"),
        "Write small services and scripts and learn from seniors who review every change.",
    ),
    Spec(
        "p27",
        "Golang Developer",
        "mid",
        ("Go",),
        "Write high-throughput services that process millions of applications a day.",
    ),
    Spec(
        "p28",
        "Embedded Software Engineer",
        "senior",
        ("C", "C++"),
        "Write firmware for the kiosks candidates use at our hiring events.",
    ),
    Spec(
        "p29",
        "Cloud Infrastructure Engineer",
        "senior",
        ("Amazon Web Services", "Terraform"),
        "Design our network, accounts and infrastructure as code across three regions.",
    ),
    Spec(
        "p30",
        "Technical Writer",
        "mid",
        ("Documentation",),
        "Write the guides and references our customers and integrators read.",
        "Product",
    ),
    Spec(
        "p31",
        "Support Engineer",
        "junior",
        ("Customer support", "SQL"),
        "Help customers with their questions, find the cause of problems and explain it plainly.",
        "Customer success",
    ),
    Spec(
        "p32",
        "Staff Software Engineer",
        "lead",
        ("Python", "Distributed systems"),
        "Solve problems that cross teams and raise the technical bar of the whole department.",
    ),
    Spec(
        "p33",
        "Mobile Engineer, React Native",
        "mid",
        ("React Native",),
        "Build one app for iOS and Android that candidates use to follow their applications.",
    ),
    Spec(
        "p34",
        "Solutions Architect",
        "senior",
        ("Amazon Web Services",),
        "Help large customers integrate our API with their systems and plan their roll-out.",
        "Sales",
    ),
    Spec(
        "p35",
        "Data Analyst",
        "junior",
        ("SQL", "Tableau"),
        "Build dashboards and reports about hiring for our internal teams.",
        "Operations",
    ),
    Spec(
        "p36",
        "Principal Security Architect",
        "lead",
        ("Cloud security",),
        "Set the security architecture for our cloud and products and guide the security team.",
    ),
)

BACKEND = {"p01": 2, "p02": 2, "p03": 2, "p04": 2}
FRONTEND = {"p05": 2, "p06": 2, "p07": 2}
FULLSTACK = {"p08": 2, "p09": 2}
SRE = {"p10": 2, "p11": 2}
ML = {"p14": 2, "p15": 2}
QA = {"p18": 2, "p19": 2}
KUBERNETES = {"p13": 2, "p10": 1, "p11": 1, "p01": 1}
POSTGRES = {"p25": 2, "p01": 1, "p02": 1, "p08": 1}
NODE = {"p26": 2, "p08": 2}

JUDGEMENTS: dict[str, dict[str, int]] = {
    "backend": BACKEND,
    "back-end": BACKEND,
    "back end": BACKEND,
    "Backend": BACKEND,
    "backend engineer": {"p01": 2, "p02": 2, "p04": 2, "p03": 1},
    "senior backend": {"p01": 2},
    "lead back-end engineer": {"p02": 2, "p01": 1},
    "junior backend": {"p04": 2},
    "back end developer": {"p03": 2, "p01": 1, "p02": 1, "p04": 1},
    "frontend": FRONTEND,
    "front-end": FRONTEND,
    "front end developer": {"p06": 2, "p05": 1, "p07": 1},
    "senior frontend": {"p05": 2},
    "lead frontend": {"p07": 2},
    "fullstack": FULLSTACK,
    "full-stack": FULLSTACK,
    "full stack developer": {"p09": 2, "p08": 1},
    "sre": SRE,
    "SRE": SRE,
    "site reliability": SRE,
    "site reliability engineer": {"p10": 2, "p11": 1},
    "sre lead": {"p11": 2, "p10": 1},
    "devops": {"p12": 2},
    "dev ops engineer": {"p12": 2},
    "k8s": KUBERNETES,
    "kubernetes": KUBERNETES,
    "ml engineer": ML,
    "machine learning": ML,
    "machine learning engineer": {"p14": 2, "p15": 2},
    "ml": ML,
    "qa": QA,
    "sdet": {"p19": 2, "p18": 1},
    "qa engineer": {"p18": 2, "p19": 1},
    "quality assurance": QA,
    "js developer": {"p26": 2, "p06": 1},
    "javascript": {"p26": 2, "p06": 1},
    "postgres": POSTGRES,
    "postgresql": POSTGRES,
    "golang": {"p27": 2, "p02": 1, "p13": 1},
    "go developer": {"p27": 2},
    "security engineer": {"p20": 2, "p36": 1},
    "security": {"p20": 2, "p36": 2},
    "data engineer": {"p16": 2},
    "data scientist": {"p17": 2},
    "ios engineer": {"p21": 2, "p33": 1},
    "android": {"p22": 2, "p33": 1},
    "engineering manager": {"p23": 2},
    "product designer": {"p24": 2},
    "ux": {"p24": 2},
    "embedded": {"p28": 2},
    "c++": {"p28": 2},
    "cloud infrastructure": {"p29": 2},
    "terraform": {"p12": 2, "p29": 2, "p10": 2},
    "aws": {"p34": 2, "p29": 2, "p12": 2, "p11": 2},
    "technical writer": {"p30": 2},
    "support engineer": {"p31": 2},
    "staff engineer": {"p32": 2},
    "react native": {"p33": 2},
    "mobile": {"p33": 2},
    "data analyst": {"p35": 2},
    "security architect": {"p36": 2},
    "node": NODE,
    "nodejs": NODE,
    "node.js developer": {"p26": 2, "p08": 1},
    "django": {"p04": 2},
    "rails": {"p09": 2},
    "typescript": {"p05": 2},
    "ts": {"p05": 2},
    "spark": {"p15": 2},
    "airflow": {"p16": 2},
    "kotlin": {"p22": 2},
    "swift": {"p21": 2},
    "figma": {"p24": 2},
    "dba": {"p25": 2},
    "platform engineer": {"p13": 2, "p23": 1},
}


def posting_id(key: str) -> uuid.UUID:
    return uuid.UUID(int=int(key[1:]))


def key_of(posting: uuid.UUID) -> str:
    return f"p{posting.int:02d}"


def postings() -> list[PostingDocument]:
    """The board, newest posting last (p36 is the most recent), so recency breaks ties the same way
    in every run."""
    return [
        PostingDocument(
            id=posting_id(spec.key),
            organisation_id=ORGANISATION,
            organisation_slug="judged",
            organisation_name="Judged Board Ltd",
            listed=True,
            title=spec.title,
            level=spec.level,
            department=spec.department,
            employment_type="full_time",
            work_arrangement="hybrid",
            locations=("Berlin, DE",),
            skills=tuple(name.lower().replace(" ", "-") for name in spec.skills),
            skill_names=spec.skills,
            body=spec.body,
            published_at=START + timedelta(days=number),
        )
        for number, spec in enumerate(SPECS)
    ]


@dataclass(frozen=True)
class Scores:
    success_at_1: float  # share of queries whose first hit is one of the postings graded highest
    ndcg_at_10: float  # mean normalised discounted cumulative gain of the first ten hits
    misses: tuple[str, ...]  # queries whose first hit is not graded highest, for the failure message


def _dcg(gains: list[int]) -> float:
    return sum((2**gain - 1) / math.log2(rank + 2) for rank, gain in enumerate(gains))


def score(ranked: dict[str, list[str]]) -> Scores:
    """The set's figures for ``ranked``: each query's hits in order, as posting keys."""
    hits_at_1, ndcgs, misses = 0, [], []
    for query, graded in JUDGEMENTS.items():
        order = ranked[query][:10]
        best = max(graded.values())
        if order and graded.get(order[0], 0) == best:
            hits_at_1 += 1
        else:
            misses.append(f"{query!r} -> {order[:3]}")
        ideal = _dcg(sorted(graded.values(), reverse=True)[:10])
        ndcgs.append(_dcg([graded.get(key, 0) for key in order]) / ideal)
    return Scores(hits_at_1 / len(JUDGEMENTS), sum(ndcgs) / len(ndcgs), tuple(misses))
