"""Who may read the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

AuditRead = Annotated[Principal, Depends(requires("audit:read"))]
