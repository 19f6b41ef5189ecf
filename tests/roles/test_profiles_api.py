"""Role profiles over HTTP: the starter library, forks, documents, versions, YAML and permissions."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.http import etag_for
from rolecall.platform.tenancy import all_tenants
from rolecall.roles.library.loader import load_library
from rolecall.roles.yaml_io import dump_profile
from tests.factories import Tenant, create_user, fork_profile
from tests.platform.problems import assert_problem

YAML = "application/yaml"


# --- helpers ----------------------------------------------------------------------------------


async def library_document(client: httpx.AsyncClient, tenant: Tenant, library_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/role-library/{library_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_document(
    client: httpx.AsyncClient, tenant: Tenant, document: dict[str, Any]
) -> httpx.Response:
    return await client.post("/v1/role-profiles", headers=tenant.headers, json={"document": document})


async def put_document(
    client: httpx.AsyncClient,
    tenant: Tenant,
    profile_id: str,
    document: dict[str, Any],
    etag: str | None,
    note: str | None = None,
) -> httpx.Response:
    headers = dict(tenant.headers)
    if etag is not None:
        headers["If-Match"] = etag
    body: dict[str, Any] = {"document": document}
    if note is not None:
        body["note"] = note
    return await client.put(f"/v1/role-profiles/{profile_id}", headers=headers, json=body)


async def read_profile(client: httpx.AsyncClient, tenant: Tenant, profile_id: str) -> httpx.Response:
    response = await client.get(f"/v1/role-profiles/{profile_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response


async def profile_slugs(client: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    response = await client.get("/v1/role-profiles", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


async def import_yaml(
    client: httpx.AsyncClient, tenant: Tenant, content: bytes | str, content_type: str = YAML
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return await client.post(
        "/v1/role-profiles/import", headers={**tenant.headers, "Content-Type": content_type}, content=data
    )


async def outbox_for(sessionmaker: async_sessionmaker[AsyncSession], subject: str) -> list[OutboxEvent]:
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.subject == subject)
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


def steps(paths: dict[str, Any], direction: str) -> list[tuple[str, str]]:
    return [(step["profile"], step["level"]) for step in paths[direction]]


def library_yaml(library_id: str, new_id: str) -> str:
    """A valid YAML profile: a library profile exported under another id."""
    text = dump_profile(load_library().get(library_id))
    assert f"\nid: {library_id}\n" in text
    return text.replace(f"\nid: {library_id}\n", f"\nid: {new_id}\n", 1)


# --- the starter library ----------------------------------------------------------------------


async def test_library_lists_and_shows_every_starter_profile(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get("/v1/role-library", headers=tenant.headers)

    assert response.status_code == 200, response.text
    items = response.json()
    assert [item["slug"] for item in items] == load_library().ids
    assert len(items) == 12
    backend = items[0]
    assert backend == {
        "id": None,
        "slug": "backend-engineer",
        "title": "Back-End Engineer",
        "job_family": ["Engineering", "Back-End"],
        "levels": ["junior", "mid", "senior", "lead", "principal"],
        "source": "library",
        "forked_from": None,
        "version": None,
    }
    manager = next(item for item in items if item["slug"] == "engineering-manager")
    assert manager["levels"] == ["senior", "lead", "principal"]

    document = await library_document(client, tenant, "backend-engineer")

    assert document["id"] == "backend-engineer"
    assert document["title"] == "Back-End Engineer"
    assert [level["name"] for level in document["levels"]] == ["junior", "mid", "senior", "lead", "principal"]
    assert document["salary_bands"][0]["min"] == 100_000
    assert document["salary_bands"][0]["max"] == 160_000
    rest = next(skill for skill in document["hard_skills"] if skill["name"] == "REST")
    assert rest["skill_id"]  # filled from the taxonomy
    assert document == load_library().get("backend-engineer").model_dump(mode="json")


async def test_library_paths_merge_edges_declared_on_either_profile_and_404_unknowns(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Only the full-stack profile says "full-stack lead advances to engineering manager (senior)";
    # the manager profile must still list it as an entry point.
    response = await client.get(
        "/v1/role-library/engineering-manager/paths", headers=tenant.headers, params={"level": "senior"}
    )
    assert response.status_code == 200, response.text
    paths = response.json()
    assert paths["profile"] == "engineering-manager"
    assert paths["level"] == "senior"
    assert steps(paths, "entry_from") == [("backend-engineer", "lead"), ("fullstack-engineer", "lead")]
    assert paths["entry_from"][1] == {
        "profile": "fullstack-engineer",
        "level": "lead",
        "title": "Full-Stack Engineer",
        "source": "library",
    }
    assert steps(paths, "advancement_to") == [("engineering-manager", "lead")]
    assert paths["lateral_moves"] == []

    # The other direction: only the SRE profile says it is entered from back-end senior.
    response = await client.get(
        "/v1/role-library/backend-engineer/paths", headers=tenant.headers, params={"level": "senior"}
    )
    assert response.status_code == 200, response.text
    paths = response.json()
    assert steps(paths, "advancement_to") == [
        ("backend-engineer", "lead"),
        ("site-reliability-engineer", "senior"),
    ]
    assert steps(paths, "entry_from") == [("backend-engineer", "mid")]

    # Lateral moves are symmetric: back-end declares the move, full-stack shows it too.
    response = await client.get(
        "/v1/role-library/fullstack-engineer/paths", headers=tenant.headers, params={"level": "mid"}
    )
    assert ("backend-engineer", "mid") in steps(response.json(), "lateral_moves")

    # Unknown ids and levels.
    for path in ("/v1/role-library/no-such-profile", "/v1/role-library/no-such-profile/paths?level=senior"):
        body = assert_problem(await client.get(path, headers=tenant.headers), 404, "not-found")
        assert "no-such-profile" in body["detail"]

    # A real level the profile does not have (managers start at senior).
    response = await client.get(
        "/v1/role-library/engineering-manager/paths", headers=tenant.headers, params={"level": "junior"}
    )
    body = assert_problem(response, 404, "not-found")
    assert "junior" in body["detail"]

    # Not a level at all.
    response = await client.get(
        "/v1/role-library/backend-engineer/paths", headers=tenant.headers, params={"level": "wizard"}
    )
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["query.level"]


# --- forks and documents ----------------------------------------------------------------------


async def test_fork_creates_version_1(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "backend-engineer"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/role-profiles/{body['id']}"
    assert response.headers["etag"] == etag_for(uuid.UUID(body["id"]), 1)
    assert body["slug"] == "backend-engineer"
    assert body["title"] == "Back-End Engineer"
    assert body["forked_from"] == "backend-engineer"
    assert body["version"] == 1
    assert body["document"] == await library_document(client, tenant, "backend-engineer")

    read = await read_profile(client, tenant, body["id"])
    assert read.json() == body
    assert read.headers["etag"] == response.headers["etag"]

    listed = (await client.get("/v1/role-profiles", headers=tenant.headers)).json()
    assert listed["items"] == [
        {
            "id": body["id"],
            "slug": "backend-engineer",
            "title": "Back-End Engineer",
            "job_family": ["Engineering", "Back-End"],
            "levels": ["junior", "mid", "senior", "lead", "principal"],
            "source": "organisation",
            "forked_from": "backend-engineer",
            "version": 1,
        }
    ]


async def test_fork_conflicts_unknown_ids_and_new_slugs(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await fork_profile(client, tenant, "qa-engineer")

    again = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "qa-engineer"}
    )

    body = assert_problem(again, 409, "conflict")
    assert "qa-engineer" in body["detail"]
    assert await profile_slugs(client, tenant) == ["qa-engineer"]

    unknown = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "astronaut"}
    )
    assert "astronaut" in assert_problem(unknown, 404, "not-found")["detail"]
    assert await profile_slugs(client, tenant) == ["qa-engineer"]

    # A new slug resolves the conflict.
    first = await fork_profile(client, tenant, "backend-engineer")
    second = await fork_profile(
        client, tenant, "backend-engineer", slug="payments-engineer", title="Payments Engineer"
    )

    assert second["id"] != first["id"]
    assert second["slug"] == "payments-engineer"
    assert second["title"] == "Payments Engineer"
    assert second["forked_from"] == "backend-engineer"
    assert second["document"]["id"] == "payments-engineer"
    assert second["document"]["title"] == "Payments Engineer"
    assert second["document"]["summary"] == first["document"]["summary"]
    assert sorted(await profile_slugs(client, tenant)) == [
        "backend-engineer",
        "payments-engineer",
        "qa-engineer",
    ]


async def test_create_from_a_full_document(client: httpx.AsyncClient, tenant: Tenant) -> None:
    document = await library_document(client, tenant, "engineering-manager")
    document.update(id="people-lead", title="People Lead", summary="Leads a team of engineers.")

    response = await create_document(client, tenant, document)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["slug"] == "people-lead"
    assert body["title"] == "People Lead"
    assert body["forked_from"] is None
    assert body["version"] == 1
    assert body["document"] == document
    assert response.headers["location"] == f"/v1/role-profiles/{body['id']}"

    # Either a fork or a document, never both.
    both = await client.post(
        "/v1/role-profiles",
        headers=tenant.headers,
        json={"from_library": "qa-engineer", "document": document},
    )
    assert_problem(both, 422, "validation-error")


async def test_invalid_documents_name_the_field(client: httpx.AsyncClient, tenant: Tenant) -> None:
    base = await library_document(client, tenant, "engineering-manager")
    base.update(id="broken-profile")

    def changed(change: Any) -> dict[str, Any]:
        document = copy.deepcopy(base)
        change(document)
        return document

    def unknown_skill(d: dict[str, Any]) -> None:
        d["hard_skills"][0] = {**d["hard_skills"][0], "name": "Xyzzy quantum flux"}
        del d["hard_skills"][0]["skill_id"]

    def unknown_stated_skill(d: dict[str, Any]) -> None:
        d["hard_skills"][0]["name"] = "Xyzzy quantum flux"

    def inverted_band(d: dict[str, Any]) -> None:
        d["salary_bands"] = [
            {
                "level": "senior",
                "location": "Berlin",
                "currency": "EUR",
                "min": 200_000,
                "max": 100_000,
                "source": "Test",
                "as_of": "2026-01-01",
            }
        ]

    cases: list[tuple[Any, str, str]] = [
        (unknown_skill, "document", "'Xyzzy quantum flux'"),
        (unknown_stated_skill, "document.hard_skills.0", "not in the skills taxonomy"),
        (inverted_band, "document.salary_bands.0", "salary min (200000) must not exceed max (100000)"),
        (
            lambda d: d["hard_skills"][0]["proficiency"].update(wizard=3),
            "document.hard_skills.0.proficiency.wizard.[key]",
            "'junior', 'mid', 'senior', 'lead' or 'principal'",
        ),
        (
            lambda d: d["hard_skills"][0]["proficiency"].update(junior=3),
            "document",
            "level(s) junior that profile 'broken-profile' does not have",
        ),
        (lambda d: d.update(favourite_colour="blue"), "document.favourite_colour", "Extra inputs"),
        (lambda d: d.pop("summary"), "document.summary", "Field required"),
        (lambda d: d.update(id="Not A Slug"), "document.id", "String should match pattern"),
    ]
    for change, field, message in cases:
        response = await create_document(client, tenant, changed(change))
        body = assert_problem(response, 422, "unprocessable")
        assert body["detail"] == "The role profile document is invalid."
        assert [e["field"] for e in body["errors"]] == [field], (field, body)
        assert message in body["errors"][0]["message"], (field, body)
    assert await profile_slugs(client, tenant) == []

    # Career paths must point at existing profiles and levels.
    document = await library_document(client, tenant, "engineering-manager")
    document["id"] = "team-lead"
    document["career_paths"]["senior"]["advancement_to"].append(
        {"profile_id": "no-such-role", "level": "lead"}
    )

    body = assert_problem(await create_document(client, tenant, document), 422, "unprocessable")

    assert [e["field"] for e in body["errors"]] == ["document.career_paths"]
    assert body["errors"][0]["message"] == "team-lead/senior -> no-such-role (no such profile)"
    # A level the target does not have is just as broken.
    document["career_paths"]["senior"]["advancement_to"][-1] = {
        "profile_id": "engineering-manager",
        "level": "junior",
    }
    body = assert_problem(await create_document(client, tenant, document), 422, "unprocessable")
    assert "engineering-manager/junior" in body["errors"][0]["message"]
    assert await profile_slugs(client, tenant) == []


async def test_organisation_profiles_join_the_career_path_graph(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    backend = await fork_profile(client, tenant, "backend-engineer")
    document = copy.deepcopy(backend["document"])
    document.update(
        id="api-engineer",
        title="API Engineer",
        career_paths={"lead": {"advancement_to": [{"profile_id": "backend-engineer", "level": "principal"}]}},
    )
    api = (await create_document(client, tenant, document)).json()

    response = await client.get(
        f"/v1/role-profiles/{backend['id']}/paths", headers=tenant.headers, params={"level": "principal"}
    )

    assert response.status_code == 200, response.text
    paths = response.json()
    assert paths["entry_from"] == [
        {
            "profile": "backend-engineer",
            "level": "lead",
            "title": "Back-End Engineer",
            "source": "organisation",
        },
        {"profile": "api-engineer", "level": "lead", "title": "API Engineer", "source": "organisation"},
    ]
    response = await client.get(
        f"/v1/role-profiles/{api['id']}/paths", headers=tenant.headers, params={"level": "lead"}
    )
    assert steps(response.json(), "advancement_to") == [("backend-engineer", "principal")]
    response = await client.get(
        f"/v1/role-profiles/{api['id']}/paths", headers=tenant.headers, params={"level": "senior"}
    )
    assert response.json()["advancement_to"] == []


async def test_a_title_longer_than_the_column_is_a_422(client: httpx.AsyncClient, tenant: Tenant) -> None:
    document = await library_document(client, tenant, "backend-engineer")
    document.update(id="long-title", title="T" * 250)

    body = assert_problem(await create_document(client, tenant, document), 422)

    assert [e["field"] for e in body["errors"]] == ["document.title"]


# --- versions and optimistic concurrency ------------------------------------------------------


async def test_put_creates_version_2_and_keeps_version_1(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "engineering-manager"}
    )
    original = created.json()
    profile_id = original["id"]
    document = copy.deepcopy(original["document"])
    document.update(title="People Leader", summary="Grows engineers and ships through them.")

    response = await put_document(
        client, tenant, profile_id, document, created.headers["etag"], note="Rename"
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["version"] == 2
    assert updated["title"] == "People Leader"
    assert updated["slug"] == "engineering-manager"
    assert updated["forked_from"] == "engineering-manager"
    assert updated["document"] == document
    assert response.headers["etag"] == etag_for(uuid.UUID(profile_id), 2)
    assert response.headers["etag"] != created.headers["etag"]
    assert (await read_profile(client, tenant, profile_id)).json() == updated

    versions = await client.get(f"/v1/role-profiles/{profile_id}/versions", headers=tenant.headers)
    assert versions.status_code == 200, versions.text
    items = versions.json()["items"]
    assert [v["number"] for v in items] == [1, 2]
    assert [v["note"] for v in items] == ["Forked from library profile 'engineering-manager'", "Rename"]
    assert {v["author"] for v in items} == {f"user:{tenant.admin_id}"}

    first = await client.get(f"/v1/role-profiles/{profile_id}/versions/1", headers=tenant.headers)
    assert first.status_code == 200, first.text
    assert first.json()["document"] == original["document"]
    assert first.json()["document"]["title"] == "Engineering Manager"
    second = await client.get(f"/v1/role-profiles/{profile_id}/versions/2", headers=tenant.headers)
    assert second.json()["document"] == document
    assert_problem(
        await client.get(f"/v1/role-profiles/{profile_id}/versions/3", headers=tenant.headers), 404
    )

    old_yaml = await client.get(f"/v1/role-profiles/{profile_id}/export?version=1", headers=tenant.headers)
    assert "\ntitle: Engineering Manager\n" in old_yaml.text
    new_yaml = await client.get(f"/v1/role-profiles/{profile_id}/export", headers=tenant.headers)
    assert "\ntitle: People Leader\n" in new_yaml.text


async def test_refused_puts_change_nothing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "qa-engineer"}
    )
    profile_id, stale = created.json()["id"], created.headers["etag"]
    document = created.json()["document"]

    missing = await put_document(client, tenant, profile_id, {**document, "title": "Tester"}, None)
    assert_problem(missing, 428, "precondition-required")

    assert (
        await put_document(client, tenant, profile_id, {**document, "title": "Tester"}, stale)
    ).status_code == 200
    conflict = await put_document(client, tenant, profile_id, {**document, "title": "Quality Lead"}, stale)
    assert_problem(conflict, 412, "precondition-failed")
    assert conflict.headers["etag"] == etag_for(uuid.UUID(profile_id), 2)

    current = (await read_profile(client, tenant, profile_id)).json()
    assert current["version"] == 2
    assert current["title"] == "Tester"

    # Valid ETag, invalid documents.
    created = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "engineering-manager"}
    )
    profile_id, etag = created.json()["id"], created.headers["etag"]
    document = created.json()["document"]

    renamed = await put_document(client, tenant, profile_id, {**document, "id": "people-manager"}, etag)
    body = assert_problem(renamed, 422, "unprocessable")
    assert body["errors"] == [{"field": "document.id", "message": "must stay engineering-manager"}]

    broken = copy.deepcopy(document)
    broken["career_paths"]["lead"] = {"lateral_moves": [{"profile_id": "astronaut", "level": "lead"}]}
    body = assert_problem(await put_document(client, tenant, profile_id, broken, etag), 422, "unprocessable")
    assert body["errors"] == [
        {
            "field": "document.career_paths",
            "message": "engineering-manager/lead -> astronaut (no such profile)",
        }
    ]

    invalid = await put_document(client, tenant, profile_id, {**document, "levels": []}, etag)
    body = assert_problem(invalid, 422, "unprocessable")
    assert [e["field"] for e in body["errors"]] == ["document.levels"]

    current = await read_profile(client, tenant, profile_id)
    assert current.json()["version"] == 1
    assert current.headers["etag"] == etag
    versions = await client.get(f"/v1/role-profiles/{profile_id}/versions", headers=tenant.headers)
    assert [v["number"] for v in versions.json()["items"]] == [1]


# --- YAML -------------------------------------------------------------------------------------


async def test_yaml_export_then_import_round_trip(client: httpx.AsyncClient, tenant: Tenant) -> None:
    original = await fork_profile(client, tenant, "backend-engineer")

    exported = await client.get(f"/v1/role-profiles/{original['id']}/export", headers=tenant.headers)

    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith(YAML)
    text = exported.text
    assert text.startswith("# rolecall role profile, format 1\n")
    assert "skill_id" not in text  # derived, never exported
    assert "\nid: backend-engineer\n" in text

    imported = await import_yaml(
        client, tenant, text.replace("\nid: backend-engineer\n", "\nid: backend-copy\n")
    )

    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert imported.headers["location"] == f"/v1/role-profiles/{body['id']}"
    assert body["slug"] == "backend-copy"
    assert body["forked_from"] is None
    assert body["version"] == 1
    assert body["document"] == {**original["document"], "id": "backend-copy"}
    versions = await client.get(f"/v1/role-profiles/{body['id']}/versions", headers=tenant.headers)
    assert versions.json()["items"][0]["note"] == "Imported from YAML"

    # Importing the unchanged export again collides with the profile it came from.
    again = await import_yaml(client, tenant, text)
    assert_problem(again, 409, "conflict")
    assert sorted(await profile_slugs(client, tenant)) == ["backend-copy", "backend-engineer"]

    # A document whose id is a library id records the fork; text/yaml is accepted too.
    library = await import_yaml(
        client, tenant, dump_profile(load_library().get("data-engineer")), "text/yaml; charset=utf-8"
    )
    assert library.status_code == 201, library.text
    assert library.json()["forked_from"] == "data-engineer"


async def test_bad_yaml_imports_create_nothing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    good = library_yaml("qa-engineer", "qa-copy")
    lines = good.split("\n")
    title_line = next(n for n, line in enumerate(lines, start=1) if line.startswith("title:"))
    syntax_error = "\n".join(
        line if n != title_line else "title: x: y" for n, line in enumerate(lines, start=1)
    )
    bomb = (
        "id: bomb\n"
        + 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
        + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
    )
    cases: list[tuple[bytes, str, str]] = [
        (good.encode(), "application/json", "Content-Type: application/yaml"),
        (good.replace("QA Engineer / SDET", "Ingénieur qualité").encode("latin-1"), YAML, "must be UTF-8"),
        ((good + "#" + "x" * 260_000 + "\n").encode(), YAML, "larger than 256000 bytes"),
        (syntax_error.encode(), YAML, f"line {title_line}, column"),
        (bomb.encode(), YAML, "aliases (*name) are not allowed"),
        (b"- just\n- a list\n", YAML, "top level must be a mapping"),
        (
            good.replace("\nid: qa-copy\n", "\nid: qa-copy\nfavourite_colour: blue\n").encode(),
            YAML,
            "favourite_colour",
        ),
    ]
    for content, content_type, message in cases:
        response = await import_yaml(client, tenant, content, content_type)
        body = assert_problem(response, 422, "unprocessable")
        assert message in body["detail"], (message, body)
    assert await profile_slugs(client, tenant) == []

    # The same YAML, sent properly, is fine: the failures above were about the cases, not the data.
    assert (await import_yaml(client, tenant, good)).status_code == 201
    assert await profile_slugs(client, tenant) == ["qa-copy"]

    # A syntax error is located by line and column, in the detail and in its single error entry.
    body = assert_problem(await import_yaml(client, tenant, syntax_error), 422, "unprocessable")
    assert body["detail"].startswith(f"invalid role profile YAML (line {title_line}, column 9): ")
    assert body["errors"] == [{"field": "", "message": "mapping values are not allowed here"}]


# --- permissions ------------------------------------------------------------------------------


async def test_interviewers_and_managers_read_recruiters_write(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "qa-engineer"}
    )
    profile = created.json()
    _, token = await create_user(client, tenant, "interviewer")
    headers = {"Authorization": f"Bearer {token}"}

    for path in (
        "/v1/role-library",
        "/v1/role-library/qa-engineer",
        "/v1/role-profiles",
        f"/v1/role-profiles/{profile['id']}",
        f"/v1/role-profiles/{profile['id']}/versions",
        f"/v1/role-profiles/{profile['id']}/versions/1",
        f"/v1/role-profiles/{profile['id']}/export",
        f"/v1/role-profiles/{profile['id']}/paths?level=senior",
    ):
        assert (await client.get(path, headers=headers)).status_code == 200, path
    assert (await client.get(f"/v1/role-profiles/{profile['id']}", headers=headers)).json() == profile

    fork = await client.post("/v1/role-profiles", headers=headers, json={"from_library": "data-engineer"})
    body = assert_problem(fork, 403, "forbidden")
    assert "roles:write" in body["detail"]
    put = await client.put(
        f"/v1/role-profiles/{profile['id']}",
        headers={**headers, "If-Match": created.headers["etag"]},
        json={"document": {**profile["document"], "title": "Hacked"}},
    )
    assert_problem(put, 403, "forbidden")
    imported = await client.post(
        "/v1/role-profiles/import",
        headers={**headers, "Content-Type": YAML},
        content=library_yaml("ml-engineer", "ml-copy").encode(),
    )
    assert_problem(imported, 403, "forbidden")

    assert await profile_slugs(client, tenant) == ["qa-engineer"]
    assert (await read_profile(client, tenant, profile["id"])).json()["version"] == 1

    # Hiring managers cannot write either; recruiters can.
    _, manager = await create_user(client, tenant, "hiring_manager")
    _, recruiter = await create_user(client, tenant, "recruiter")

    denied = await client.post(
        "/v1/role-profiles",
        headers={"Authorization": f"Bearer {manager}"},
        json={"from_library": "data-engineer"},
    )
    assert_problem(denied, 403, "forbidden")
    assert await profile_slugs(client, tenant) == ["qa-engineer"]
    allowed = await client.post(
        "/v1/role-profiles",
        headers={"Authorization": f"Bearer {recruiter}"},
        json={"from_library": "data-engineer"},
    )
    assert allowed.status_code == 201, allowed.text
    assert await profile_slugs(client, tenant) == ["qa-engineer", "data-engineer"]


async def test_profiles_of_another_organisation_are_invisible(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "qa-engineer"}
    )
    profile_id = created.json()["id"]

    for path in (f"/v1/role-profiles/{profile_id}", f"/v1/role-profiles/{profile_id}/versions/1"):
        assert_problem(await client.get(path, headers=other_tenant.headers), 404, "not-found")
    put = await client.put(
        f"/v1/role-profiles/{profile_id}",
        headers={**other_tenant.headers, "If-Match": created.headers["etag"]},
        json={"document": created.json()["document"]},
    )
    assert_problem(put, 404, "not-found")
    # The same library id is free in the other organisation.
    assert (await fork_profile(client, other_tenant, "qa-engineer"))["id"] != profile_id


# --- audit and events -------------------------------------------------------------------------


async def test_changes_are_audited_and_published(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    created = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": "engineering-manager"}
    )
    profile = created.json()
    document = {**profile["document"], "title": "People Leader"}
    assert (
        await put_document(client, tenant, profile["id"], document, created.headers["etag"])
    ).status_code == 200
    # A refused update leaves no trace.
    assert (
        await put_document(client, tenant, profile["id"], document, created.headers["etag"])
    ).status_code == 412

    for action, version in (("role_profile.created", 1), ("role_profile.updated", 2)):
        response = await client.get("/v1/audit-events", headers=tenant.headers, params={"action": action})
        assert response.status_code == 200, response.text
        [entry] = response.json()["items"]
        assert entry["actor"] == f"user:{tenant.admin_id}"
        assert entry["target_type"] == "role_profile"
        assert entry["target_id"] == profile["id"]
        assert entry["details"] == {"version": version}

    events = await outbox_for(sessionmaker, f"role-profiles/{profile['id']}")
    assert [e.type for e in events] == ["role_profile.created", "role_profile.updated"]
    assert {e.organisation_id for e in events} == {tenant.organisation_id}
    assert {e.source for e in events} == {"/rolecall/roles"}
    assert [e.data for e in events] == [
        {
            "schema_version": 1,
            "profile_id": profile["id"],
            "slug": "engineering-manager",
            "version": version,
            "forked_from": "engineering-manager",
        }
        for version in (1, 2)
    ]
