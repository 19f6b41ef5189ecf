"""Who may read and change candidates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

CandidatesRead = Annotated[Principal, Depends(requires("candidates:read"))]
CandidatesWrite = Annotated[Principal, Depends(requires("candidates:write"))]
