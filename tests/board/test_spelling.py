"""One typo forgiven on the board: a search that finds nothing tries the posting word one edit
away, and says so (``corrected_query`` in the API, a sentence on the page), on both adapters."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from fastapi import FastAPI

from rolecall.board import spelling
from rolecall.config import Settings
from tests.factories import Tenant, open_job

VOCABULARY = Counter({"security": 3, "engineer": 9, "python": 4, "designer": 1, "manager": 2, "react": 2})


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("secrity engineer", "security engineer"),  # a letter missing
        ("pyhton", "python"),  # two neighbours swapped
        ("Desginer", "designer"),
        ("mannager", "manager"),  # a letter too many
        ("securitz", "security"),  # a letter changed
    ],
)
def test_one_edit_is_forgiven_in_long_words(typed: str, meant: str) -> None:
    assert spelling.correct_with(typed, VOCABULARY) == meant


@pytest.mark.parametrize("typed", ["engineer", "reat", "scrtiy", "ingénieur", ""])
def test_known_short_far_and_foreign_words_are_left_alone(typed: str) -> None:
    # known; under five letters; two edits away; not ASCII (no guess at accents); nothing typed
    assert spelling.correct_with(typed, VOCABULARY) is None


@pytest.fixture(params=["tantivy", "database"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.model_copy(update={"search_backend": request.param})


async def test_a_search_with_a_typo_answers_for_the_word_it_meant_and_says_so(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, title="Senior Security Engineer")
    await open_job(client, app, tenant, job["role_profile_id"], title="Lead Back-End Engineer")
    spelling.forget()
    joined = (await client.get("/v1/board/postings", params={"q": "bakend"})).json()

    typo = (await client.get("/v1/board/postings", params={"q": "secrity engineer"})).json()
    exact = (await client.get("/v1/board/postings", params={"q": "security engineer"})).json()
    nothing = (await client.get("/v1/board/postings", params={"q": "zzzzzzzz"})).json()
    page = await pages.get("/jobs", params={"q": "secrity"})

    assert joined["corrected_query"] == "backend"  # the board's "Back-End", as search reads it
    assert joined["items"][0]["title"] == "Lead Back-End Engineer"
    # (the back-end posting's description mentions security too, further down)
    assert typo["corrected_query"] == "security engineer"
    assert typo["items"][0]["title"] == "Senior Security Engineer"
    assert exact["total"] == typo["total"]
    assert exact["corrected_query"] is None
    assert nothing["total"] == 0
    assert nothing["corrected_query"] is None
    assert page.status_code == 200
    assert "Nothing matched “secrity”, so these are the jobs for “<strong>security</strong>”." in page.text
