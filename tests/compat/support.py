"""Shared set-up for the compat tests: a board with postings, a board key, shape comparison."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Tenant, create_job, open_job

FIXTURES = Path(__file__).parent / "fixtures"
FORM = [
    {"key": "notice", "label": "Notice period (weeks)", "type": "number", "required": True, "max_value": 26},
    {"key": "visa", "label": "Do you need a visa?", "type": "yes_no", "required": True},
    {
        "key": "stack",
        "label": "Favourite stack",
        "type": "single_choice",
        "options": ["Python", "Go", "Rust"],
    },
    {"key": "langs", "label": "Languages", "type": "multi_choice", "options": ["English", "German"]},
    {"key": "why", "label": "Why us?", "type": "long_text", "help_text": "A line or two"},
    {"key": "portfolio", "label": "Portfolio", "type": "file"},
]
CONSENT_VERSION = "rolecall-default-1"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Board:
    slug: str
    open_jobs: list[dict[str, Any]]
    draft: dict[str, Any]


async def board_slug(client: httpx.AsyncClient, tenant: Tenant) -> str:
    settings = await client.get("/v1/job-settings", headers=tenant.headers)
    assert settings.status_code == 200, settings.text
    slug: str = settings.json()["board_slug"]
    return slug


async def make_board(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> Board:
    """Two open jobs (one remote with a form, one on site in Berlin) and a draft that is not published."""
    slug = await board_slug(client, tenant)
    first = await open_job(client, app, tenant, application_form=FORM)
    second = await open_job(
        client,
        app,
        tenant,
        first["role_profile_id"],
        department="Data",
        employment_type="contract",
        work_arrangement="remote",
        locations=[],
        remote_countries=["DE", "FR"],
    )
    draft = await create_job(client, tenant, first["role_profile_id"], department="Secret")
    return Board(slug, [first, second], draft)


async def board_key(client: httpx.AsyncClient, tenant: Tenant) -> str:
    created = await client.post("/v1/compat/board-keys", headers=tenant.headers, json={"label": "site"})
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_problems(
    ours: Any, theirs: Any, path: str = "$", nullable: frozenset[str] = frozenset()
) -> list[str]:
    """Where ``ours`` differs from the documented example ``theirs``: a documented key missing, or a
    value of another JSON type. ``nullable`` lists paths (``$.jobs[].requisition_id``) where Rolecall
    answers null for a documented value it does not have. Extra keys are allowed (and documented)."""
    if path in nullable and ours is None:
        return []
    if _kind(ours) != _kind(theirs):
        return [f"{path}: {_kind(ours)} where the documentation has {_kind(theirs)}"]
    problems: list[str] = []
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key, value in theirs.items():
            if key not in ours:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += shape_problems(ours[key], value, f"{path}.{key}", nullable)
    if isinstance(theirs, list) and isinstance(ours, list) and theirs:
        for item in ours:  # an empty list has the documented type; its items cannot differ
            problems += shape_problems(item, theirs[0], f"{path}[]", nullable)
    return problems
