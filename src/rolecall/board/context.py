"""What the board context contributes: the public careers board API and pages, the posting projection."""

from __future__ import annotations

from rolecall.board import handlers
from rolecall.board.endpoints import router
from rolecall.board.pages import router as pages
from rolecall.platform.contexts import Context

CONTEXT = Context(name="board", order=40, routers=(router,), pages=(pages,), handlers=(handlers,))
