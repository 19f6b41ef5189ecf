"""The read-only CORS middleware on a bare ASGI app, and how its origins are read from the settings."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from rolecall.config import Settings
from rolecall.platform.cors import ReadOnlyCorsMiddleware, parse_origins

ACME = "https://acme.example"


async def _echo(request: Request) -> Response:
    headers = {"ETag": '"abc"', "Vary": "Accept-Encoding"}
    return PlainTextResponse(f"{request.method} {request.url.path}", headers=headers)


def _client(origins: tuple[str, ...] = (ACME, "http://localhost:3000")) -> httpx.AsyncClient:
    inner = Starlette(
        routes=[
            Route("/v1/board/postings", _echo, methods=["GET", "POST"]),
            Route("/v1/jobs", _echo, methods=["GET"]),
        ]
    )
    app = ReadOnlyCorsMiddleware(inner, origins=origins, paths=("/v1/board/",))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rolecall.test")


def _cors(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


# --- reading the setting --------------------------------------------------------------------------


def test_origins_are_normalised_like_the_origin_header() -> None:
    value = " https://Acme.Example:443/ , http://localhost:3000,, https://acme.example, http://[::1]:8080 "

    assert parse_origins(value) == ("https://acme.example", "http://localhost:3000", "http://[::1]:8080")
    assert parse_origins("") == ()
    assert parse_origins(None) == ()


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("*", "origin 1 is '*'"),
        ("https://ok.example,acme.example", "origin 2 does not start with http:// or https://"),
        ("ftp://acme.example", "does not start with http:// or https://"),
        ("null", "does not start with http:// or https://"),
        ("https://acme.example/careers", "has a path, query or fragment"),
        ("https://acme.example?x=1", "has a path, query or fragment"),
        ("https://acme.example#top", "has a path, query or fragment"),
        ("https://user:pw@acme.example", "contains a user name or password"),
        ("https://", "has no host"),
        ("https://acme.example:99999", "cannot be read as a URL"),
    ],
)
def test_a_bad_origin_stops_the_settings_with_the_rule_it_breaks(
    monkeypatch: pytest.MonkeyPatch, value: str, rule: str
) -> None:
    monkeypatch.setenv("ROLECALL_CORS_ORIGINS", value)

    with pytest.raises(ValidationError) as raised:
        Settings()

    [error] = raised.value.errors()
    assert error["loc"] == ("cors_origins",)
    assert rule in error["msg"]
    assert "scheme://host[:port]" in error["msg"] or "'*'" in error["msg"]


def test_origins_are_read_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECALL_CORS_ORIGINS", "https://acme.example,https://jobs.acme.example/")
    assert Settings().cors_origins == ("https://acme.example", "https://jobs.acme.example")
    monkeypatch.delenv("ROLECALL_CORS_ORIGINS")
    assert Settings().cors_origins == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://jobs.example.com/", "https://jobs.example.com"),
        ("http://h.example/a/b/", "http://h.example/a/b"),
    ],
)
def test_the_public_base_url_loses_its_trailing_slash(value: str, expected: str) -> None:
    assert Settings(public_base_url=value).public_base_url == expected


@pytest.mark.parametrize(
    "value", ["jobs.example.com", "ftp://jobs.example.com", "https://x.example/?a=1", "/jobs"]
)
def test_a_public_base_url_that_is_not_an_absolute_http_url_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(public_base_url=value)
    assert raised.value.errors()[0]["loc"] == ("public_base_url",)


# --- the middleware -------------------------------------------------------------------------------


async def test_a_read_from_a_listed_origin_may_be_read_by_its_script() -> None:
    async with _client() as client:
        response = await client.get("/v1/board/postings", headers={"Origin": ACME})

    assert response.status_code == 200
    assert response.text == "GET /v1/board/postings"
    assert _cors(response) == {
        "access-control-allow-origin": ACME,
        "access-control-expose-headers": "ETag",
    }
    assert response.headers.get_list("vary") == ["Accept-Encoding, Origin"]


async def test_head_is_a_read_too() -> None:
    async with _client() as client:
        response = await client.head("/v1/board/postings", headers={"Origin": "http://localhost:3000"})

    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"


@pytest.mark.parametrize(
    "origin", [None, "https://evil.example", "https://acme.example:8443", "https://ACME.example.evil"]
)
async def test_other_origins_get_no_grant_but_the_answer_still_varies_by_origin(origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    async with _client() as client:
        response = await client.get("/v1/board/postings", headers=headers)

    assert response.status_code == 200
    assert _cors(response) == {}
    assert response.headers["vary"] == "Accept-Encoding, Origin"


async def test_writes_and_routes_outside_the_prefix_never_get_cors_headers() -> None:
    async with _client() as client:
        write = await client.post("/v1/board/postings", headers={"Origin": ACME})
        other = await client.get("/v1/jobs", headers={"Origin": ACME})

    for response in (write, other):
        assert response.status_code == 200
        assert _cors(response) == {}
        assert response.headers["vary"] == "Accept-Encoding"


async def test_a_preflight_for_a_read_from_a_listed_origin_is_answered_here() -> None:
    request = {
        "Origin": ACME,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match",
    }
    async with _client() as client:
        response = await client.options("/v1/board/postings", headers=request)

    assert response.status_code == 204
    assert response.content == b""
    assert _cors(response) == {
        "access-control-allow-origin": ACME,
        "access-control-allow-methods": "GET, HEAD",
        "access-control-allow-headers": "If-None-Match",
        "access-control-max-age": "600",
    }
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    ("path", "origin", "method"),
    [
        ("/v1/board/postings", ACME, "POST"),  # applying is not for other sites' scripts
        ("/v1/board/postings", "https://evil.example", "GET"),
        ("/v1/jobs", ACME, "GET"),
    ],
)
async def test_any_other_preflight_goes_on_to_the_routes_without_a_grant(
    path: str, origin: str, method: str
) -> None:
    async with _client() as client:
        response = await client.options(
            path, headers={"Origin": origin, "Access-Control-Request-Method": method}
        )

    assert response.status_code == 405  # the routes have no OPTIONS
    assert _cors(response) == {}


async def test_with_no_origins_configured_nothing_changes() -> None:
    async with _client(origins=()) as client:
        read = await client.get("/v1/board/postings", headers={"Origin": ACME})
        preflight = await client.options(
            "/v1/board/postings", headers={"Origin": ACME, "Access-Control-Request-Method": "GET"}
        )

    assert _cors(read) == {}
    assert read.headers["vary"] == "Accept-Encoding"
    assert preflight.status_code == 405
    assert _cors(preflight) == {}
