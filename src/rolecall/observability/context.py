"""What the observability context contributes: health, readiness and metrics endpoints."""

from __future__ import annotations

from rolecall.observability.endpoints import router
from rolecall.platform.contexts import Context

CONTEXT = Context(name="observability", order=0, routers=(router,))
