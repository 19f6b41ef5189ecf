"""The compat context's declaration: the Greenhouse- and Lever-shaped board routes, the board-key admin
routes and their scope."""

from __future__ import annotations

from rolecall.compat.endpoints import router as keys_router
from rolecall.compat.greenhouse_endpoints import router as greenhouse_router
from rolecall.compat.lever_endpoints import router as lever_router
from rolecall.platform.contexts import ADMIN, Context, Scope

CONTEXT = Context(
    name="compat",
    routers=(keys_router, greenhouse_router, lever_router),
    scopes=(
        Scope(
            "board_keys:manage",
            "Create, list, rotate and revoke the board keys of the Greenhouse- and Lever-shaped apply routes",
            frozenset({ADMIN}),
        ),
    ),
)
