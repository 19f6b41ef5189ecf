"""The floor of the request hot path: the least a service can do to answer Rolecall's reads.

A plain FastAPI + asyncpg app that does, for ``GET /v1/{users,jobs,candidates}/{id}``, the work the
issue names and nothing more: it checks the bearer token (the same EdDSA signature, issuer, audience
and expiry Rolecall checks, with the public keys Rolecall publishes at ``/.well-known/jwks.json``),
runs one select by organisation and id on the same PostgreSQL tables, and answers with a Pydantic
model. No revocation, no scopes, no audit, no middleware: that is what makes it a floor, and why
``bench/hot_path.py`` reports Rolecall as a ratio to it rather than as a number on its own.

Run it as ``python -m uvicorn bench.floor:app`` with ``FLOOR_DATABASE_URL`` (an asyncpg DSN),
``FLOOR_JWKS_URL``, ``FLOOR_ISSUER`` and ``FLOOR_AUDIENCE`` in the environment.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import jwt
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel


class UserOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    is_active: bool
    created_at: datetime


class JobOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    title: str
    status: str
    level: str
    created_at: datetime


class CandidateOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    created_at: datetime


_SQL = {
    "users": "SELECT id, organisation_id, email, full_name, roles, is_active, created_at"
    " FROM users WHERE organisation_id = $1 AND id = $2",
    "jobs": "SELECT id, organisation_id, title, status, level, created_at"
    " FROM jobs WHERE organisation_id = $1 AND id = $2",
    "candidates": "SELECT id, organisation_id, created_at"
    " FROM candidates WHERE organisation_id = $1 AND id = $2",
}


def _public_keys(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a URL the bench passes in
        document = json.load(response)
    return {key["kid"]: jwt.PyJWK(key).key for key in document["keys"]}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.keys = _public_keys(os.environ["FLOOR_JWKS_URL"])
    app.state.pool = await asyncpg.create_pool(os.environ["FLOOR_DATABASE_URL"], min_size=32, max_size=32)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


def _organisation(request: Request) -> uuid.UUID:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise HTTPException(401)
    try:
        kid = jwt.get_unverified_header(token)["kid"]
        claims = jwt.decode(
            token,
            request.app.state.keys[kid],
            algorithms=["EdDSA"],
            audience=os.environ["FLOOR_AUDIENCE"],
            issuer=os.environ["FLOOR_ISSUER"],
        )
        return uuid.UUID(claims["org"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise HTTPException(401) from exc


async def _row(request: Request, table: str, object_id: uuid.UUID) -> asyncpg.Record:
    organisation = _organisation(request)
    row = await request.app.state.pool.fetchrow(_SQL[table], organisation, object_id)
    if row is None:
        raise HTTPException(404)
    return row


@app.get("/v1/users/{user_id}")
async def read_user(user_id: uuid.UUID, request: Request) -> UserOut:
    row = await _row(request, "users", user_id)
    roles = row["roles"]
    return UserOut(**{**dict(row), "roles": json.loads(roles) if isinstance(roles, str) else roles})


@app.get("/v1/jobs/{job_id}")
async def read_job(job_id: uuid.UUID, request: Request) -> JobOut:
    return JobOut(**dict(await _row(request, "jobs", job_id)))


@app.get("/v1/candidates/{candidate_id}")
async def read_candidate(candidate_id: uuid.UUID, request: Request) -> CandidateOut:
    return CandidateOut(**dict(await _row(request, "candidates", candidate_id)))
