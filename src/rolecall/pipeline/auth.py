"""Who may read and move applications, and change the pipeline settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

ApplicationsRead = Annotated[Principal, Depends(requires("applications:read"))]
ApplicationsWrite = Annotated[Principal, Depends(requires("applications:write"))]
PipelineSettingsRead = Annotated[Principal, Depends(requires("applications:read"))]
PipelineSettingsWrite = Annotated[Principal, Depends(requires("pipeline:settings"))]
AnalyticsRead = Annotated[Principal, Depends(requires("analytics:read"))]
