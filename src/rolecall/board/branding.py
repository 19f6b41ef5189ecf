"""An organisation's careers-site branding, as the careers pages and ``public.html`` use it.

The facts (name, logo, colour, introduction) are the organisation's job settings, owned by the
jobs context; the board only shapes them for its pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.board import theme
from rolecall.jobs import service as jobs
from rolecall.platform.errors import NotFound

_PARAGRAPHS = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Brand:
    name: str
    board_slug: str
    logo_url: str | None = None
    accent_colour: str | None = None
    intro: list[str] = field(default_factory=list)  # paragraphs of the careers introduction

    @property
    def theme_url(self) -> str | None:
        return theme.stylesheet_url(self.board_slug, self.accent_colour)


def paragraphs(text: str | None) -> list[str]:
    return [" ".join(p.split()) for p in _PARAGRAPHS.split(text or "") if p.strip()]


async def brand_of(session: AsyncSession, board_slug: str) -> Brand:
    """The branding of the careers site at ``board_slug`` (NotFound when there is none)."""
    found = await jobs.board_branding_by_slug(session, board_slug)
    if found is None:
        raise NotFound(f"There is no careers site {board_slug!r}.")
    return Brand(
        name=found.name,
        board_slug=found.board_slug,
        logo_url=found.logo_url,
        accent_colour=found.accent_colour,
        intro=paragraphs(found.careers_intro),
    )
