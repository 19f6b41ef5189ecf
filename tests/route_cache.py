"""Build each route's dependency tree once per test process, not once per test.

Every test gets an application of its own (its own database, settings, caches and state), which is
what keeps tests independent. FastAPI (0.165) includes routers lazily: an application builds each
included route's dependency tree, parameter models and response models at its first requests,
about a third of a second per application with Rolecall's few hundred routes, which was close to
half of the suite's time. What it builds depends only on the route and how its router is
included, both the same in every test, so this module keeps the first build per process and gives
each later application a copy whose request handler is bound to that application (its
``dependency_overrides`` stay its own). Production builds one application per process and does not
use this.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import routing
from fastapi._body_limit import wrap_app_with_body_limit

_Context = routing._EffectiveRouteContext
_build = _Context.from_api_route.__func__  # type: ignore[attr-defined]
_built: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}


def _cached(cls: type[Any], *, original_route: Any, include_context: Any) -> Any:
    key = (
        id(original_route),
        id(include_context.included_router),
        include_context.path_for(original_route),
        tuple(id(dependency) for dependency in include_context.dependencies),
    )
    found = _built.get(key)
    if found is None:
        context = _build(cls, original_route=original_route, include_context=include_context)
        # The route and router are kept alive with the entry, so their ids cannot be reused.
        _built[key] = (original_route, include_context.included_router, context)
        return context
    context = copy.copy(found[2])
    context.dependency_overrides_provider = include_context.dependency_overrides_provider
    token = routing._effective_route_context_var.set(context)
    try:
        context.app = wrap_app_with_body_limit(
            routing.request_response(original_route.get_route_handler()), context.max_body_size
        )
    finally:
        routing._effective_route_context_var.reset(token)
    return context


def install() -> None:
    _Context.from_api_route = classmethod(_cached)  # type: ignore[method-assign,assignment]
