"""Unknown query parameters are refused with a 400 that lists the parameters the operation accepts.

A misspelt or unsupported filter (``?q=`` on a list that has no free-text search, ``?sort=`` where
the order is fixed) used to be ignored, so the caller got an unfiltered list and believed it was
filtered. One app-level dependency, :data:`QUERY_GUARD`, runs before every other dependency of every
API route and compares the request's query parameter names with those the route declares.

The accepted names are read from the route's resolved dependency tree (``route.dependant``
flattened, so query parameters declared by nested dependencies such as ``page_params`` count, by
alias when one is set, and the members of a query-parameter model too), and computed once per route.
Routes that read ``request.query_params`` by hand declare the extra names with :func:`accepts_query`.

What counts as an API route: every operation published in the OpenAPI document plus anything
under :data:`API_PREFIXES`. The HTML pages (``/app``, ``/careers``, ``/jobs``...) are left alone:
a browser following a link with campaign parameters must still get the page, and pages read their
own parameters (the careers apply page keeps ``utm_*`` as tracking).
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Final, TypeVar, Union, get_args, get_origin

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import AliasChoices, BaseModel

from rolecall.platform.errors import BadRequest

# Paths that are API operations even when a router keeps them out of the OpenAPI document.
API_PREFIXES: Final = ("/v1/", "/compat/", "/partner/", "/.well-known/", "/oauth/")
# Campaign tags (``utm_source``...) that links to public postings carry. The public board's GET
# routes accept and ignore them: their URLs circulate in feeds, sitemaps and shared links, and an
# aggregator or a mail campaign appending its tag must not turn a posting into an error.
TRACKING: Final = ("utm_*",)
TRACKED_PREFIXES: Final = ("/v1/board/",)
_MARK = "__rolecall_accepted_query__"
_CACHE = "query_param_guard_cache"

F = TypeVar("F", bound=Callable[..., Any])


def accepts_query(*names: str) -> Callable[[F], F]:
    """Declare query parameters a route reads by hand (``request.query_params``).

    A name ending in ``*`` accepts every parameter with that prefix (``"utm_*"``); ``"*"`` alone accepts
    any parameter, for the drop-in vendor APIs under ``/compat/`` whose originals ignore parameters
    they do not know (tests/platform/test_query_params.py keeps that list reviewed). The names are
    added to those the route's signature declares; put the decorator below ``@router.get(...)``
    so it marks the function FastAPI stores as the endpoint.
    """

    def mark(endpoint: F) -> F:
        setattr(endpoint, _MARK, (*getattr(endpoint, _MARK, ()), *names))
        return endpoint

    return mark


def _is_api(route: Any) -> bool:
    path: str = getattr(route, "path", "") or ""
    return bool(getattr(route, "include_in_schema", False)) or path.startswith(API_PREFIXES)


def _field_names(name: str, alias: str | None, validation_alias: object) -> set[str]:
    names = {alias or name}
    if isinstance(validation_alias, str):
        names.add(validation_alias)
    elif isinstance(validation_alias, AliasChoices):
        names.update(choice for choice in validation_alias.choices if isinstance(choice, str))
    return names


def _query_names(dependant: Dependant, seen: set[int]) -> set[str]:
    """The query parameter names of a dependency tree, nested dependencies included."""
    if id(dependant) in seen:
        return set()
    seen.add(id(dependant))
    names: set[str] = set()
    for field in dependant.query_params:
        info = field.field_info
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            # A query-parameter model (``Annotated[Model, Query()]``): its members are the names.
            for member, member_info in annotation.model_fields.items():
                names |= _field_names(member, member_info.alias, member_info.validation_alias)
        else:
            names |= _field_names(field.name, field.alias, info.validation_alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub, seen)
    return names


def declared_names(route: Any) -> tuple[str, ...]:
    """Every query parameter name the route accepts: its dependency tree plus :func:`accepts_query`."""
    names: set[str] = set()
    dependant = getattr(route, "dependant", None)
    if isinstance(dependant, Dependant):
        names |= _query_names(dependant, set())
    names.update(getattr(getattr(route, "endpoint", None), _MARK, ()))
    return tuple(sorted(names))


def _accepted_for(request: Request) -> tuple[str, ...] | None:
    """The accepted names of the route that matched, or None for a route that is not an API route.

    Built for the whole app on first use (routes are fixed once the app serves), keyed by the
    original route object that FastAPI puts in ``scope["route"]``; a route included twice gets the
    union of what each inclusion declares.
    """
    app = request.app
    table: dict[int, tuple[str, ...] | None] | None = getattr(app.state, _CACHE, None)
    if table is None:
        built: dict[int, set[str] | None] = {}
        for context in iter_route_contexts(app.routes):
            original = context.original_route
            if not isinstance(original, APIRoute) or not _is_api(context):
                built.setdefault(id(original), None)
                continue
            known = (built.get(id(original)) or set()) | set(declared_names(context))
            if "GET" in (context.methods or ()) and (context.path or "").startswith(TRACKED_PREFIXES):
                known |= set(TRACKING)
            built[id(original)] = known
        table = {key: (tuple(sorted(value)) if value is not None else None) for key, value in built.items()}
        setattr(app.state, _CACHE, table)
    route = request.scope.get("route")
    return table.get(id(route)) if route is not None else None


def _matches(name: str, accepted: Iterable[str]) -> bool:
    for pattern in accepted:
        if name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1])):
            return True
    return False


def unknown_parameters(given: Iterable[str], accepted: Iterable[str]) -> list[str]:
    accepted = tuple(accepted)
    return sorted({name for name in given if not _matches(name, accepted)})


async def reject_unknown_query(request: Request) -> None:
    """Raise a 400 naming the unknown and the accepted query parameters of this operation."""
    if not request.query_params:
        return
    accepted = _accepted_for(request)
    if accepted is None:
        return
    unknown = unknown_parameters(request.query_params.keys(), accepted)
    if not unknown:
        reject_repeated_query(request, accepted)
        return
    listed = ", ".join(accepted) if accepted else "no query parameters"
    raise BadRequest(
        f"Unknown query parameter(s): {', '.join(unknown)}. This operation accepts: {listed}.",
        extra={"accepted": list(accepted), "unknown": unknown},
    )


_SEQUENCES: Final = (list, tuple, set, frozenset)
_SINGLE_CACHE = "query_param_single_cache"


def _is_sequence(annotation: object) -> bool:
    """Whether a query parameter may repeat (``list[str]``, ``list[str] | None``, ``Annotated[...]``)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_sequence(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation))
    return origin in _SEQUENCES or annotation in _SEQUENCES


def _single_names(dependant: Dependant, seen: set[int]) -> set[str]:
    """The declared query parameters that take one value (a repeat of them is a client error)."""
    if id(dependant) in seen:
        return set()
    seen.add(id(dependant))
    names: set[str] = set()
    for field in dependant.query_params:
        info = field.field_info
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for member, member_info in annotation.model_fields.items():
                if not _is_sequence(member_info.annotation):
                    names |= _field_names(member, member_info.alias, member_info.validation_alias)
        elif not _is_sequence(annotation):
            names |= _field_names(field.name, field.alias, info.validation_alias)
    for sub in dependant.dependencies:
        names |= _single_names(sub, seen)
    return names


def reject_repeated_query(request: Request, accepted: tuple[str, ...]) -> None:
    """Raise a 400 when a one-value parameter is given twice (``?status=open&status=closed``).

    FastAPI would quietly keep the last value, so the caller would believe both were applied. The
    document describes these parameters as one value, so a repeat is refused like an unknown name.
    """
    given = Counter(name for name, _ in request.query_params.multi_items())
    repeated = [name for name, count in given.items() if count > 1]
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if not repeated or "*" in accepted or not isinstance(dependant, Dependant):
        return
    cache: dict[int, set[str]] | None = getattr(request.app.state, _SINGLE_CACHE, None)
    if cache is None:
        cache = {}
        setattr(request.app.state, _SINGLE_CACHE, cache)
    single = cache.get(id(route))
    if single is None:
        single = cache[id(route)] = _single_names(dependant, set())
    refused = sorted(name for name in repeated if name in single)
    if refused:
        raise BadRequest(
            f"Query parameter(s) given more than once: {', '.join(refused)}. Each takes one value.",
            extra={"repeated": refused},
        )


QUERY_GUARD: Final = Depends(reject_unknown_query)
"""Installed once, app-wide, by :func:`rolecall.app.create_app` (``FastAPI(dependencies=[...])``)."""
