"""Rate limits for the public routes: the board (API and pages), the apply form and single sign-on.

:class:`RateLimits` counts with the ``limits`` package, in Redis shared by every process when
``ROLECALL_REDIS_URL`` is set and in memory otherwise, and answers with the IETF ``RateLimit`` and
``RateLimit-Policy`` headers and a 429 problem with ``Retry-After``. :class:`SlidingWindowLimiter` is
the older per-process counter; tests still install it as ``app.state.apply_limiter`` to override the
apply limit (see :func:`rolecall.pipeline.intake.check_rate`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolecall.platform.clock import utcnow
from rolecall.platform.errors import ProblemError, TooManyRequests
from rolecall.platform.net import client_address

MAX_KEYS = 100_000  # above this the oldest keys are forgotten, so memory stays bounded under attack


class SlidingWindowLimiter:
    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[datetime]] = {}

    def hit(self, key: str) -> float | None:
        """Count one request; ``None`` when allowed, else the seconds until the next one would be."""
        now = utcnow()
        hits = self._hits.pop(key, None) or deque()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        self._hits[key] = hits  # re-inserted: dict order doubles as least-recently-used order
        if len(hits) >= self.limit:
            return max(1.0, math.ceil((hits[0] + self.window - now).total_seconds()))
        hits.append(now)
        while len(self._hits) > MAX_KEYS:
            self._hits.pop(next(iter(self._hits)))
        return None


# --- Shared rate limits (issue 12) -----------------------------------------------------------------
# Counted in Redis when ROLECALL_REDIS_URL is set, so every API process shares one count; in process
# memory otherwise (embedded mode). Moving window: a caller gets `limit` requests in any `window`
# seconds, with no burst of twice the limit at a fixed window's edge.

BOARD = "board"
CLIENT = "client"
APPLY = "apply"
SIGN_IN = "sign_in"
_log = structlog.get_logger("rolecall.ratelimit")


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window: int  # seconds

    @property
    def header(self) -> str:
        """``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers): quota and window."""
        return f'"{self.name}";q={self.limit};w={self.window}'


@dataclass(frozen=True)
class Decision:
    policy: Policy
    allowed: bool
    remaining: int
    reset: int  # seconds until the window has room again

    def headers(self) -> dict[str, str]:
        found = {
            "RateLimit-Policy": self.policy.header,
            "RateLimit": f'"{self.policy.name}";r={self.remaining};t={self.reset}',
        }
        if not self.allowed:
            found["Retry-After"] = str(max(1, self.reset))
        return found


def policies_from(settings: Any) -> dict[str, Policy]:
    return {
        BOARD: Policy(BOARD, settings.rate_limit_board_per_minute, 60),
        CLIENT: Policy(CLIENT, settings.rate_limit_client_per_minute, 60),
        APPLY: Policy(APPLY, settings.apply_rate_per_hour, 3600),
        SIGN_IN: Policy(SIGN_IN, settings.rate_limit_sign_in_per_minute, 60),
    }


class RateLimits:
    """The limiter every limited route asks; one per app, built on first use from the settings."""

    def __init__(
        self, storage: Storage, policies: dict[str, Policy], *, key_secret: str, enabled: bool = True
    ) -> None:
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.policies = policies
        self.enabled = enabled
        self._key_secret = key_secret.encode()

    @classmethod
    def from_settings(cls, settings: Any) -> RateLimits:
        storage: Storage
        if settings.redis_url is not None:
            url = settings.redis_url.get_secret_value()
            storage = RedisStorage(
                f"async+{url}", implementation="redispy", key_prefix=settings.rate_limit_key_prefix
            )
        else:
            storage = MemoryStorage()
        return cls(
            storage,
            policies_from(settings),
            key_secret=settings.secret_key,
            enabled=settings.rate_limit_enabled,
        )

    def _identifier(self, who: str) -> str:
        # Addresses and client ids are kept out of Redis: a keyed hash counts them just as well.
        return hmac.new(self._key_secret, who.encode(), hashlib.sha256).hexdigest()[:32]

    async def hit(self, policy_name: str, who: str) -> Decision | None:
        """Count one request by ``who`` against a policy; ``None`` when limits are off or unreachable."""
        policy = self.policies[policy_name]
        if not self.enabled:
            return None
        item = RateLimitItemPerSecond(policy.limit, policy.window)
        key = self._identifier(who)
        try:
            allowed = await self.limiter.hit(item, policy.name, key)
            stats = await self.limiter.get_window_stats(item, policy.name, key)
        except Exception:  # a broken Redis must not take the public board down
            _log.warning("rate_limit_storage_failed", policy=policy.name, exc_info=True)
            return None
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return Decision(policy, allowed, max(0, stats.remaining), reset)


def rate_limits(request: Request) -> RateLimits:
    found: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    if found is None:
        found = RateLimits.from_settings(request.app.state.settings)
        request.app.state.rate_limits = found
    return found


async def _client_of(request: Request) -> str | None:
    """The API client or user behind a valid access token; ``None`` for anonymous callers.

    Only asked when an Authorization header is present; a bad token on a public route is not an
    error, it just counts against the caller's address.
    """
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        return None
    authenticate = getattr(request.app.state, "authenticate", None)
    if authenticate is None:
        return None
    try:
        async with request.app.state.sessionmaker() as session:
            principal = await authenticate(request, session)
    except ProblemError:
        return None
    return f"{principal.kind}:{principal.subject_id}"


async def enforce(request: Request, policy_name: str, *, per_client: bool = False) -> Decision | None:
    """Count the request; raise 429 over the limit. The decision is kept for the response headers."""
    settings = request.app.state.settings
    client = await _client_of(request) if per_client else None
    if client is not None:
        decision = await rate_limits(request).hit(CLIENT, client)
    else:
        decision = await rate_limits(request).hit(
            policy_name, "addr:" + client_address(request, settings.trust_forwarded_for)
        )
    if decision is None:
        return None
    request.state.rate_limit = decision
    if not decision.allowed:
        raise TooManyRequests("Too many requests; try again later.", headers=decision.headers())
    return decision


def limited(policy_name: str, *, per_client: bool = False) -> Any:
    """A route dependency: ``dependencies=[limited(BOARD, per_client=True)]``."""

    async def dependency(request: Request) -> None:
        await enforce(request, policy_name, per_client=per_client)

    dependency.__name__ = f"rate_limited_{policy_name}"
    return Depends(dependency)


class RateLimitedRoute(APIRoute):
    """Adds RateLimit and RateLimit-Policy to every answer of a route that counted the request.

    A dependency cannot set headers on a Response the endpoint builds itself (pages, feeds), so the
    headers are added here, after the endpoint, from the decision the dependency left on the request.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_headers(request: Request) -> Response:
            try:
                response = await handler(request)
            except (ProblemError, StarletteHTTPException) as exc:
                # A counted request that ends in an error answer (400, 404, 429) still says its state.
                decision = getattr(request.state, "rate_limit", None)
                if decision is not None:
                    exc.headers = {**decision.headers(), **(exc.headers or {})}
                raise
            decision = getattr(request.state, "rate_limit", None)
            if decision is not None:
                for name, value in decision.headers().items():
                    response.headers.setdefault(name, value)
            return response

        return with_headers


RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Policy": {
        "description": 'The quota and window, e.g. "board";q=120;w=60 (draft-ietf-httpapi-ratelimit-headers)',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'Requests remaining and seconds until the window has room, e.g. "board";r=117;t=42',
        "schema": {"type": "string"},
    },
}


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}


def rate_limit_responses() -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a limited route: the 429 problem with its headers."""
    return {
        429: {
            "description": "Too many requests: wait Retry-After seconds (docs/api.md, Rate limits)",
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
            "headers": {
                **RATE_LIMIT_HEADERS,
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
            },
        }
    }
