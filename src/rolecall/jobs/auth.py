"""Who may read and change jobs and the organisation's job settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

JobsRead = Annotated[Principal, Depends(requires("jobs:read"))]
JobsWrite = Annotated[Principal, Depends(requires("jobs:write"))]
JobSettingsWrite = Annotated[Principal, Depends(requires("jobs:settings"))]
DescriptionFromProfile = Annotated[Principal, Depends(requires("roles:read", "jobs:read"))]
LibraryRead = Annotated[Principal, Depends(requires("roles:read"))]
