"""Who may export and erase candidates' personal data and set retention rules: admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

PrivacyManage = Annotated[Principal, Depends(requires("privacy:manage"))]
