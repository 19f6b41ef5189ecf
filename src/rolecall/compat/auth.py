"""Who may manage the organisation's board keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

BoardKeysManage = Annotated[Principal, Depends(requires("board_keys:manage"))]
