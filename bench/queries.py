"""The query mix of the search benchmark, drawn deterministically from the generator's vocabulary.

    .venv/bin/python -m bench.queries            # rewrites bench/queries.json

Each query is ``{"q": str, "filters": {facet: [values]}, "salary_at_least": int | null, "sort":
"relevance" | "date"}``; the same list is used at every data size. Roughly: 30% titles, 25% skills,
10% locations as text, 20% mixed two-to-four-word searches, 15% empty text (browsing by filter);
about half carry one or two facet filters and one in eight sorts by date.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from bench.generate import (
    LEVEL_WEIGHTS,
    PROFILE_WEIGHTS,
    TEAMS,
    TITLE_ALIASES,
    metros,
    organisations,
)
from rolecall.board.search import SALARY_BUCKETS
from rolecall.roles.library.loader import load_library

QUERIES_FILE = Path(__file__).with_name("queries.json")
COUNT = 240
SEED = 7

LEVEL_WORDS = {
    "junior": "junior",
    "mid": "mid-level",
    "senior": "senior",
    "lead": "lead",
    "principal": "principal",
}
BODY_WORDS = (
    "remote", "hybrid", "on-call", "mentoring", "payments", "startup", "healthcare", "fintech",
    "cloud", "microservices", "api", "testing", "accessibility", "security", "analytics", "robotics",
    "contract", "internship", "equity", "bonus",
)  # fmt: skip


def _vocabulary() -> dict[str, Any]:
    library = load_library()
    titles: list[str] = []
    skills: dict[str, str] = {}
    departments: set[str] = set()
    for profile_id in PROFILE_WEIGHTS:
        profile = library.get(profile_id)
        base = profile.title.replace(" / ", " ")
        titles.append(base)
        for long, short in TITLE_ALIASES.items():
            if long in base:
                titles.append(base.replace(long, short))
        for skill in profile.hard_skills:
            if skill.skill_id:
                skills[skill.skill_id] = skill.name
        departments.add(profile.job_family[1] if len(profile.job_family) > 1 else profile.job_family[0])
    pool, cumulative = metros("15-1252")
    weights = [b - a for a, b in zip([0.0, *cumulative], cumulative, strict=False)]
    ranked = [pool[i] for i in sorted(range(len(pool)), key=lambda i: -weights[i])]
    by_weight = list({m.display: m for m in ranked}.values())
    return {
        "titles": titles,
        "skills": skills,
        "departments": sorted(departments),
        "metros": by_weight[:40],
        "orgs": [o.slug for o in organisations() if o.listed][:120],
    }


def _filters(rng: random.Random, vocab: dict[str, Any]) -> dict[str, list[str]]:
    choices = {
        "location": lambda: [rng.choice(vocab["metros"][:15]).display] if rng.random() < 0.8 else ["Remote"],
        "work_arrangement": lambda: [rng.choice(("remote", "hybrid", "onsite"))],
        "level": lambda: rng.sample(list(LEVEL_WEIGHTS), rng.choice((1, 1, 2))),
        "department": lambda: [rng.choice(vocab["departments"])],
        "employment_type": lambda: [rng.choice(("full_time", "full_time", "contract", "part_time"))],
        "skills": lambda: [rng.choice(sorted(vocab["skills"]))],
        "salary": lambda: [rng.choice([key for key, _low, _high in SALARY_BUCKETS][1:])],
        "organisation": lambda: [rng.choice(vocab["orgs"])],
    }
    weights = {"location": 5, "work_arrangement": 5, "level": 4, "department": 2, "employment_type": 2,
               "skills": 3, "salary": 2, "organisation": 1}  # fmt: skip
    names = list(weights)
    picked: dict[str, list[str]] = {}
    for _ in range(rng.choice((1, 1, 2))):
        name = rng.choices(names, weights=[weights[n] for n in names])[0]
        picked[name] = choices[name]()
    return picked


def build(count: int = COUNT, seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    vocab = _vocabulary()
    skill_names = sorted(vocab["skills"].values())
    cities = [m.city for m in vocab["metros"]]
    queries: list[dict[str, Any]] = []
    while len(queries) < count:
        kind = rng.choices(("title", "skill", "location", "mixed", "empty"), weights=(30, 25, 10, 20, 15))[0]
        if kind == "title":
            title = rng.choice(vocab["titles"])
            words = title.split()
            roll = rng.random()
            if roll < 0.4:
                q = f"{LEVEL_WORDS[rng.choice(list(LEVEL_WORDS))]} {title}"
            elif roll < 0.6:
                q = words[0] if len(words) > 1 else title
            elif roll < 0.7:
                q = f"{title} {rng.choice(TEAMS).split()[0]}"
            else:
                q = title
        elif kind == "skill":
            q = " ".join(rng.sample(skill_names, rng.choice((1, 1, 1, 2))))
        elif kind == "location":
            q = rng.choice(cities)
            if rng.random() < 0.4:
                q = f"{rng.choice(vocab['titles']).split()[0]} {q}"
        elif kind == "mixed":
            parts = [
                rng.choice(skill_names),
                rng.choice(vocab["titles"]).split()[-1],
                rng.choice(BODY_WORDS),
                rng.choice(cities),
            ]
            q = " ".join(rng.sample(parts, rng.randint(2, 4)))
        else:
            q = ""
        filters = _filters(rng, vocab) if kind == "empty" or rng.random() < 0.45 else {}
        salary_at_least = rng.choice((100_000, 120_000, 150_000)) if rng.random() < 0.08 else None
        sort = "date" if rng.random() < 0.125 else "relevance"
        query = {"q": q, "filters": filters, "salary_at_least": salary_at_least, "sort": sort}
        if query not in queries:
            queries.append(query)
    return queries


def load() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(QUERIES_FILE.read_text(encoding="utf-8"))
    return loaded


def main() -> None:
    queries = build()
    QUERIES_FILE.write_text(json.dumps(queries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    with_filters = sum(1 for q in queries if q["filters"])
    print(f"{len(queries)} queries ({with_filters} with filters) -> {QUERIES_FILE}")


if __name__ == "__main__":
    main()
