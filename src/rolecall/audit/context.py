"""What the audit context contributes: the read-only audit log API."""

from __future__ import annotations

from rolecall.audit.endpoints import router
from rolecall.platform.contexts import Context, Scope

CONTEXT = Context(
    name="audit",
    order=20,
    routers=(router,),
    scopes=(Scope("audit:read", "Read the audit log"),),
)
