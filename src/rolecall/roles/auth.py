"""Who may read and change role profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

RolesRead = Annotated[Principal, Depends(requires("roles:read"))]
RolesWrite = Annotated[Principal, Depends(requires("roles:write"))]
