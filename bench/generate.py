"""Deterministic board data for the search benchmark: PostgreSQL tables and a tantivy index.

Every posting comes from the starter role library (title per level, the level's skills, department
from the job family) and from the OEWS wage data (metro areas weighted by employment, salary ranges
from the level's percentiles). Descriptions are the product's own Markdown/HTML renderer output,
rendered once per template key with placeholders and then filled in per posting (rendering every
posting would take ~10 ms each).

    .venv/bin/python -m bench.generate --size 10000
    .venv/bin/python -m bench.generate --size 100000 --only tantivy

Data goes to ``/tmp/rolecall-bench/<size>/`` (tantivy index, manifest) and to the PostgreSQL
database ``rolecall_bench_<size>`` (dropped and recreated, then migrated to head). The PostgreSQL
load uses COPY with the secondary indexes dropped and rebuilt afterwards; the tantivy build runs in
a second process at the same time (the stream of postings is the same in both: one seeded RNG).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import multiprocessing
import random
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import escape

from rolecall.board.database_index import analyse
from rolecall.board.documents import search_document
from rolecall.board.search import PostingDocument

try:  # the list-view column of board_postings (newer schema); absent: search hydrates ``document``
    from rolecall.board.documents import summary_of
except ImportError:  # pragma: no cover - older tree
    summary_of = None
from rolecall.jobs import description as jd
from rolecall.jobs.posting import default_title
from rolecall.roles import wages
from rolecall.roles.library.loader import load_library
from rolecall.roles.library.schema import RoleProfile

ROOT = Path("/tmp/rolecall-bench")  # noqa: S108 - benchmark data, not a secret
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SEED = 20260501
ANCHOR = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)  # the newest posting is at most this recent
SPREAD_DAYS = 90
N_ORGS = 600
CHUNK = 5_000


def db_name(size: int) -> str:
    return f"rolecall_bench_{size}"


def pg_dsn(size: int) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{db_name(size)}"


def sqlalchemy_url(size: int) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db_name(size)}"


def data_dir(size: int) -> Path:
    return ROOT / str(size)


def index_dir(size: int) -> Path:
    return data_dir(size) / "index"


# -- vocabulary ------------------------------------------------------------------------------------

PROFILE_WEIGHTS = {
    "backend-engineer": 18,
    "frontend-engineer": 12,
    "fullstack-engineer": 14,
    "data-engineer": 10,
    "ml-engineer": 7,
    "mobile-engineer": 7,
    "platform-engineer": 8,
    "site-reliability-engineer": 6,
    "qa-engineer": 6,
    "security-engineer": 5,
    "engineering-manager": 4,
    "software-architect": 3,
}
LEVEL_WEIGHTS = {"junior": 15, "mid": 30, "senior": 35, "lead": 13, "principal": 7}
# Salary range per level: (low percentile, high percentile) of the OEWS distribution.
LEVEL_PERCENTILES = {
    "junior": ("p10", "p25"),
    "mid": ("p25", "p50"),
    "senior": ("p50", "p75"),
    "lead": ("p75", "p90"),
    "principal": ("p90", "p90"),
}
ARRANGEMENTS = (("onsite", 45), ("hybrid", 35), ("remote", 20))
EMPLOYMENT = (("full_time", 85), ("contract", 8), ("part_time", 3), ("temporary", 2), ("internship", 2))
TITLE_ALIASES = {"Back-End": "Backend", "Front-End": "Frontend", "Full-Stack": "Fullstack"}
TITLE_LANGUAGES = (
    "Python",
    "Java",
    "Go",
    "TypeScript",
    "JavaScript",
    "React",
    "Kotlin",
    "Swift",
    "Scala",
    "Rust",
    "C#",
    "Node.js",
    "Spark",
    "Kubernetes",
    "AWS",
)
TEAMS = (
    "Payments",
    "Growth",
    "Search",
    "Identity",
    "Infrastructure",
    "Data Platform",
    "Checkout",
    "Mobile Apps",
    "Developer Experience",
    "Risk",
    "Billing",
    "Marketplace",
    "Logistics",
    "Analytics",
    "Core Banking",
)
ORG_FIRST = (
    "Acme", "Blue", "Bright", "Cedar", "Clear", "Copper", "Crimson", "Delta", "Ember", "Evergreen",
    "Falcon", "Fern", "Granite", "Harbor", "Helix", "Indigo", "Iron", "Juniper", "Keystone", "Lumen",
    "Maple", "Meridian", "Nimbus", "North", "Oak", "Orbit", "Pioneer", "Prairie", "Quartz", "Redwood",
    "Sage", "Silver", "Summit", "Tandem", "Tidal", "Union", "Vantage", "Vertex", "Willow", "Zenith",
)  # fmt: skip
ORG_SECOND = (
    "Labs", "Systems", "Health", "Analytics", "Logistics", "Bank", "Software", "Robotics", "Energy",
    "Media", "Networks", "Insurance", "Foods", "Mobility", "Security", "Learning", "Retail", "Games",
    "Bio", "Cloud",
)  # fmt: skip
INDUSTRIES = {
    "Labs": "developer tools",
    "Systems": "enterprise software",
    "Health": "healthcare software",
    "Analytics": "data analytics",
    "Logistics": "freight and logistics",
    "Bank": "consumer banking",
    "Software": "business software",
    "Robotics": "industrial robotics",
    "Energy": "renewable energy",
    "Media": "streaming media",
    "Networks": "telecommunications",
    "Insurance": "insurance",
    "Foods": "food delivery",
    "Mobility": "ride sharing",
    "Security": "cybersecurity",
    "Learning": "online education",
    "Retail": "e-commerce",
    "Games": "mobile games",
    "Bio": "biotechnology",
    "Cloud": "cloud infrastructure",
}
BENEFITS = (
    "Health, dental and vision insurance",
    "401(k) with employer match",
    "Flexible working hours",
    "Home office budget",
    "Learning and conference budget",
    "Paid parental leave",
    "25 days of paid vacation",
    "Equity in the company",
    "Annual performance bonus",
    "Gym membership",
    "Commuter benefits",
    "Mental health support",
    "Sabbatical after five years",
    "Company laptop of your choice",
    "Team offsites twice a year",
)

# Placeholders in the rendered templates (unique strings; a leftover "Zqx" is a bug).
P_TITLE, P_DEPT, P_ORG, P_ABOUT, P_BENEFIT = "Zqxtitle", "Zqxdept", "Zqxorg", "Zqxabout", "Zqxbenefit"
P_LOCATIONS = (("Zqxcityone", "Zqxregionone"), ("Zqxcitytwo", "Zqxregiontwo"))
P_DATE = datetime(2001, 1, 1, tzinfo=UTC)
P_SALARY = {"year": (Decimal(111111), Decimal(999999)), "hour": (Decimal(11), Decimal(99))}
_JSONLD_SCRIPT = re.compile(r"\s*<script type=\"application/ld\+json\">.*?</script>", re.DOTALL)


@dataclass(frozen=True)
class Organisation:
    id: uuid.UUID
    name: str
    slug: str
    listed: bool
    show_salary: bool
    about: str
    benefits: tuple[str, ...]


@dataclass(frozen=True)
class Metro:
    city: str
    region: str
    code: str

    @property
    def display(self) -> str:
        return f"{self.city}, {self.region}, US"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def organisations(seed: int = SEED) -> list[Organisation]:
    rng = random.Random(seed ^ 0x0A6)
    pairs = [(a, b) for a in ORG_FIRST for b in ORG_SECOND]
    rng.shuffle(pairs)
    orgs = []
    for first, second in pairs[:N_ORGS]:
        name = f"{first} {second}"
        industry = INDUSTRIES[second]
        people = rng.choice((12, 40, 85, 150, 300, 800, 2500, 12000))
        about = (
            f"{name} builds {industry} products used by customers across North America. "
            f"We are {people:,} people working from {rng.randint(1, 9)} offices and from home, "
            f"and we ship small changes many times a day."
        )
        orgs.append(
            Organisation(
                id=_uuid(rng),
                name=name,
                slug=name.lower().replace(" ", "-"),
                listed=rng.random() < 0.9,
                show_salary=rng.random() < 0.6,
                about=about,
                benefits=tuple(rng.sample(BENEFITS, rng.randint(3, 6))),
            )
        )
    return orgs


def _metro(area: wages.Area) -> Metro:
    place, _, states = area.name.rpartition(", ")
    return Metro(city=re.split(r"[-/]", place)[0].strip(), region=states.split("-")[0], code=area.code)


@cache
def metros(soc: str) -> tuple[list[Metro], list[float]]:
    """Metro areas with wage rows for the occupation and cumulative weights by employment."""
    chosen: list[Metro] = []
    weights: list[float] = []
    for area in wages.areas(soc):
        if area.type != "metro":
            continue
        bench = wages.benchmark(soc, area.code)
        if bench is None or bench.p50 is None:
            continue
        chosen.append(_metro(area))
        weights.append(float(bench.employment or 30))
    return chosen, list(itertools.accumulate(weights))


def _wage(bench: wages.WageBenchmark | None, name: str) -> int | None:
    wage = getattr(bench, name) if bench is not None else None
    return wage.amount if wage is not None else None


def annual_range(soc: str, area: str | None, level: str, rng: random.Random) -> tuple[int, int]:
    low_name, high_name = LEVEL_PERCENTILES[level]
    local, national = wages.benchmark(soc, area) if area else None, wages.benchmark(soc)
    low = _wage(local, low_name) or _wage(national, low_name) or 90_000
    high = _wage(local, high_name) or _wage(national, high_name) or int(low * 1.3)
    if level == "principal":
        high = int(high * 1.25)
    if high <= low:
        high = int(low * 1.15)
    jitter = rng.uniform(0.95, 1.05)
    return round(low * jitter, -3), round(high * jitter, -3)


# -- descriptions ----------------------------------------------------------------------------------


@cache
def template(
    profile_id: str, level: str, arrangement: str, n_locations: int, employment: str, pay: str | None
) -> tuple[str, str]:
    """(markdown, html) of the product's renderer with placeholders; the JSON-LD script is dropped."""
    profile = load_library().get(profile_id)
    locations = tuple(jd.Location(city=c, region=r, country="US") for c, r in P_LOCATIONS[:n_locations])
    details = jd.JobDetails(
        title=P_TITLE,
        level=level,
        department=P_DEPT,
        employment_type=employment,  # type: ignore[arg-type]
        work_arrangement=arrangement,  # type: ignore[arg-type]
        locations=locations,
        remote_countries=("US",) if arrangement == "remote" else (),
        date_posted=P_DATE,
    )
    salary = None
    if pay is not None:
        low, high = P_SALARY[pay]
        salary = jd.Salary(min=low, max=high, currency="USD", period=pay)  # type: ignore[arg-type]
    company = jd.Company(name=P_ORG, about=P_ABOUT, benefits=(P_BENEFIT,))
    data = jd.from_profile(profile, level, company=company, job=details, salary=salary)
    return jd.render_markdown(data), _JSONLD_SCRIPT.sub("", jd.render_html(data))


def _salary_text(low: int, high: int, period: str) -> str:
    return f"USD {low:,} \u2013 {high:,} per {period}"


def fill(
    text: str, *, html: bool, title: str, dept: str, org: Organisation, places: list[Metro], posted: datetime,
    salary: dict[str, Any] | None,
) -> str:  # fmt: skip
    esc = (lambda v: str(escape(v))) if html else (lambda v: str(jd.markdown_escape(v)))
    for (city, region), metro in zip(P_LOCATIONS, places, strict=False):
        text = text.replace(f"{city}, {region}, US", esc(metro.display))
    if salary is not None:
        low, high = P_SALARY[salary["period"]]
        placeholder = _salary_text(int(low), int(high), salary["period"])
        text = text.replace(placeholder, _salary_text(salary["min"], salary["max"], salary["period"]))
    if html:
        items = "\n".join(f"<li>{esc(b)}</li>" for b in org.benefits)
        text = text.replace(f"<li>{P_BENEFIT}</li>", items)
    else:
        text = text.replace(f"- {P_BENEFIT}", "\n".join(f"- {esc(b)}" for b in org.benefits))
    text = (
        text.replace(P_TITLE, esc(title))
        .replace(P_DEPT, esc(dept))
        .replace(P_ORG, esc(org.name))
        .replace(P_ABOUT, esc(org.about))
        .replace(f"Posted {P_DATE.date().isoformat()}", f"Posted {posted.date().isoformat()}")
    )
    if "Zqx" in text:
        raise AssertionError(f"unfilled placeholder in {text[text.index('Zqx') - 80 :][:200]!r}")
    return text


# -- postings --------------------------------------------------------------------------------------


def _weighted(pairs: Any) -> tuple[list[Any], list[float]]:
    values, weights = zip(*pairs, strict=True)
    return list(values), list(itertools.accumulate(weights))


def _pick(rng: random.Random, values: list[Any], cumulative: list[float]) -> Any:
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _title(profile: RoleProfile, level: str, skill_names: list[str], rng: random.Random) -> str:
    base = profile.title
    if rng.random() < 0.25:
        for long, short in TITLE_ALIASES.items():
            base = base.replace(long, short)
    title = default_title(level, base)
    roll = rng.random()
    if roll < 0.15:
        languages = [name for name in skill_names if name in TITLE_LANGUAGES]
        if languages:
            title += f" ({rng.choice(languages)})"
    elif roll < 0.27:
        title += f", {rng.choice(TEAMS)}"
    return title


def postings(size: int, seed: int = SEED) -> Iterator[tuple[dict[str, Any], PostingDocument]]:
    """The board: (posting document as ``jobs.posting.build`` shapes it, search document)."""
    rng = random.Random(seed)
    library = load_library()
    orgs = organisations(seed)
    org_cum = list(itertools.accumulate(1.0 / (k + 1) ** 0.8 for k in range(len(orgs))))
    profiles, profile_cum = _weighted((library.get(pid), w) for pid, w in PROFILE_WEIGHTS.items())
    arrangements, arrangement_cum = _weighted(ARRANGEMENTS)
    employments, employment_cum = _weighted(EMPLOYMENT)
    spread = SPREAD_DAYS * 86_400
    for _ in range(size):
        org = _pick(rng, orgs, org_cum)
        profile: RoleProfile = _pick(rng, profiles, profile_cum)
        levels, level_cum = _weighted((lv, LEVEL_WEIGHTS[lv]) for lv in profile.level_names)
        level = _pick(rng, levels, level_cum)
        soc = profile.soc_code
        arrangement = _pick(rng, arrangements, arrangement_cum)
        employment = _pick(rng, employments, employment_cum)
        if employment == "internship" and level != "junior":
            employment = "full_time"
        places: list[Metro] = []
        if arrangement != "remote":
            pool, pool_cum = metros(soc[:7])
            places.append(_pick(rng, pool, pool_cum))
            if rng.random() < 0.15:
                other = _pick(rng, pool, pool_cum)
                if other.display != places[0].display:
                    places.append(other)
        low, high = annual_range(soc, places[0].code if places else None, level, rng)
        visible = org.show_salary != (rng.random() < 0.1)
        salary: dict[str, Any] | None = None
        if visible:
            if employment in ("contract", "part_time", "temporary"):
                salary = {
                    "min": round(low / 2080),
                    "max": round(high / 2080),
                    "currency": "USD",
                    "period": "hour",
                }
            else:
                salary = {"min": int(low), "max": int(high), "currency": "USD", "period": "year"}
        spec_skills = [s for s in profile.skills if level in s.proficiency]
        skill_names = [s.name for s in spec_skills]
        title = _title(profile, level, skill_names, rng)
        department = profile.job_family[1] if len(profile.job_family) > 1 else profile.job_family[0]
        published = ANCHOR - timedelta(seconds=rng.randrange(spread))
        valid_through = published + timedelta(days=60) if rng.random() < 0.5 else None
        posting_id = _uuid(rng)

        md, html = template(
            profile.id, level, arrangement, len(places), employment, salary["period"] if salary else None
        )
        parts = {"title": title, "dept": department, "org": org, "places": places, "posted": published}
        markdown = fill(md, html=False, salary=salary, **parts)
        document = {
            "id": str(posting_id),
            "url": f"/v1/board/postings/{posting_id}",
            "title": title,
            "organisation": {"id": str(org.id), "slug": org.slug, "name": org.name, "listed": org.listed},
            "level": level,
            "department": department,
            "employment_type": employment,
            "work_arrangement": arrangement,
            "locations": [
                {"city": m.city, "region": m.region, "country": "US", "display": m.display} for m in places
            ],
            "remote_countries": ["US"] if arrangement == "remote" else [],
            "remote_time_zones": [],
            "skills": [{"id": s.skill_id, "name": s.name, "must_have": s.must_have} for s in spec_skills],
            "salary": salary,
            "published_at": published.isoformat(),
            "updated_at": published.isoformat(),
            "valid_through": valid_through.isoformat() if valid_through else None,
            "description": {
                "markdown": markdown,
                "html": fill(html, html=True, salary=salary, **parts),
                "text": markdown,
            },
            # build() embeds the full JSON-LD (with the HTML description again); this keeps its head.
            "json_ld": {
                "@context": "https://schema.org/",
                "@type": "JobPosting",
                "title": title,
                "datePosted": published.isoformat(),
                "hiringOrganization": {"@type": "Organization", "name": org.name},
                "employmentType": employment.upper(),
            },
            "application_form": [],
            "apply_url": f"/v1/board/postings/{posting_id}/applications",
        }
        yield document, search_document(document)


# -- PostgreSQL ------------------------------------------------------------------------------------


def _facet_rows(doc_no: int, document: PostingDocument) -> list[tuple[int, str, str]]:
    """As ``database_index.upsert_documents`` writes them (no salary rows: bucketed at query time)."""
    values = {
        "location": document.locations,
        "work_arrangement": (document.work_arrangement,),
        "level": (document.level,),
        "department": (document.department,),
        "employment_type": (document.employment_type,),
        "skills": document.skills,
        "organisation": (document.organisation_slug,),
    }
    return [(doc_no, facet, v) for facet, vs in values.items() for v in dict.fromkeys(x for x in vs if x)]


_LINE_TERMS: dict[str, str] = {}


def _body_terms(text: str) -> str:
    """``" ".join(analyse(text))``, a line at a time with a cache: the tokenizer splits on every
    non-alphanumeric character, so no token spans a newline and the result is the same, but most
    lines of a templated description repeat across postings."""
    if len(_LINE_TERMS) > 500_000:
        _LINE_TERMS.clear()
    parts = []
    for line in text.split("\n"):
        terms = _LINE_TERMS.get(line)
        if terms is None:
            terms = _LINE_TERMS[line] = " ".join(analyse(line))
        if terms:
            parts.append(terms)
    return " ".join(parts)


def _search_row(doc_no: int, document: PostingDocument) -> tuple[Any, ...]:
    """As ``database_index._document_row``: the analysed terms, space-separated."""
    skill_names = dict.fromkeys(n for n in document.skill_names if n)
    return (
        doc_no,
        document.id,
        document.organisation_id,
        document.organisation_slug,
        document.listed,
        document.published_at,
        document.salary_max,
        " ".join(analyse(document.title)),
        " ".join(term for name in skill_names for term in analyse(name)),
        _body_terms(document.body),
    )


POSTING_COLUMNS = (
    "id", "organisation_id", "organisation_slug", "listed", "live", "job_version", "document",
    "published_at", "changed_at",
)  # fmt: skip
SEARCH_COLUMNS = (
    "doc_no", "posting_id", "organisation_id", "organisation_slug", "listed", "published_at",
    "salary_max", "title_terms", "skill_terms", "body_terms",
)  # fmt: skip
LOAD_TABLES = ("board_postings", "board_search_documents", "board_search_facets")
# What the simplest boards search: a postings table with plain title/description columns and no
# text index. Not part of Rolecall's schema; only the ILIKE variant of the benchmark reads it.
NAIVE_TABLE = "bench_naive_postings"
NAIVE_DDL = f"""
CREATE TABLE {NAIVE_TABLE} (
    id uuid PRIMARY KEY,
    listed boolean NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    published_at timestamptz NOT NULL,
    level text NOT NULL,
    department text NOT NULL,
    employment_type text NOT NULL,
    work_arrangement text NOT NULL,
    organisation_slug text NOT NULL,
    salary_max bigint,
    locations text[] NOT NULL,
    skills text[] NOT NULL
)"""
NAIVE_COLUMNS = (
    "id", "listed", "title", "body", "published_at", "level", "department", "employment_type",
    "work_arrangement", "organisation_slug", "salary_max", "locations", "skills",
)  # fmt: skip


async def _recreate_database(size: int) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {db_name(size)} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {db_name(size)}")
    finally:
        await admin.close()


async def _load_postgres(size: int, seed: int, board_only: bool = False) -> dict[str, float]:
    import asyncpg

    timings: dict[str, float] = {}
    conns = [await asyncpg.connect(pg_dsn(size)) for _ in range(4)]
    main = conns[0]
    has_summary = summary_of is not None and await main.fetchval(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'board_postings' AND column_name = 'summary'"
    )
    posting_columns = (*POSTING_COLUMNS, "summary") if has_summary else POSTING_COLUMNS
    await main.execute(NAIVE_DDL)
    for conn in conns:
        # FK triggers off during the bulk load (the data is consistent by construction), async commit.
        await conn.execute("SET session_replication_role = replica; SET synchronous_commit = off")
    indexes = await main.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY($1::text[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        list(LOAD_TABLES),
    )
    for row in indexes:
        await main.execute(f'DROP INDEX "{row["indexname"]}"')

    started = time.perf_counter()
    orgs = organisations(seed)
    await main.copy_records_to_table(
        "organisations",
        records=[(o.id, o.name, 1, ANCHOR - timedelta(days=365), ANCHOR - timedelta(days=365)) for o in orgs],
        columns=("id", "name", "version", "created_at", "updated_at"),
    )
    stream = postings(size, seed)
    doc_no = 0
    while True:
        batch = list(itertools.islice(stream, CHUNK))
        if not batch:
            break
        board, search, facets, naive = [], [], [], []
        for document, indexed in batch:
            doc_no += 1
            board.append(
                (
                    indexed.id,
                    indexed.organisation_id,
                    indexed.organisation_slug,
                    indexed.listed,
                    True,
                    1,
                    json.dumps(document, separators=(",", ":")),
                    indexed.published_at,
                    indexed.published_at,
                    *((json.dumps(summary_of(document), separators=(",", ":")),) if has_summary else ()),
                )
            )
            if board_only:
                continue
            search.append(_search_row(doc_no, indexed))
            naive.append(
                (
                    indexed.id, indexed.listed, indexed.title, indexed.body, indexed.published_at,
                    indexed.level, indexed.department, indexed.employment_type, indexed.work_arrangement,
                    indexed.organisation_slug, indexed.salary_max, list(indexed.locations),
                    list(indexed.skills),
                )
            )  # fmt: skip
            facets.extend(_facet_rows(doc_no, indexed))
        copies = [conns[0].copy_records_to_table("board_postings", records=board, columns=posting_columns)]
        if not board_only:
            copies += [
                conns[1].copy_records_to_table(
                    "board_search_documents", records=search, columns=SEARCH_COLUMNS
                ),
                conns[2].copy_records_to_table(
                    "board_search_facets", records=facets, columns=("doc_no", "facet", "value")
                ),
                conns[3].copy_records_to_table(NAIVE_TABLE, records=naive, columns=NAIVE_COLUMNS),
            ]
        await asyncio.gather(*copies)
    await main.execute(
        "SELECT setval(pg_get_serial_sequence('board_search_documents', 'doc_no'), $1)", max(doc_no, 1)
    )
    timings["copy_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    await main.execute("SET maintenance_work_mem = '1GB'")
    # Rebuild the dropped indexes two at a time (two cores).
    for conn in conns[:2]:
        await conn.execute("SET maintenance_work_mem = '512MB'")
    pending = [row["indexdef"] for row in indexes]
    pending.append(f"CREATE INDEX ix_{NAIVE_TABLE}_published_at ON {NAIVE_TABLE} (published_at DESC)")

    async def worker(conn: Any) -> None:
        while pending:
            await conn.execute(pending.pop())

    await asyncio.gather(*(worker(conn) for conn in conns[:2]))
    timings["index_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in ("organisations", *LOAD_TABLES, NAIVE_TABLE):
        await main.execute(f"VACUUM (ANALYZE) {table}")
    timings["vacuum_analyze_seconds"] = time.perf_counter() - started
    for conn in conns:
        await conn.close()
    return timings


def build_postgres(size: int, seed: int = SEED, board_only: bool = False) -> dict[str, float]:
    from rolecall.platform.schema import upgrade

    started = time.perf_counter()
    asyncio.run(_recreate_database(size))
    upgrade(sqlalchemy_url(size))
    timings = {"migrate_seconds": time.perf_counter() - started}
    timings.update(asyncio.run(_load_postgres(size, seed, board_only)))
    timings["board_only"] = board_only
    timings["total_seconds"] = time.perf_counter() - started
    return timings


# -- tantivy ---------------------------------------------------------------------------------------


def build_tantivy(size: int, seed: int = SEED, batch: int = 50_000) -> dict[str, float]:
    import shutil

    from rolecall.board.tantivy_index import TantivySearchIndex

    started = time.perf_counter()
    shutil.rmtree(index_dir(size), ignore_errors=True)
    index = TantivySearchIndex(index_dir(size), writer_heap_bytes=512_000_000)
    stream = postings(size, seed)
    newest = None
    while True:
        chunk = [indexed for _document, indexed in itertools.islice(stream, batch)]
        if not chunk:
            break
        index.upsert_sync(chunk)
        newest = max([newest or chunk[0].published_at, *(d.published_at for d in chunk)])
    # changed_at = published_at in the database, so this checkpoint makes a sync pass a no-op read.
    if newest is not None:
        index.save_checkpoint(newest.isoformat())
    index.close()
    return {"total_seconds": time.perf_counter() - started}


def _tantivy_process(size: int, seed: int, out: Any) -> None:
    out.put(build_tantivy(size, seed))


def disk_usage(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


async def _pg_sizes(size: int) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(pg_dsn(size))
    try:
        rows = await conn.fetch(
            "SELECT relname, pg_total_relation_size(oid) AS bytes FROM pg_class "
            "WHERE relname = ANY($1::text[])",
            [*LOAD_TABLES, NAIVE_TABLE],
        )
        database = await conn.fetchval("SELECT pg_database_size(current_database())")
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608 - our own table names
            for t in (*LOAD_TABLES, NAIVE_TABLE)
        }
    finally:
        await conn.close()
    return {
        "tables_bytes": {r["relname"]: r["bytes"] for r in rows},
        "database_bytes": database,
        "rows": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--only", choices=("postgres", "tantivy"), default=None)
    parser.add_argument(
        "--board-only",
        action="store_true",
        help="PostgreSQL: load organisations and board_postings only (what tantivy-http needs), "
        "not the database adapter's search tables nor the ILIKE table",
    )
    args = parser.parse_args()
    data_dir(args.size).mkdir(parents=True, exist_ok=True)
    manifest_path = data_dir(args.size) / "manifest.json"
    manifest: dict[str, Any] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest.update({"size": args.size, "seed": args.seed, "database": db_name(args.size)})

    queue: Any = multiprocessing.get_context("fork").Queue()
    process = None
    if args.only in (None, "tantivy"):
        process = multiprocessing.get_context("fork").Process(
            target=_tantivy_process, args=(args.size, args.seed, queue)
        )
        process.start()
    if args.only in (None, "postgres"):
        manifest["postgres_build"] = build_postgres(args.size, args.seed, args.board_only)
        manifest["postgres_sizes"] = asyncio.run(_pg_sizes(args.size))
        print("postgres", json.dumps(manifest["postgres_build"]), flush=True)
    if process is not None:
        manifest["tantivy_build"] = queue.get()
        process.join()
        manifest["tantivy_build"]["index_bytes"] = disk_usage(index_dir(args.size))
        print("tantivy", json.dumps(manifest["tantivy_build"]), flush=True)
    manifest_path.write_text(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
